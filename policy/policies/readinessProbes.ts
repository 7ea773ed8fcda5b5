import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";

/** The handlers a probe can have; a probe with none of them is refused by the API server. */
const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"];

/**
 * A long-running container says when it is ready, so `pulumi up` waits for a
 * pod that actually serves (the sidecar lesson: Ready means nginx answered on
 * localhost). Long-running means an app container of a Pod, Deployment,
 * StatefulSet, DaemonSet or ReplicaSet; Job and CronJob pods run to completion,
 * and init containers are not probed for readiness.
 */
export const readinessProbes: ResourceValidationPolicy = {
    name: "readiness-probes",
    description: "Every long-running container declares a readiness probe.",
    // Advisory: a lab may reasonably run a container with nothing to be ready for,
    // such as a toolbox pod learners only `kubectl exec` into.
    enforcementLevel: "advisory",
    severity: "low",
    validateResource: (args, reportViolation) => {
        for (const pod of podSpecsOf(args)) {
            if (!pod.longRunning) {
                continue;
            }
            for (const c of pod.containers) {
                if (c.list !== "containers") {
                    continue;
                }
                const probe = c.spec.readinessProbe;
                if (probe === undefined || probe === null) {
                    reportViolation(`${c.where}: no readinessProbe (image ${show(c.spec.image)})`);
                } else if (!PROBE_HANDLERS.some((h) => probe[h] !== undefined && probe[h] !== null)) {
                    reportViolation(`${c.where}: readinessProbe has no exec, httpGet, tcpSocket or grpc handler (${show(probe)})`);
                }
            }
        }
    },
};
