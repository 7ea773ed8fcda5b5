/**
 * Runs a policy's validations directly, the way the analyzer would, without
 * starting the pack's server: a fake `args`, and a collector for `reportViolation`.
 */
import { policies } from "../../policy/policies";

export type Policy = (typeof policies)[number];

/** A resource as the analyzer sees it: its type token, its inputs as plain JSON and its Pulumi name. */
export interface FakeResource {
    type: string;
    props: any;
    name: string;
}

/** The messages a policy reports for one resource, with the given policy config. */
export function violations(policy: Policy, resource: FakeResource, config: object = {}): string[] {
    const found: string[] = [];
    const name = resource.name;
    const args = {
        type: resource.type,
        props: resource.props,
        name,
        urn: `urn:pulumi:test::podlab::${resource.type}::${name}`,
        opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: {} },
        stackTags: new Map<string, string>(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => config,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
    const v = policy.validateResource;
    for (const validate of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
        const result = validate(args as any, (message: string) => found.push(message));
        if (result instanceof Promise) {
            throw new Error(`policy ${policy.name} validates asynchronously; this harness expects synchronous policies`);
        }
    }
    return found;
}

/** Every violation every policy reports for one resource, prefixed with the policy's name. */
export function allViolations(resource: FakeResource): string[] {
    return policies.flatMap((p) => violations(p, resource).map((m) => `${p.name}: ${m}`));
}

/** A container that passes every policy; override what a test needs to break. */
export function goodContainer(overrides: Record<string, unknown> = {}): any {
    return {
        name: "web",
        image: "docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine",
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "250m", memory: "64Mi" } },
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 101,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        readinessProbe: { httpGet: { path: "/", port: 8080 } },
        ...overrides,
    };
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
