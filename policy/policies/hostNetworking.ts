import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";

/**
 * Port allocation is the pod's business: each pod has its own IP, which is why
 * several postgres pods can all listen on 5432. A hostPort or hostNetwork puts a
 * pod on the node's ports instead, where two lab pods (or two learners) collide.
 */
export const noHostPortsOrHostNetwork: ResourceValidationPolicy = {
    name: "no-host-ports-or-host-network",
    description: "No hostPort and no hostNetwork: every pod gets its own IP and allocates its ports there.",
    // Mandatory: a host port is shared by every pod on the node, across learners' namespaces.
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        for (const pod of podSpecsOf(args)) {
            if (pod.spec.hostNetwork === true) {
                reportViolation(`${pod.describe}: hostNetwork puts the pod on the node's network (hostNetwork ${show(pod.spec.hostNetwork)})`);
            }
            for (const c of pod.containers) {
                for (const p of Array.isArray(c.spec.ports) ? c.spec.ports : []) {
                    // 0 is the API's "unset".
                    if (p?.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0) {
                        reportViolation(`${c.where}: hostPort binds a port on the node (hostPort ${show(p.hostPort)} for containerPort ${show(p.containerPort)})`);
                    }
                }
            }
        }
    },
};
