import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";
import { stringListSetting } from "./settings";

/** Configuration of {@link containerResources}. */
export interface ContainerResourcesConfig {
    /** Resources every container must request. Default: cpu, memory and ephemeral-storage. */
    requests: string[];
    /** Resources every container must limit. Default: cpu, memory and ephemeral-storage. */
    limits: string[];
}

export const CONTAINER_RESOURCES_DEFAULTS: ContainerResourcesConfig = {
    requests: ["cpu", "memory", "ephemeral-storage"],
    limits: ["cpu", "memory", "ephemeral-storage"],
};

/**
 * Every container, init containers included (they count toward the pod's
 * requests), requests and limits cpu, memory and ephemeral storage, so one
 * learner's lab cannot starve the others on a shared cluster: ephemeral storage
 * (the writable layer, logs and the pod's disk-backed emptyDirs) is the node's
 * disk, which one learner could otherwise fill for everyone.
 */
export const containerResources: ResourceValidationPolicy = {
    name: "container-resources",
    description: "Every container sets cpu, memory and ephemeral-storage requests and limits.",
    // Advisory: a lab on a learner's own laptop cluster may reasonably run without limits
    // (many clusters omit cpu limits on purpose); the `limits` knob narrows what is required.
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: {
        properties: {
            requests: stringListSetting("Resources every container must request.", CONTAINER_RESOURCES_DEFAULTS.requests),
            limits: stringListSetting("Resources every container must limit.", CONTAINER_RESOURCES_DEFAULTS.limits),
        },
    },
    validateResource: (args, reportViolation) => {
        const config = { ...CONTAINER_RESOURCES_DEFAULTS, ...args.getConfig<Partial<ContainerResourcesConfig>>() };
        for (const pod of podSpecsOf(args)) {
            for (const c of pod.containers) {
                const resources = c.spec.resources ?? {};
                for (const kind of ["requests", "limits"] as const) {
                    for (const name of config[kind]) {
                        const value = resources[kind]?.[name];
                        if (value === undefined || value === null || value === "") {
                            reportViolation(`${c.where}: no ${kind}.${name} (resources.${kind} ${show(resources[kind])})`);
                        }
                    }
                }
            }
        }
    },
};
