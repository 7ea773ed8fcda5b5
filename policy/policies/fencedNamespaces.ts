import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, describeObject, labelProblems, parseKubernetesType, safeRead, show } from "./podSpecs";
import { labelMapSetting, stringListSetting } from "./settings";

/**
 * Pod Security admission labels at the `restricted` level. The same values as
 * `RESTRICTED_POD_SECURITY` in components/podSpec.ts: the pack does not
 * import the program it checks, and a root test asserts the two are equal.
 */
export const RESTRICTED_POD_SECURITY: Readonly<Record<string, string>> = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
};

/** Configuration of {@link fencedNamespaces}. */
export interface FencedNamespacesConfig {
    /** Label name to required value on every Namespace. Default: {@link RESTRICTED_POD_SECURITY}. */
    podSecurityLabels: Record<string, string>;
    /** `hard` entries a ResourceQuota without scopes must set (`requests.cpu` is also met by its alias `cpu`). */
    quotaBounds: string[];
    /** `hard` entries a ResourceQuota without scopes must set to 0. Default: LoadBalancer and NodePort services. */
    quotaForbids: string[];
    /** Resources a LimitRange must give every container a default limit (and so request) for. */
    containerDefaults: string[];
    /** Resources a LimitRange must bound one container's limit of (`max`), so freed quota cannot go to one giant pod. */
    containerMaximums: string[];
}

/**
 * The namespace label that says which admission fence covers it. The same as
 * `FENCE_LABEL` in components/admissionFence.ts (a root test asserts it):
 * `course` means the course's own stack holds the policy, outside this stack.
 */
export const FENCE_LABEL = "podlab.dev/fence";

export const FENCED_NAMESPACES_DEFAULTS: FencedNamespacesConfig = {
    podSecurityLabels: { ...RESTRICTED_POD_SECURITY },
    quotaBounds: ["pods", "count/pods", "requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "requests.ephemeral-storage", "limits.ephemeral-storage"],
    quotaForbids: ["persistentvolumeclaims", "requests.storage", "services.loadbalancers", "services.nodeports"],
    containerDefaults: ["cpu", "memory", "ephemeral-storage"],
    containerMaximums: ["cpu", "memory", "ephemeral-storage"],
};

/** What a stack validation reads of each resource; unit tests pass just these. */
export type StackResourceLike = Pick<PolicyResource, "type" | "props" | "name" | "urn" | "propertyDependencies">;

/** The objects that fence a namespace, by kind, with their API group. */
const FENCE_GROUPS = { NetworkPolicy: "networking.k8s.io", ResourceQuota: "core", LimitRange: "core" } as const;
type FenceKind = keyof typeof FENCE_GROUPS;
const FENCE_KINDS = Object.keys(FENCE_GROUPS) as FenceKind[];

const ADMISSION_GROUP = "admissionregistration.k8s.io";
type AdmissionKind = "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding";

function isKind(r: StackResourceLike, kind: "Namespace" | FenceKind | AdmissionKind): boolean {
    const t = parseKubernetesType(r.type);
    const group = kind === "Namespace" ? "core" : kind.startsWith("ValidatingAdmission") ? ADMISSION_GROUP : FENCE_GROUPS[kind as FenceKind];
    return t !== undefined && t.kind === kind && t.group === group;
}

/** An object's `metadata.name` for messages, or its Pulumi name when auto-named (or not known yet). */
function nameOf(r: StackResourceLike): string {
    const name = safeRead(() => r.props.metadata?.name);
    return typeof name === "string" && name !== "" ? name : r.name;
}

/*
 * Names that decide which namespace an object fences may be unknown during a
 * preview. Where they cannot be found another way, they are read again unguarded:
 * the preview's unknown-value error then makes the pack report that the policy
 * could not run, instead of a false violation.
 */

/** The name of a Namespace the stack creates. */
function namespaceName(ns: StackResourceLike): string {
    return safeRead(() => ns.props.metadata?.name) === UNKNOWN ? ns.props.metadata.name : nameOf(ns);
}

/**
 * The namespace an object is created in, or undefined for the provider's default.
 * One not known yet is the Namespace that the object's metadata depends on.
 */
function namespaceOf(r: StackResourceLike): string | undefined {
    const ns = safeRead(() => r.props.metadata?.namespace);
    if (ns !== UNKNOWN) {
        return typeof ns === "string" && ns !== "" ? ns : undefined;
    }
    const owners = (r.propertyDependencies?.metadata ?? [])
        .filter((d) => isKind(d, "Namespace"))
        .map((d) => safeRead(() => d.props.metadata?.name))
        .filter((name) => typeof name === "string");
    return owners.length === 1 ? (owners[0] as string) : r.props.metadata.namespace;
}

const isEmptySelector = (selector: any) =>
    Object.keys(selector?.matchLabels ?? {}).length === 0 && (!Array.isArray(selector?.matchExpressions) || selector.matchExpressions.length === 0);

/** Ingress is isolated by a policy whose policyTypes include it, or leave it out (Kubernetes then always adds Ingress). */
const coversIngress = (spec: any) => !Array.isArray(spec?.policyTypes) || spec.policyTypes.length === 0 || spec.policyTypes.includes("Ingress");

/** Why an ingress rule admits connections from everywhere, or undefined when its sources are limited. */
function openIngress(rule: any): string | undefined {
    const from = rule?.from;
    if (!Array.isArray(from) || from.length === 0) {
        return `admits every source (from ${show(from)})`;
    }
    for (const [j, peer] of from.entries()) {
        // No namespaceSelector means this namespace; an empty one means every namespace, whatever the podSelector.
        if (peer?.namespaceSelector !== undefined && peer.namespaceSelector !== null && isEmptySelector(peer.namespaceSelector)) {
            return `admits pods of every namespace (from[${j}] ${show(peer)})`;
        }
        if (typeof peer?.ipBlock?.cidr === "string" && peer.ipBlock.cidr.endsWith("/0")) {
            return `admits every address (from[${j}] ${show(peer)})`;
        }
    }
    return undefined;
}

/** A quota's `requests.<resource>` may also be written as plain `<resource>`. */
const quotaKeys = (key: string) => (key.startsWith("requests.") ? [key, key.slice("requests.".length)] : [key]);

const isSet = (v: unknown) => v !== undefined && v !== null && v !== "";
const isZeroQuantity = (v: unknown) => v === 0 || (typeof v === "string" && /^[+-]?(0+\.?0*|\.0+)([eE][+-]?\d+|[a-zA-Z]{0,2})$/.test(v));

/** What is missing from one namespace's fences, given the fencing objects created in it. */
function fenceProblems(namespace: StackResourceLike, fences: Record<FenceKind, StackResourceLike[]>, config: FencedNamespacesConfig): string[] {
    const problems = labelProblems(namespace.props.metadata?.labels, config.podSecurityLabels);

    const networkPolicies = fences.NetworkPolicy.filter((p) => coversIngress(p.props.spec));
    // An empty podSelector (or none) selects every pod of the namespace.
    if (!networkPolicies.some((p) => isEmptySelector(p.props.spec?.podSelector))) {
        problems.push(`no NetworkPolicy selects every pod for Ingress (NetworkPolicies ${show(fences.NetworkPolicy.map(nameOf))})`);
    }
    // NetworkPolicies add up: one rule open to everyone opens the pods it selects, whatever the others say.
    for (const p of networkPolicies) {
        const rules: any[] = Array.isArray(p.props.spec?.ingress) ? p.props.spec.ingress : [];
        rules.forEach((rule, i) => {
            const open = openIngress(rule);
            if (open !== undefined) {
                problems.push(`NetworkPolicy ${nameOf(p)}: ingress[${i}] ${open}`);
            }
        });
    }

    // A quota with scopes counts only the pods it matches, so it bounds nothing else.
    const unscoped = fences.ResourceQuota.filter((q) => !(q.props.spec?.scopes?.length > 0) && !isSet(q.props.spec?.scopeSelector));
    const hards: any[] = unscoped.map((q) => q.props.spec?.hard ?? {});
    const hard = unscoped.length > 0 ? Object.assign({}, ...hards) : undefined;
    const unbounded = config.quotaBounds.filter((key) => !hards.some((h) => quotaKeys(key).some((k) => isSet(h[k]))));
    if (unbounded.length > 0) {
        problems.push(`no ResourceQuota bounds ${unbounded.join(", ")} (hard ${show(hard)})`);
    }
    const allowed = config.quotaForbids.filter((key) => !hards.some((h) => isZeroQuantity(h[key])));
    if (allowed.length > 0) {
        problems.push(`no ResourceQuota sets ${allowed.join(", ")} to 0 (hard ${show(hard)})`);
    }

    // Kubernetes defaults a Container item's default limit to its max, and its default request to the default limit.
    const items: any[] = fences.LimitRange.flatMap((lr) => (Array.isArray(lr.props.spec?.limits) ? lr.props.spec.limits : [])).filter(
        (item) => item?.type === "Container",
    );
    const undefaulted = config.containerDefaults.filter((r) => !items.some((item) => isSet(item.default?.[r]) || isSet(item.max?.[r])));
    if (undefaulted.length > 0) {
        const defaults = items.length > 0 ? Object.assign({}, ...items.map((item) => item.default ?? {})) : undefined;
        problems.push(`no LimitRange gives containers a default limit for ${undefaulted.join(", ")} (Container default ${show(defaults)})`);
    }
    const unlimited = config.containerMaximums.filter((r) => !items.some((item) => isSet(item.max?.[r])));
    if (unlimited.length > 0) {
        const maxima = items.length > 0 ? Object.assign({}, ...items.map((item) => item.max ?? {})) : undefined;
        problems.push(`no LimitRange bounds one container's ${unlimited.join(", ")} (Container max ${show(maxima)})`);
    }
    return problems;
}

/**
 * Whether a ValidatingAdmissionPolicyBinding of the stack denies, for a policy
 * of the stack, in this namespace (its matchLabels all on the namespace, or its
 * name), or the namespace says a course's fence covers it.
 */
function admissionFenced(ns: StackResourceLike, bindings: StackResourceLike[], policyNames: Set<string>): boolean {
    const labels: Record<string, unknown> = { ...ns.props.metadata?.labels, "kubernetes.io/metadata.name": namespaceName(ns) };
    if (labels[FENCE_LABEL] === "course") {
        return true;
    }
    return bindings.some((b) => {
        const spec = b.props.spec;
        const selector = spec?.matchResources?.namespaceSelector;
        const matchLabels: Record<string, unknown> = selector?.matchLabels ?? {};
        return (
            policyNames.has(spec?.policyName) &&
            Array.isArray(spec?.validationActions) &&
            spec.validationActions.includes("Deny") &&
            !(Array.isArray(selector?.matchExpressions) && selector.matchExpressions.length > 0) &&
            Object.keys(matchLabels).length > 0 &&
            Object.entries(matchLabels).every(([k, v]) => labels[k] === v)
        );
    });
}

/**
 * Every Namespace the stack creates is a fenced environment: Pod Security
 * `restricted` enforced by its labels, and in it a NetworkPolicy that selects
 * every pod for Ingress (no rule admitting every source), a ResourceQuota that
 * bounds pods (finished ones too), cpu, memory and ephemeral storage and allows
 * no PersistentVolumeClaim, LoadBalancer or NodePort service, a LimitRange that
 * gives containers defaults (without which the quota refuses a pod that sets no
 * limits) and maximums, and an admission fence: a ValidatingAdmissionPolicy
 * binding of the stack that denies in it, or the label that says a course's
 * fence covers it. Only objects the same stack creates count; each violation
 * is reported on the Namespace.
 */
export const fencedNamespaces: StackValidationPolicy = {
    name: "fenced-namespaces",
    description:
        "Every Namespace the stack creates enforces Pod Security restricted, is under an admission fence, and holds a NetworkPolicy isolating ingress, " +
        "a ResourceQuota (pods, finished pods, cpu, memory, ephemeral storage, no claims, no LoadBalancer/NodePort) and a LimitRange with container defaults and maximums.",
    // Mandatory: podlab creates all of these in every namespace it makes, and a namespace missing
    // one is an environment other learners can reach, that one learner can fill, or that admits
    // privileged pods. A stack policy sees the whole stack, so `pulumi up` checks it after
    // applying the update; `pulumi preview` finds it before anything changes.
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            podSecurityLabels: labelMapSetting("Label name to the value every Namespace must carry.", FENCED_NAMESPACES_DEFAULTS.podSecurityLabels),
            quotaBounds: stringListSetting("ResourceQuota hard entries every namespace must set (in a quota without scopes).", FENCED_NAMESPACES_DEFAULTS.quotaBounds),
            quotaForbids: stringListSetting("ResourceQuota hard entries every namespace must set to 0.", FENCED_NAMESPACES_DEFAULTS.quotaForbids),
            containerDefaults: stringListSetting("Resources a LimitRange must give every container a default limit for.", FENCED_NAMESPACES_DEFAULTS.containerDefaults),
            containerMaximums: stringListSetting("Resources a LimitRange must bound one container's limit of.", FENCED_NAMESPACES_DEFAULTS.containerMaximums),
        },
    },
    validateStack: (args, reportViolation) => {
        const config = { ...FENCED_NAMESPACES_DEFAULTS, ...args.getConfig<Partial<FencedNamespacesConfig>>() };
        const namespaces = args.resources.filter((r) => isKind(r, "Namespace"));
        if (namespaces.length === 0) {
            return;
        }
        const fencesIn = new Map<string, Record<FenceKind, StackResourceLike[]>>(
            namespaces.map((ns) => [namespaceName(ns), { NetworkPolicy: [], ResourceQuota: [], LimitRange: [] }]),
        );
        for (const r of args.resources) {
            const kind = FENCE_KINDS.find((k) => isKind(r, k));
            if (kind !== undefined) {
                fencesIn.get(namespaceOf(r) ?? "")?.[kind].push(r);
            }
        }
        const bindings = args.resources.filter((r) => isKind(r, "ValidatingAdmissionPolicyBinding"));
        const policyNames = new Set(args.resources.filter((r) => isKind(r, "ValidatingAdmissionPolicy")).map(nameOf));
        for (const ns of namespaces) {
            const problems = fenceProblems(ns, fencesIn.get(namespaceName(ns))!, config);
            if (!admissionFenced(ns, bindings, policyNames)) {
                problems.push(
                    `no ValidatingAdmissionPolicyBinding of the stack denies in it, and it is not labelled ${FENCE_LABEL}=course (covered by a course's fence): ` +
                        `nothing refuses a learner's pod that asks for a priority class, a token or a host in a probe (labels ${show(ns.props.metadata?.labels)})`,
                );
            }
            for (const problem of problems) {
                reportViolation(`${describeObject(ns)}: ${problem}`, ns.urn);
            }
        }
    },
};
