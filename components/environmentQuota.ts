import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { learnerCreatableCounts } from "./learnerAccess";
import { RESOURCE_NAMES, ResourceAmounts, ResourceName, ResourceSpec, podLabels } from "./podSpec";
import { assertIntInRange, parseCpuMillis, parseMemoryBytes } from "./validation";

/**
 * What a container gets when its pod does not say (a learner's own `kubectl run`):
 * the LimitRange fills these in, and the quota's headroom is counted in them.
 */
export const LIMIT_RANGE_DEFAULTS: ResourceSpec = {
    requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "32Mi" },
    limits: { cpu: "250m", memory: "128Mi", "ephemeral-storage": "128Mi" },
};

/** Defaults of {@link EnvironmentQuotaArgs}, stated once. */
export const ENVIRONMENT_QUOTA_DEFAULTS = {
    extraPods: 2,
} as const;

/** More extra pods than this is a typo, not a lesson. */
export const MAX_EXTRA_PODS = 20;

/** Objects of each kind a learner may create, other than pods (which are counted as pods are): none today (learnerAccess.ts). */
export const LEARNER_OBJECTS_PER_KIND = 10;

export interface EnvironmentQuotaArgs {
    /** The environment's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** podlab's own pods in the namespace, as each one's container resources: the quota makes room for exactly these. */
    readonly pods: ReadonlyArray<ReadonlyArray<ResourceSpec>>;
    /** Pods a learner may start beside podlab's own, each counted at the LimitRange defaults, 0-20. Default: 2. */
    readonly extraPods?: number;
    /** Extra labels on both objects (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The ResourceQuota's `hard` for the given pods plus `extraPods` pods of one
 * default-sized container each: cpu, memory and ephemeral storage (requests and
 * limits); pods counted twice, as `pods` (those not finished) and `count/pods`
 * (all of them: a finished pod frees a `pods` slot but stays in etcd, its logs
 * on the node's disk); a count for every other kind the learner's Role lets
 * them create; no PersistentVolumeClaims or storage (a generic ephemeral
 * volume would make one), no LoadBalancer or NodePort services.
 */
export function quotaHard(pods: ReadonlyArray<ReadonlyArray<ResourceSpec>>, extraPods: number): Record<string, string> {
    const containers = [...pods.flat(), ...Array.from({ length: extraPods }, () => LIMIT_RANGE_DEFAULTS)];
    const podCount = String(pods.length + extraPods);
    const hard: Record<string, string> = { pods: podCount };
    for (const count of learnerCreatableCounts()) {
        hard[count] = count === "count/pods" ? podCount : String(LEARNER_OBJECTS_PER_KIND);
    }
    for (const kind of ["requests", "limits"] as const) {
        for (const resource of RESOURCE_NAMES) {
            hard[`${kind}.${resource}`] = sumQuantities(resource, containers.map((c) => c[kind][resource]));
        }
    }
    // Zero in total covers every StorageClass, so no per-class entries.
    return { ...hard, persistentvolumeclaims: "0", "requests.storage": "0", "services.loadbalancers": "0", "services.nodeports": "0" };
}

/**
 * The LimitRange's items. Container: the defaults a container without
 * requests and limits gets, and a `max` of the largest container podlab
 * itself runs (or the default, if larger). Pod: a `max` of the largest pod
 * (its containers' limits summed). So a learner who deletes podlab's pods
 * cannot spend the freed quota on one giant pod. No `min`: the quota bounds
 * the sum and `count/pods` the number, and a tiny request harms only its own pod.
 */
export function limitRangeItems(pods: ReadonlyArray<ReadonlyArray<ResourceSpec>>): k8s.types.input.core.v1.LimitRangeItem[] {
    const candidates = [...pods, [LIMIT_RANGE_DEFAULTS]];
    const largest = (amounts: ReadonlyArray<(resource: ResourceName) => string>): ResourceAmounts =>
        Object.fromEntries(RESOURCE_NAMES.map((r) => [r, sumQuantities(r, [maxQuantity(r, amounts.map((a) => a(r)))])])) as ResourceAmounts;
    const containerMax = largest(candidates.flat().map((c) => (r: ResourceName) => c.limits[r]));
    const podMax = largest(candidates.map((pod) => (r: ResourceName) => sumQuantities(r, pod.map((c) => c.limits[r]))));
    return [
        { type: "Container", defaultRequest: { ...LIMIT_RANGE_DEFAULTS.requests }, default: { ...LIMIT_RANGE_DEFAULTS.limits }, max: containerMax },
        { type: "Pod", max: podMax },
    ];
}

function maxQuantity(resource: ResourceName, quantities: string[]): string {
    const size = (q: string) => (resource === "cpu" ? parseCpuMillis(q) : parseMemoryBytes(q));
    return quantities.reduce((a, b) => (size(b) > size(a) ? b : a));
}

function sumQuantities(resource: ResourceName, quantities: string[]): string {
    if (resource === "cpu") {
        return `${quantities.reduce((n, q) => n + parseCpuMillis(q), 0)}m`;
    }
    const bytes = quantities.reduce((n, q) => n + parseMemoryBytes(q), 0);
    return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}Mi` : String(bytes);
}

/**
 * What one environment may consume: a ResourceQuota sized for podlab's own pods
 * plus a few of the learner's, and a LimitRange that gives a container without
 * requests and limits the defaults (a quota on limits refuses such a pod otherwise)
 * and bounds one container and one pod by the largest podlab runs.
 * Every pod podlab itself puts in the namespace (the workbench too) belongs in `pods`.
 * Pods that depend on this component are created after the quota has room for them.
 */
export class EnvironmentQuota extends pulumi.ComponentResource {
    /** The quota's hard limits, as sent to the cluster. */
    public readonly hard: Record<string, string>;

    constructor(name: string, args: EnvironmentQuotaArgs, opts?: pulumi.ComponentResourceOptions) {
        const extraPods = assertIntInRange(`EnvironmentQuota ${name}: extraPods`, args.extraPods ?? ENVIRONMENT_QUOTA_DEFAULTS.extraPods, 0, MAX_EXTRA_PODS);
        const hard = quotaHard(args.pods, extraPods);
        super("podlab:index:EnvironmentQuota", name, {}, opts);
        this.hard = hard;
        const labels = podLabels("environment-quota", name, "quota", args.labels);
        new k8s.core.v1.ResourceQuota(`${name}-quota`, { metadata: { name: "environment", namespace: args.namespace, labels }, spec: { hard } }, { parent: this });
        new k8s.core.v1.LimitRange(
            `${name}-limits`,
            {
                metadata: { name: "container-defaults", namespace: args.namespace, labels },
                spec: { limits: limitRangeItems(args.pods) },
            },
            { parent: this },
        );
        this.registerOutputs({ hard });
    }
}
