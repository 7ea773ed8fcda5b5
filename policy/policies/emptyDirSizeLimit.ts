import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";

/**
 * Every emptyDir volume has a `sizeLimit`: a disk-backed emptyDir lives on the
 * node's disk and a memory-backed one (`medium: Memory`) in the node's memory,
 * and without a limit one learner's pod can fill either for every environment on
 * the node. With a limit the kubelet evicts just the pod that writes past it.
 */
export const emptyDirSizeLimit: ResourceValidationPolicy = {
    name: "emptydir-size-limit",
    description: "Every emptyDir volume sets a sizeLimit, so one pod cannot fill the node's disk or memory.",
    // Mandatory: a full node disk puts every pod on the node under DiskPressure eviction, across
    // learners' namespaces; and unlike cpu limits, a sizeLimit costs a laptop lab nothing.
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        for (const pod of podSpecsOf(args)) {
            const volumes: any[] = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
            volumes.forEach((volume, i) => {
                const emptyDir = volume?.emptyDir;
                if (emptyDir === undefined || emptyDir === null) {
                    return;
                }
                const sizeLimit = emptyDir.sizeLimit;
                if (sizeLimit === undefined || sizeLimit === null || sizeLimit === "") {
                    const name = typeof volume.name === "string" && volume.name !== "" ? volume.name : `volumes[${i}]`;
                    reportViolation(`${pod.describe}: volume ${name}: emptyDir has no sizeLimit (emptyDir ${show(emptyDir)})`);
                }
            });
        }
    },
};
