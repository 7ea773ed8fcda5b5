import { LEARNER_RULES } from "../../components/learnerAccess";
import { LEAST_PRIVILEGE_RBAC_DEFAULTS, leastPrivilegeRbac as policy } from "../../policy/policies/leastPrivilegeRbac";
import { LABELS, violations } from "./harness";

// The analyzer's preview proxy, as the policy pack wraps props (internal to @pulumi/policy, so required by path).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("../../policy/node_modules/@pulumi/policy/proxy");

const RBAC = "kubernetes:rbac.authorization.k8s.io/v1";

/** A Role `lab/learner` with these rules. */
const role = (...rules: any[]) => ({
    type: `${RBAC}:Role`,
    name: "learner-role",
    props: { metadata: { name: "learner", namespace: "lab", labels: LABELS }, rules },
});

/** A RoleBinding `lab/learner` (or a ClusterRoleBinding `learner`) of the given role to the given subjects. */
const binding = (roleRef: any, subjects: any[], kind = "RoleBinding") => ({
    type: `${RBAC}:${kind}`,
    name: "learner-binding",
    props: { metadata: { name: "learner", namespace: kind === "RoleBinding" ? "lab" : undefined, labels: LABELS }, roleRef, subjects },
});

const ROLE_REF = { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "learner" };
const LEARNER = { kind: "ServiceAccount", name: "learner", namespace: "lab" };

describe("least-privilege-rbac", () => {
    it("passes the program's learner rules (pods, exec, logs, port-forward, reading Secrets, ConfigMaps and events)", () => {
        expect(violations(policy, role(...LEARNER_RULES))).toEqual([]);
    });

    it("passes a binding of a Role to a ServiceAccount of its own namespace", () => {
        expect(violations(policy, binding(ROLE_REF, [LEARNER, { kind: "Group", name: "system:serviceaccounts:lab" }]))).toEqual([]);
    });

    it("refuses wildcard verbs, API groups, resources and non-resource URLs, naming the rule and the value", () => {
        expect(violations(policy, role({ apiGroups: ["*"], resources: ["pods/*"], verbs: ["*"] }, { nonResourceURLs: ["/logs/*"], verbs: ["get"] }))).toEqual([
            'Role lab/learner: rules[0] grants every verb (verbs ["*"])',
            'Role lab/learner: rules[0] covers every API group (apiGroups ["*"])',
            'Role lab/learner: rules[0] covers resources by wildcard (resources ["pods/*"])',
            'Role lab/learner: rules[1] covers non-resource URLs by wildcard (nonResourceURLs ["/logs/*"])',
        ]);
    });

    it.each(LEAST_PRIVILEGE_RBAC_DEFAULTS.protectedResources)("refuses any right on %s, even read-only", (resource) => {
        expect(violations(policy, role({ apiGroups: ["", "networking.k8s.io", "rbac.authorization.k8s.io"], resources: [resource, "pods"], verbs: ["get"] }))).toEqual([
            `Role lab/learner: rules[0] grants rights on ${resource}, which would let a learner loosen a fence (verbs ["get"])`,
        ]);
    });

    it("counts a protected resource's subresources, but not other subresources of its parent", () => {
        expect(violations(policy, role({ apiGroups: [""], resources: ["namespaces/status", "serviceaccounts"], verbs: ["get", "update"] }))).toEqual([
            'Role lab/learner: rules[0] grants rights on namespaces/status, which would let a learner loosen a fence (verbs ["get","update"])',
        ]);
    });

    it("refuses escalate, bind and impersonate", () => {
        expect(violations(policy, role({ apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "impersonate"] }))).toEqual([
            'Role lab/learner: rules[0] grants impersonate, which lets its holder gain rights it was not given (verbs ["get","impersonate"])',
        ]);
    });

    it("refuses ClusterRoles and ClusterRoleBindings, and still checks their rules and subjects", () => {
        const clusterRole = { type: `${RBAC}:ClusterRole`, name: "reader", props: { metadata: { name: "reader" }, rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["*"] }] } };
        expect(violations(policy, clusterRole)).toEqual([
            "ClusterRole reader: cluster-wide RBAC, where a learner's rights must stay in their own namespace (allowClusterWide false)",
            'ClusterRole reader: rules[0] grants every verb (verbs ["*"])',
        ]);
        const crb = binding({ ...ROLE_REF, kind: "ClusterRole", name: "reader" }, [{ kind: "Group", name: "system:authenticated" }], "ClusterRoleBinding");
        expect(violations(policy, crb)).toEqual([
            "ClusterRoleBinding learner: cluster-wide RBAC, where a learner's rights must stay in their own namespace (allowClusterWide false)",
            'ClusterRoleBinding learner: binds ClusterRole reader, whose rules live outside the stack (roleRef {"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"reader"})',
            'ClusterRoleBinding learner: subjects[0] binds group system:authenticated, which holds every learner (subject {"kind":"Group","name":"system:authenticated"})',
        ]);
        expect(violations(policy, crb, { allowClusterWide: true, bindableClusterRoles: ["reader"] })).toEqual([
            'ClusterRoleBinding learner: subjects[0] binds group system:authenticated, which holds every learner (subject {"kind":"Group","name":"system:authenticated"})',
        ]);
    });

    it("refuses an aggregated ClusterRole even where cluster-wide RBAC is allowed: its rules come from elsewhere", () => {
        const aggregated = {
            type: `${RBAC}:ClusterRole`,
            name: "agg",
            props: { metadata: { name: "agg" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: "b" } }] } },
        };
        expect(violations(policy, aggregated, { allowClusterWide: true })).toEqual([
            'ClusterRole agg: aggregationRule pulls in other ClusterRoles\' rules, which this policy cannot read (aggregationRule {"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]})',
        ]);
    });

    it("refuses a RoleBinding of a ClusterRole (admin, edit) unless the config names it", () => {
        const admin = binding({ ...ROLE_REF, kind: "ClusterRole", name: "admin" }, [LEARNER]);
        expect(violations(policy, admin)).toEqual([
            'RoleBinding lab/learner: binds ClusterRole admin, whose rules live outside the stack (roleRef {"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"})',
        ]);
        expect(violations(policy, binding({ ...ROLE_REF, kind: "ClusterRole", name: "view" }, [LEARNER]), { bindableClusterRoles: ["view"] })).toEqual([]);
    });

    it("refuses subjects from another namespace and groups that hold everyone", () => {
        const subjects = [
            { kind: "ServiceAccount", name: "learner", namespace: "other" },
            { kind: "Group", name: "system:serviceaccounts:other" },
            { kind: "Group", name: "system:serviceaccounts" },
            { kind: "User", name: "ada" },
        ];
        expect(violations(policy, binding(ROLE_REF, subjects))).toEqual([
            'RoleBinding lab/learner: subjects[0] binds a ServiceAccount of another namespace, other (subject {"kind":"ServiceAccount","name":"learner","namespace":"other"})',
            'RoleBinding lab/learner: subjects[1] binds the ServiceAccounts of another namespace (subject {"kind":"Group","name":"system:serviceaccounts:other"})',
            'RoleBinding lab/learner: subjects[2] binds group system:serviceaccounts, which holds every learner (subject {"kind":"Group","name":"system:serviceaccounts"})',
        ]);
    });

    it("checks a binding whose namespaces are not known yet (a preview) without failing, as far as they are known", () => {
        const b = binding(ROLE_REF, [{ ...LEARNER, namespace: proxy.unknownStringValue }, { kind: "Group", name: "system:authenticated" }]);
        b.props.metadata.namespace = proxy.unknownStringValue;
        expect(violations(policy, { ...b, props: proxy.unknownCheckingProxy(b.props) })).toEqual([
            "RoleBinding <computed>/learner: subjects[1] binds group system:authenticated, which holds every learner (subject {\"kind\":\"Group\",\"name\":\"system:authenticated\"})",
        ]);
    });

    it("follows its config: protected resources and forbidden verbs", () => {
        const r = role({ apiGroups: [""], resources: ["resourcequotas"], verbs: ["get", "bind"] });
        expect(violations(policy, r, { protectedResources: ["namespaces"], forbiddenVerbs: [] })).toEqual([]);
        expect(violations(policy, role({ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }), { protectedResources: ["secrets"] })).toHaveLength(1);
    });

    it.each(["kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Pod", "kubernetes:rbac.authorization.k8s.io/v1:RolePatch", "pulumi:providers:kubernetes"])(
        "leaves a %s alone",
        (type) => {
            expect(violations(policy, { type, name: "x", props: { metadata: { name: "x" }, rules: [{ verbs: ["*"] }] } })).toEqual([]);
        },
    );

    it("documents its defaults in the config schema", () => {
        for (const [key, value] of Object.entries(LEAST_PRIVILEGE_RBAC_DEFAULTS)) {
            expect(policy.configSchema!.properties[key].default).toEqual(value);
        }
    });
});
