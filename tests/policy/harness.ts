/**
 * Runs a policy's validations directly, the way the analyzer would, without
 * starting the pack's server: a fake `args`, and a collector for `reportViolation`.
 */
import { policies } from "../../policy/policies";
import { compliantContainer } from "../../policy/testdata/noncompliant/objects";

export type Policy = (typeof policies)[number];
/** A policy that sees the whole stack at once. */
export type StackPolicy = Extract<Policy, { validateStack: unknown }>;
/** A policy that sees one resource at a time. */
export type ResourcePolicy = Exclude<Policy, StackPolicy>;

export const isStackPolicy = (p: Policy): p is StackPolicy => "validateStack" in p;

/** A resource as the analyzer sees it: its type token, its properties as plain JSON and its Pulumi name. */
export interface FakeResource {
    type: string;
    props: any;
    name: string;
    /** For stack policies: the resources each property depends on. Default: none. */
    propertyDependencies?: Record<string, FakeResource[]>;
}

/** The URN a fake resource gets, as the engine would name it. */
export const urnOf = (r: FakeResource) => `urn:pulumi:test::podlab::${r.type}::${r.name}`;

/** The parts of `args` both kinds of validation share. */
function commonArgs(config: object) {
    return {
        stackTags: new Map<string, string>(),
        getConfig: () => config,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
}

/** A fake resource's fields as both kinds of validation see them. */
function asPolicyResource(r: FakeResource) {
    return {
        type: r.type,
        props: r.props,
        name: r.name,
        urn: urnOf(r),
        opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: {} },
        isType: () => false,
        asType: () => undefined,
    };
}

const synchronous = (policy: Policy, result: unknown) => {
    if (result instanceof Promise) {
        throw new Error(`policy ${policy.name} validates asynchronously; this harness expects synchronous policies`);
    }
};

/** The messages a resource policy reports for one resource, with the given policy config. */
export function violations(policy: ResourcePolicy, resource: FakeResource, config: object = {}): string[] {
    const found: string[] = [];
    const args = { ...asPolicyResource(resource), ...commonArgs(config) };
    const v = policy.validateResource;
    for (const validate of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
        synchronous(policy, validate(args as any, (message: string) => found.push(message)));
    }
    return found;
}

/** What a stack policy reports for a stack of these resources: each message with the URN it names, if any. */
export function stackReports(policy: StackPolicy, resources: FakeResource[], config: object = {}): { message: string; urn?: string }[] {
    const found: { message: string; urn?: string }[] = [];
    const built = new Map<FakeResource, any>();
    const build = (r: FakeResource): any => {
        if (!built.has(r)) {
            const resource: any = { ...asPolicyResource(r), dependencies: [], propertyDependencies: {} };
            built.set(r, resource);
            for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) {
                resource.propertyDependencies[key] = deps.map(build);
            }
        }
        return built.get(r);
    };
    const args = { resources: resources.map(build), ...commonArgs(config) };
    synchronous(policy, policy.validateStack(args as any, (message: string, urn?: string) => found.push({ message, urn })));
    return found;
}

/** The messages a stack policy reports for a stack of these resources. */
export function stackViolations(policy: StackPolicy, resources: FakeResource[], config: object = {}): string[] {
    return stackReports(policy, resources, config).map((r) => r.message);
}

/** Every violation every policy reports for a stack of these resources, prefixed with the policy's name. */
export function allViolations(resources: FakeResource[]): string[] {
    return policies.flatMap((p) =>
        (isStackPolicy(p) ? stackViolations(p, resources) : resources.flatMap((r) => violations(p, r))).map((m) => `${p.name}: ${m}`),
    );
}

/** A container `web` that passes every policy; override what a test needs to break. */
export function goodContainer(overrides: Record<string, unknown> = {}): any {
    return compliantContainer({ name: "web", ...overrides });
}

export const LABELS = { "app.kubernetes.io/part-of": "podlab", "app.kubernetes.io/managed-by": "pulumi" };

/** A Pod `lab/web` with the given containers and extra pod spec fields. */
export function pod(containers: any[], spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): FakeResource {
    return {
        type: "kubernetes:core/v1:Pod",
        name: "web-pod",
        props: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "web", namespace: "lab", labels: { ...LABELS }, ...metadata },
            spec: { containers, ...spec },
        },
    };
}

/** The type token and the path from the object to its pod template, for each workload kind. */
export const WORKLOADS: Record<string, { type: string; wrap: (template: any) => any }> = {
    Deployment: { type: "kubernetes:apps/v1:Deployment", wrap: (template) => ({ spec: { replicas: 1, template } }) },
    StatefulSet: { type: "kubernetes:apps/v1:StatefulSet", wrap: (template) => ({ spec: { serviceName: "web", template } }) },
    DaemonSet: { type: "kubernetes:apps/v1:DaemonSet", wrap: (template) => ({ spec: { template } }) },
    ReplicaSet: { type: "kubernetes:apps/v1:ReplicaSet", wrap: (template) => ({ spec: { template } }) },
    Job: { type: "kubernetes:batch/v1:Job", wrap: (template) => ({ spec: { template } }) },
    CronJob: { type: "kubernetes:batch/v1:CronJob", wrap: (template) => ({ spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } }) },
};

/** A workload `lab/web` of the given kind whose pod template has the given containers. */
export function workload(kind: string, containers: any[], spec: Record<string, unknown> = {}): FakeResource {
    const w = WORKLOADS[kind];
    const template = { metadata: { labels: { ...LABELS, app: "web" } }, spec: { containers, ...spec } };
    return {
        type: w.type,
        name: "web-workload",
        props: { metadata: { name: "web", namespace: "lab", labels: { ...LABELS } }, ...w.wrap(template) },
    };
}
