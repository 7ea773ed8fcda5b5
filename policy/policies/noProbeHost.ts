import { show } from "./podSpecs";
import { isSetString, podRule } from "./podRule";

/** Handlers that make the kubelet connect somewhere: probes and lifecycle hooks (a gRPC probe has no host). */
const HANDLERS: readonly (readonly string[])[] = [["livenessProbe"], ["readinessProbe"], ["startupProbe"], ["lifecycle", "postStart"], ["lifecycle", "preStop"]];

/**
 * No `host` in an httpGet or tcpSocket probe or lifecycle hook: the kubelet
 * runs them from the node's network, past the network fence (a port scanner,
 * and with httpGet a blind HTTP client). Without one they reach the pod's own IP.
 */
export const noProbeHost = podRule("no-probe-host", "No host in httpGet or tcpSocket probes and lifecycle hooks: the kubelet runs them from the node, past the network fence.", (pod) =>
    pod.containers.flatMap((c) =>
        HANDLERS.flatMap((path) => {
            const handler = path.reduce((o: any, key) => o?.[key], c.spec);
            return ["httpGet", "tcpSocket"]
                .filter((action) => isSetString(handler?.[action]?.host))
                .map((action) => `container ${c.name}: ${path.join(".")}.${action}.host makes the kubelet connect from the node (host ${show(handler[action].host)})`);
        }),
    ),
);
