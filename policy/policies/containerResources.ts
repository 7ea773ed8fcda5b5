import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";

/** Configuration of {@link containerResources}. */
export interface ContainerResourcesConfig {
    /** Resources every container must request. Default: cpu and memory. */
    requests: string[];
    /** Resources every container must limit. Default: cpu and memory. */
    limits: string[];
}

export const CONTAINER_RESOURCES_DEFAULTS: ContainerResourcesConfig = {
    requests: ["cpu", "memory"],
    limits: ["cpu", "memory"],
};

const resourceNames = (what: string, defaults: string[]) => ({
    type: "array" as const,
    items: { type: "string" as const, minLength: 1 },
    uniqueItems: true,
    description: `Resources every container must ${what}.`,
    default: [...defaults],
});

/**
 * Every container, init containers included (they count toward the pod's
 * requests), requests and limits cpu and memory, so one learner's lab cannot
 * starve the others on a shared cluster.
 */
export const containerResources: ResourceValidationPolicy = {
    name: "container-resources",
    description: "Every container sets cpu and memory requests and limits.",
    // Advisory: a lab on a learner's own laptop cluster may reasonably run without limits
    // (many clusters omit cpu limits on purpose); the `limits` knob narrows what is required.
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: {
        properties: {
            requests: resourceNames("request", CONTAINER_RESOURCES_DEFAULTS.requests),
            limits: resourceNames("limit", CONTAINER_RESOURCES_DEFAULTS.limits),
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
