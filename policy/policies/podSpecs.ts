/**
 * Finds the pod spec in any Kubernetes object the pack sees, so each policy
 * is written once for Pods and for every workload with a pod template.
 *
 * Policies read `args.type` and `args.props` as plain JSON: the pack needs no
 * @pulumi/kubernetes. During a preview the engine hands props through a proxy
 * that throws when a policy reads a value not known yet; the policy pack turns
 * that into an advisory "can't run during preview" note, which is right for a
 * computed image or port. Only the names used in messages are read defensively,
 * so a namespace created in the same update never stops a check.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";

/** What a validation reads from its arguments; unit tests pass just these. */
export type ResourceLike = Pick<ResourceValidationArgs, "type" | "props" | "name">;

/** Stands for a value the engine does not know yet. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * Reads a value that only labels a message. Plain JSON reads cannot throw, so an
 * error here is the preview proxy's "unknown value": it becomes {@link UNKNOWN}.
 */
export function safeRead<T>(read: () => T): T | typeof UNKNOWN {
    try {
        return read();
    } catch {
        return UNKNOWN;
    }
}

/** A Kubernetes type token split apart: `kubernetes:apps/v1:Deployment`. */
export interface KubernetesType {
    group: string;
    version: string;
    kind: string;
}

/** Splits `kubernetes:<group>/<version>:<Kind>`; anything else (providers, other packages, yaml/helm components) is undefined. */
export function parseKubernetesType(type: string): KubernetesType | undefined {
    const m = /^kubernetes:([^/:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(type);
    return m ? { group: m[1], version: m[2], kind: m[3] } : undefined;
}

/**
 * The path from each kind's object to its pod template (the object holding the
 * pod's `metadata` and `spec`; for a Pod, the Pod itself). `*Patch` kinds are
 * partial and not checked.
 */
const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
    Pod: [],
    Deployment: ["spec", "template"],
    StatefulSet: ["spec", "template"],
    DaemonSet: ["spec", "template"],
    ReplicaSet: ["spec", "template"],
    Job: ["spec", "template"],
    CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** Kinds whose containers are meant to keep running (not Job or CronJob: those run to completion). */
const LONG_RUNNING_KINDS: ReadonlySet<string> = new Set(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]);

/** Every kind with a pod spec, for documentation and tests. */
export const POD_KINDS: readonly string[] = Object.keys(POD_TEMPLATE_PATHS);

/** One container of a pod spec, with where it came from. */
export interface PodContainer {
    /** The container as declared (plain JSON). */
    readonly spec: any;
    /** Its name, or `containers[i]` when it has none. */
    readonly name: string;
    /** `containers` or `initContainers`. */
    readonly list: "containers" | "initContainers";
    /** An init container with `restartPolicy: Always` (a native sidecar), which runs beside the app containers. */
    readonly restartableInit: boolean;
    /** `<pod>: container <name>`, the prefix of every message about this container. */
    readonly where: string;
}

/** The pod spec of one Kubernetes object. */
export interface PodView {
    /** The object's kind: Pod, Deployment, ... */
    readonly kind: string;
    /** `pod <namespace>/<name>`, or `<kind> <namespace>/<name> (pod template)` for a workload. */
    readonly describe: string;
    /** The pod spec (plain JSON). */
    readonly spec: any;
    /** The pod's metadata: the Pod's own, or the pod template's (plain JSON, may be undefined). */
    readonly metadata: any;
    /** True for Pods and Deployment/StatefulSet/DaemonSet/ReplicaSet templates. */
    readonly longRunning: boolean;
    /** Init containers first, then app containers. */
    readonly containers: readonly PodContainer[];
}

/** The pod spec(s) of a resource: one for a Pod or workload, none for anything else. */
export function podSpecsOf(args: ResourceLike): PodView[] {
    const t = parseKubernetesType(args.type);
    const path = t && POD_TEMPLATE_PATHS[t.kind];
    if (!t || !path) {
        return [];
    }
    let template: any = args.props;
    for (const key of path) {
        template = template?.[key];
    }
    const spec = template?.spec;
    if (!spec || typeof spec !== "object") {
        return [];
    }
    const describe = t.kind === "Pod" ? describeObject(args) : `${describeObject(args)} (pod template)`;
    const containers: PodContainer[] = [];
    for (const list of ["initContainers", "containers"] as const) {
        const declared: any[] = Array.isArray(spec[list]) ? spec[list] : [];
        declared.forEach((c, i) => {
            const declaredName = safeRead(() => c?.name);
            const name = typeof declaredName === "string" && declaredName !== "" ? declaredName : `${list}[${i}]`;
            containers.push({
                spec: c ?? {},
                name,
                list,
                restartableInit: list === "initContainers" && c?.restartPolicy === "Always",
                where: `${describe}: container ${name}`,
            });
        });
    }
    return [{ kind: t.kind, describe, spec, metadata: template.metadata, longRunning: LONG_RUNNING_KINDS.has(t.kind), containers }];
}

/**
 * `<namespace>/<name>` of an object, for messages: just `<name>` when no namespace
 * is set (cluster-scoped, or the provider's default namespace), and `<computed>`
 * for a part only known after an update (a namespace created in the same stack,
 * during preview). An object without `metadata.name` is auto-named by the
 * provider, so its Pulumi name stands in.
 */
export function objectId(args: ResourceLike): string {
    const ns = safeRead(() => args.props?.metadata?.namespace);
    const name = safeRead(() => args.props?.metadata?.name);
    const nameText = name === UNKNOWN ? "<computed>" : typeof name === "string" && name !== "" ? name : args.name;
    if (ns === UNKNOWN) {
        return `<computed>/${nameText}`;
    }
    return typeof ns === "string" && ns !== "" ? `${ns}/${nameText}` : nameText;
}

/** `pod <id>` for a Pod, `<Kind> <id>` for any other object. */
export function describeObject(args: ResourceLike): string {
    const kind = parseKubernetesType(args.type)?.kind ?? args.type;
    return `${kind === "Pod" ? "pod" : kind} ${objectId(args)}`;
}

/** `label <key> is not "<value>" (<actual>)` for each label of `required` that `labels` lacks or sets otherwise. */
export function labelProblems(labels: any, required: Readonly<Record<string, string>>): string[] {
    return Object.entries(required)
        .filter(([key, expected]) => labels?.[key] !== expected)
        .map(([key, expected]) => `label ${key} is not ${JSON.stringify(expected)} (${show(labels?.[key])})`);
}

/** A value as it appears in a message: JSON, or `unset`. */
export function show(value: unknown): string {
    return value === undefined ? "unset" : JSON.stringify(value);
}
