import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describeObject, parseKubernetesType, safeRead, show } from "./podSpecs";
import { stringListSetting } from "./settings";

/** Configuration of {@link leastPrivilegeRbac}. */
export interface LeastPrivilegeRbacConfig {
    /** Resources no rule may grant any verb on (`resource`, or `resource/subresource`): the fences, and the rights that change rights. */
    protectedResources: string[];
    /** Verbs no rule may grant: each lets its holder gain rights it was not given. */
    forbiddenVerbs: string[];
    /** Whether the program may create ClusterRoles and ClusterRoleBindings. Default: false. */
    allowClusterWide: boolean;
    /** ClusterRoles a binding may reference. Their rules live outside the stack, where this policy cannot read them. Default: none. */
    bindableClusterRoles: string[];
}

export const LEAST_PRIVILEGE_RBAC_DEFAULTS: LeastPrivilegeRbacConfig = {
    protectedResources: [
        // A learner who can relabel their namespace can leave Pod Security `restricted`.
        "namespaces",
        // The quota, the container defaults and the network fence.
        "resourcequotas",
        "limitranges",
        "networkpolicies",
        // Rights to change rights.
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
        // Minting tokens for another ServiceAccount borrows its rights.
        "serviceaccounts/token",
        // An ephemeral container declares no resources (it escapes the quota); a binding picks the pod's node.
        "pods/ephemeralcontainers",
        "pods/binding",
        // The admission fence itself.
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
    ],
    forbiddenVerbs: ["escalate", "bind", "impersonate"],
    allowClusterWide: false,
    bindableClusterRoles: [],
};

/** Groups that hold every client (or every ServiceAccount): a binding to one hands the role to every learner. */
const EVERYONE_GROUPS: readonly string[] = ["system:authenticated", "system:unauthenticated", "system:serviceaccounts"];
/** The group of every ServiceAccount in one namespace is this prefix plus the namespace. */
const NAMESPACE_SERVICEACCOUNTS_GROUP = "system:serviceaccounts:";

const RBAC_GROUP = "rbac.authorization.k8s.io";

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** What is wrong with one PolicyRule, each problem with the offending values. */
function ruleProblems(rule: any, config: LeastPrivilegeRbacConfig): string[] {
    const verbs = stringList(rule?.verbs);
    const resources = stringList(rule?.resources);
    const problems: string[] = [];
    if (verbs.includes("*")) {
        problems.push(`grants every verb (verbs ${show(rule.verbs)})`);
    }
    if (stringList(rule?.apiGroups).includes("*")) {
        problems.push(`covers every API group (apiGroups ${show(rule.apiGroups)})`);
    }
    if (resources.some((r) => r.includes("*"))) {
        problems.push(`covers resources by wildcard (resources ${show(rule.resources)})`);
    }
    if (stringList(rule?.nonResourceURLs).some((u) => u.includes("*"))) {
        problems.push(`covers non-resource URLs by wildcard (nonResourceURLs ${show(rule.nonResourceURLs)})`);
    }
    // Rights on a subresource (namespaces/status) are rights on the protected resource too.
    const fenced = resources.filter((r) => config.protectedResources.some((p) => r === p || r.startsWith(`${p}/`)));
    if (fenced.length > 0) {
        problems.push(`grants rights on ${fenced.join(", ")}, which would let a learner loosen a fence (verbs ${show(rule.verbs)})`);
    }
    const forbidden = verbs.filter((v) => config.forbiddenVerbs.includes(v));
    if (forbidden.length > 0) {
        problems.push(`grants ${forbidden.join(", ")}, which lets its holder gain rights it was not given (verbs ${show(rule.verbs)})`);
    }
    return problems;
}

/** What is wrong with one subject of a binding in `namespace` (undefined for a ClusterRoleBinding, or unknown during preview). */
function subjectProblem(subject: any, namespace: string | undefined): string | undefined {
    const kind = subject?.kind;
    // A ServiceAccount's name and namespace are often outputs of other resources, unknown during a preview.
    const name = knownString(() => subject?.name);
    if (kind === "Group" && name !== undefined && EVERYONE_GROUPS.includes(name)) {
        return `binds group ${name}, which holds every learner (subject ${show(subject)})`;
    }
    if (namespace === undefined) {
        return undefined;
    }
    const subjectNamespace = knownString(() => subject?.namespace);
    if (kind === "ServiceAccount" && subjectNamespace !== undefined && subjectNamespace !== namespace) {
        return `binds a ServiceAccount of another namespace, ${subjectNamespace} (subject ${show(subject)})`;
    }
    if (kind === "Group" && name?.startsWith(NAMESPACE_SERVICEACCOUNTS_GROUP) && name !== `${NAMESPACE_SERVICEACCOUNTS_GROUP}${namespace}`) {
        return `binds the ServiceAccounts of another namespace (subject ${show(subject)})`;
    }
    return undefined;
}

/** A non-empty string value, or undefined when it is unset or not known yet (a preview). */
function knownString(read: () => unknown): string | undefined {
    const value = safeRead(read);
    return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Least privilege for learners. The RBAC objects a program creates give
 * learners what the lesson needs and nothing that loosens a fence: no wildcard
 * verbs, resources or API groups; no rights at all on namespaces, quotas,
 * LimitRanges, NetworkPolicies, RBAC objects or ServiceAccount tokens; no
 * escalate, bind or impersonate. Bindings hand a role only to subjects of
 * their own namespace, never to a group that holds everyone, and bind a
 * ClusterRole (whose rules live outside the stack) only when the config names
 * it. podlab creates no cluster-wide RBAC, so by default a ClusterRole or
 * ClusterRoleBinding is refused outright.
 */
export const leastPrivilegeRbac: ResourceValidationPolicy = {
    name: "least-privilege-rbac",
    description:
        "Roles and bindings give learners least privilege: no wildcards, no rights on namespaces, quotas, LimitRanges, " +
        "NetworkPolicies, RBAC or ServiceAccount tokens, no escalate/bind/impersonate, nothing cluster-wide.",
    // Mandatory: one such right lets a learner undo their own fences (relabel the namespace out
    // of `restricted`, delete the NetworkPolicy or the quota) or act as someone else.
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            protectedResources: stringListSetting("Resources (or resource/subresource) no rule may grant any verb on.", LEAST_PRIVILEGE_RBAC_DEFAULTS.protectedResources),
            forbiddenVerbs: stringListSetting("Verbs no rule may grant.", LEAST_PRIVILEGE_RBAC_DEFAULTS.forbiddenVerbs),
            allowClusterWide: {
                type: "boolean",
                description: "Whether ClusterRoles and ClusterRoleBindings may be created.",
                default: LEAST_PRIVILEGE_RBAC_DEFAULTS.allowClusterWide,
            },
            bindableClusterRoles: stringListSetting("ClusterRoles a RoleBinding or ClusterRoleBinding may reference.", LEAST_PRIVILEGE_RBAC_DEFAULTS.bindableClusterRoles),
        },
    },
    validateResource: (args, reportViolation) => {
        const t = parseKubernetesType(args.type);
        if (!t || t.group !== RBAC_GROUP) {
            return;
        }
        const config = { ...LEAST_PRIVILEGE_RBAC_DEFAULTS, ...args.getConfig<Partial<LeastPrivilegeRbacConfig>>() };
        const what = describeObject(args);
        const clusterWide = t.kind === "ClusterRole" || t.kind === "ClusterRoleBinding";
        if (clusterWide && !config.allowClusterWide) {
            reportViolation(`${what}: cluster-wide RBAC, where a learner's rights must stay in their own namespace (allowClusterWide false)`);
        }
        if (t.kind === "Role" || t.kind === "ClusterRole") {
            const rules: any[] = Array.isArray(args.props.rules) ? args.props.rules : [];
            rules.forEach((rule, i) => {
                for (const problem of ruleProblems(rule, config)) {
                    reportViolation(`${what}: rules[${i}] ${problem}`);
                }
            });
            if (args.props.aggregationRule !== undefined && args.props.aggregationRule !== null) {
                reportViolation(`${what}: aggregationRule pulls in other ClusterRoles' rules, which this policy cannot read (aggregationRule ${show(args.props.aggregationRule)})`);
            }
        }
        if (t.kind === "RoleBinding" || t.kind === "ClusterRoleBinding") {
            const roleRef = args.props.roleRef;
            if (roleRef?.kind === "ClusterRole" && !config.bindableClusterRoles.includes(String(roleRef.name))) {
                reportViolation(`${what}: binds ClusterRole ${String(roleRef.name)}, whose rules live outside the stack (roleRef ${show(roleRef)})`);
            }
            const namespace = t.kind === "RoleBinding" ? knownString(() => args.props.metadata?.namespace) : undefined;
            const subjects: any[] = Array.isArray(args.props.subjects) ? args.props.subjects : [];
            subjects.forEach((subject, i) => {
                const problem = subjectProblem(subject, namespace);
                if (problem !== undefined) {
                    reportViolation(`${what}: subjects[${i}] ${problem}`);
                }
            });
        }
    },
};
