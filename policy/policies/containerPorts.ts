import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf } from "./podSpecs";

/**
 * The course's port lesson: containers of one pod share one network namespace,
 * so two of them cannot both listen on the same containerPort and protocol.
 * The API server only warns about a duplicate; this refuses it.
 *
 * Checked: app containers and restartable init containers (native sidecars),
 * which run beside them. A classic init container runs alone before the app
 * containers start, so its ports cannot collide with theirs.
 */
export const noDuplicateContainerPorts: ResourceValidationPolicy = {
    name: "no-duplicate-container-ports",
    description: "No two containers of one pod declare the same containerPort and protocol: they share one network namespace.",
    // Mandatory: the second container cannot bind its port, so the pod never becomes Ready.
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        for (const pod of podSpecsOf(args)) {
            const owners = new Map<string, string>();
            for (const c of pod.containers) {
                if (c.list === "initContainers" && !c.restartableInit) {
                    continue;
                }
                for (const p of Array.isArray(c.spec.ports) ? c.spec.ports : []) {
                    const key = `${String(p?.containerPort)}/${String(p?.protocol ?? "TCP")}`;
                    const first = owners.get(key);
                    if (first === undefined) {
                        owners.set(key, c.name);
                    } else if (first === c.name) {
                        reportViolation(`${c.where}: containerPort declared twice (${key})`);
                    } else {
                        reportViolation(`${c.where}: containerPort already declared by container ${first}, in the same network namespace (${key})`);
                    }
                }
            }
        }
    },
};
