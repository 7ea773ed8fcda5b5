import * as pulumi from "@pulumi/pulumi";
import { ofType, resetMocks, settle, valueOf } from "../mocks";
import { LEARNER_RULES, LearnerAccess } from "../../components/learnerAccess";

beforeEach(() => resetMocks());

/** Kinds whose rights would let a learner take a fence down or reach beyond their namespace. */
const FENCE_RESOURCES = ["namespaces", "resourcequotas", "limitranges", "networkpolicies", "roles", "rolebindings", "clusterroles", "clusterrolebindings", "serviceaccounts", "serviceaccounts/token", "nodes"];

describe("LearnerAccess", () => {
    it("binds a ServiceAccount to a Role in the environment's namespace only", async () => {
        const access = new LearnerAccess("ada-access", { namespace: "podlab-pods101-ada" });
        expect(await valueOf(access.serviceAccountName)).toBe("learner");
        await valueOf(access.roleName);
        await settle();
        const [sa] = ofType("kubernetes:core/v1:ServiceAccount");
        const [role] = ofType("kubernetes:rbac.authorization.k8s.io/v1:Role");
        const [binding] = ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
        expect(sa.inputs.metadata).toMatchObject({ name: "learner", namespace: "podlab-pods101-ada" });
        expect(sa.inputs.automountServiceAccountToken).toBe(false);
        expect(role.inputs.metadata.namespace).toBe("podlab-pods101-ada");
        expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "learner" });
        expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "learner", namespace: "podlab-pods101-ada" }]);
        // Nothing cluster-wide, and no long-lived token Secret.
        expect(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toHaveLength(0);
        expect(ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toHaveLength(0);
        expect(ofType("kubernetes:core/v1:Secret")).toHaveLength(0);
    });

    it("grants what the lesson needs: pods, exec, logs, port-forward, the environment's Secrets and ConfigMaps, events", () => {
        const can = (resource: string, verb: string) => LEARNER_RULES.some((r) => (r.resources as string[]).includes(resource) && (r.verbs as string[]).includes(verb));
        for (const [resource, verb] of [
            ["pods", "list"],
            ["pods", "create"],
            ["pods/exec", "create"],
            ["pods/log", "get"],
            ["pods/portforward", "create"],
            ["secrets", "get"],
            ["configmaps", "list"],
            ["events", "watch"],
        ]) {
            expect(`${resource} ${verb} ${can(resource, verb)}`).toBe(`${resource} ${verb} true`);
        }
    });

    it("grants nothing that loosens a fence, and no wildcards", () => {
        for (const rule of LEARNER_RULES) {
            const resources = rule.resources as string[];
            expect(resources.filter((r) => FENCE_RESOURCES.includes(r) || r.includes("*"))).toEqual([]);
            expect((rule.verbs as string[]).filter((v) => v === "*" || v === "escalate" || v === "bind" || v === "impersonate")).toEqual([]);
            expect((rule.apiGroups as string[]).filter((g) => g === "*")).toEqual([]);
            expect(rule.nonResourceURLs).toBeUndefined();
        }
        // Secrets are read-only: a learner cannot replace a password or plant a token Secret.
        const secretVerbs = LEARNER_RULES.filter((r) => (r.resources as string[]).includes("secrets")).flatMap((r) => r.verbs as string[]);
        expect(secretVerbs.sort()).toEqual(["get", "list", "watch"]);
    });

    it("names its objects from its arguments and carries extra labels", async () => {
        const a = new LearnerAccess("a", { namespace: "ns", serviceAccountName: "student", labels: { "podlab.dev/learner": "ada" } });
        await valueOf(pulumi.all([a.serviceAccountName, a.roleName]));
        await settle();
        for (const r of registeredKinds()) {
            expect(r.inputs.metadata.name).toBe("student");
            expect(r.inputs.metadata.labels).toMatchObject({ "podlab.dev/learner": "ada", "app.kubernetes.io/part-of": "podlab" });
        }
        expect(() => new LearnerAccess("b", { namespace: "ns", serviceAccountName: "Student" })).toThrow("LearnerAccess b: serviceAccountName must be an RFC 1123 label");
    });
});

function registeredKinds() {
    return [
        ...ofType("kubernetes:core/v1:ServiceAccount"),
        ...ofType("kubernetes:rbac.authorization.k8s.io/v1:Role"),
        ...ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"),
    ];
}
