import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podLabels } from "./podSpec";
import { assertDnsLabel } from "./validation";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/**
 * What a learner may do in their own namespace: what the Pod lesson needs and
 * nothing that loosens a fence. Pods (to look, and to try pods of their own,
 * which Pod Security and the quota still bound), exec, logs and port-forward;
 * reading the environment's Secrets and ConfigMaps (the postgres passwords,
 * nginx's page); events. No rights on namespaces (a learner could relabel
 * theirs away from `restricted`), ResourceQuota, LimitRange, NetworkPolicy,
 * Roles, RoleBindings or ServiceAccount tokens, and nothing cluster-wide.
 */
export const LEARNER_RULES: ReadonlyArray<PolicyRule> = [
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "delete"] },
    // exec and port-forward are upgraded connections: "create" for SPDY, "get" for WebSocket clients.
    { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["get", "create"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["get", "list", "watch"] },
];

/**
 * The kinds a learner can create objects of, as ResourceQuota `count/<resource>[.<group>]`
 * names: every resource (not subresource) the rules grant `create` on. The
 * quota counts each of them (environmentQuota.ts).
 */
export function learnerCreatableCounts(rules: ReadonlyArray<PolicyRule> = LEARNER_RULES): string[] {
    const kinds = rules
        .filter((r) => (r.verbs as string[]).includes("create"))
        .flatMap((r) => (r.apiGroups as string[]).flatMap((g) => (r.resources as string[]).filter((res) => !res.includes("/")).map((res) => `count/${res}${g === "" ? "" : `.${g}`}`)));
    return [...new Set(kinds)].sort();
}

/** Defaults of {@link LearnerAccessArgs}, stated once. */
export const LEARNER_ACCESS_DEFAULTS = {
    serviceAccountName: "learner",
} as const;

export interface LearnerAccessArgs {
    /** The environment's namespace: the only place these rights apply. */
    readonly namespace: pulumi.Input<string>;
    /** Name of the ServiceAccount, and of its Role and RoleBinding. Default: `learner`. */
    readonly serviceAccountName?: string;
    /** Extra labels on every object (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A learner's identity in one environment: a ServiceAccount bound to a Role in
 * that namespace only. Its credentials are short-lived tokens from the
 * TokenRequest API (`npm run course -- credentials`), never a long-lived token
 * Secret, so nothing here holds a credential. The namespace's default
 * ServiceAccount, which every pod here runs as, mounts no token.
 */
export class LearnerAccess extends pulumi.ComponentResource {
    /** The ServiceAccount a learner's token is issued for. */
    public readonly serviceAccountName: pulumi.Output<string>;
    /** The Role that says what the learner may do. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: LearnerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const accountName = assertDnsLabel(`LearnerAccess ${name}: serviceAccountName`, args.serviceAccountName ?? LEARNER_ACCESS_DEFAULTS.serviceAccountName);
        super("podlab:index:LearnerAccess", name, {}, opts);
        const labels = podLabels("learner-access", accountName, "access", args.labels);
        const metadata = { name: accountName, namespace: args.namespace, labels };

        const account = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            // Learners use the API from outside; no pod ever needs this account's token mounted.
            { metadata, automountServiceAccountToken: false },
            { parent: this },
        );
        const role = new k8s.rbac.v1.Role(`${name}-role`, { metadata, rules: [...LEARNER_RULES] }, { parent: this });
        new k8s.rbac.v1.RoleBinding(
            `${name}-binding`,
            {
                metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
            },
            { parent: this },
        );
        // The ServiceAccount admission plugin mounts a token into every pod of an account that
        // automounts, before validating admission runs. The namespace's default account is the one
        // a learner's pods run as (admissionRules.ts allows no other), so it mounts none: a pod that
        // says nothing gets no token, and one that asks for a token is refused, saying what to write.
        // A server-side-apply patch of the object the ServiceAccount controller creates.
        new k8s.core.v1.ServiceAccountPatch(
            `${name}-default-account`,
            { metadata: { name: "default", namespace: args.namespace }, automountServiceAccountToken: false },
            { parent: this },
        );
        this.serviceAccountName = account.metadata.name;
        this.roleName = role.metadata.name;
        this.registerOutputs({ serviceAccountName: this.serviceAccountName, roleName: this.roleName });
    }
}
