import { FENCE_LABEL as PROGRAM_FENCE_LABEL } from "../../components/admissionFence";
import { RESTRICTED_POD_SECURITY as PROGRAM_POD_SECURITY } from "../../components/podSpec";
import { FENCED_NAMESPACES_DEFAULTS, FENCE_LABEL, RESTRICTED_POD_SECURITY, fencedNamespaces as policy } from "../../policy/policies/fencedNamespaces";
import { FakeResource, LABELS, stackReports, stackViolations, urnOf } from "./harness";

// The analyzer's preview proxy, as the policy pack wraps props (internal to @pulumi/policy, so required by path).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("../../policy/node_modules/@pulumi/policy/proxy");

const namespace = (name = "lab", labels: Record<string, string> = { ...LABELS, ...RESTRICTED_POD_SECURITY }): FakeResource => ({
    type: "kubernetes:core/v1:Namespace",
    name: `${name}-namespace`,
    props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } },
});

/** A namespaced object of the given type, named `name` in `ns`, with `spec`. */
const object = (type: string, name: string, spec: any, ns = "lab"): FakeResource => ({
    type,
    name: `${ns}-${name}`,
    props: { metadata: { name, namespace: ns, labels: LABELS }, spec },
});

const networkPolicy = (spec: any = { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] }, ns = "lab", name = "same-namespace-only") =>
    object("kubernetes:networking.k8s.io/v1:NetworkPolicy", name, spec, ns);

const HARD = {
    pods: "5",
    "count/pods": "5",
    "requests.cpu": "500m",
    "limits.cpu": "2",
    "requests.memory": "1Gi",
    "limits.memory": "2Gi",
    "requests.ephemeral-storage": "1Gi",
    "limits.ephemeral-storage": "4Gi",
    persistentvolumeclaims: "0",
    "requests.storage": "0",
    "services.loadbalancers": "0",
    "services.nodeports": "0",
};
const without = (o: Record<string, string>, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
const quota = (hard: any = HARD, extra: any = {}, ns = "lab") => object("kubernetes:core/v1:ResourceQuota", "environment", { hard, ...extra }, ns);

const CONTAINER_DEFAULTS = {
    type: "Container",
    defaultRequest: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "32Mi" },
    default: { cpu: "250m", memory: "128Mi", "ephemeral-storage": "128Mi" },
    max: { cpu: "1", memory: "512Mi", "ephemeral-storage": "1Gi" },
};
const limitRange = (limits: any[] = [CONTAINER_DEFAULTS], ns = "lab") => object("kubernetes:core/v1:LimitRange", "container-defaults", { limits }, ns);

/** A single stack's admission fence over namespace `ns`: a policy and a binding that denies in that namespace. */
const admission = (ns = "lab", matchLabels: Record<string, string> = { "kubernetes.io/metadata.name": ns }, actions = ["Deny"]): FakeResource[] => [
    { type: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", name: `fence-${ns}-policy`, props: { metadata: { name: `fence-${ns}` }, spec: { validations: [] } } },
    {
        type: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
        name: `fence-${ns}-binding`,
        props: { metadata: { name: `fence-${ns}` }, spec: { policyName: `fence-${ns}`, validationActions: actions, matchResources: { namespaceSelector: { matchLabels } } } },
    },
];

/** A namespace with all its fences, as podlab's program creates it. */
const fenced = (name = "lab") => [namespace(name), networkPolicy(undefined, name), quota(HARD, {}, name), limitRange(undefined, name), ...admission(name)];

describe("fenced-namespaces", () => {
    it("uses the same Pod Security labels and fence label as the program's EnvironmentNamespace", () => {
        expect(RESTRICTED_POD_SECURITY).toEqual(PROGRAM_POD_SECURITY);
        expect(FENCE_LABEL).toBe(PROGRAM_FENCE_LABEL);
    });

    it("passes namespaces with Pod Security restricted and every fence, each in its own namespace", () => {
        expect(stackViolations(policy, [...fenced("ada"), ...fenced("grace")])).toEqual([]);
    });

    it("passes a stack that creates no namespace, whatever else it holds", () => {
        expect(stackViolations(policy, [quota({})])).toEqual([]);
    });

    it("names every missing fence of a bare namespace, on the Namespace itself", () => {
        const bare = namespace("lab", { ...LABELS });
        expect(stackReports(policy, [bare])).toEqual(
            [
                'Namespace lab: label pod-security.kubernetes.io/enforce is not "restricted" (unset)',
                'Namespace lab: label pod-security.kubernetes.io/enforce-version is not "latest" (unset)',
                'Namespace lab: label pod-security.kubernetes.io/audit is not "restricted" (unset)',
                'Namespace lab: label pod-security.kubernetes.io/warn is not "restricted" (unset)',
                "Namespace lab: no NetworkPolicy selects every pod for Ingress (NetworkPolicies [])",
                "Namespace lab: no ResourceQuota bounds pods, count/pods, requests.cpu, limits.cpu, requests.memory, limits.memory, requests.ephemeral-storage, limits.ephemeral-storage (hard unset)",
                "Namespace lab: no ResourceQuota sets persistentvolumeclaims, requests.storage, services.loadbalancers, services.nodeports to 0 (hard unset)",
                "Namespace lab: no LimitRange gives containers a default limit for cpu, memory, ephemeral-storage (Container default unset)",
                "Namespace lab: no LimitRange bounds one container's cpu, memory, ephemeral-storage (Container max unset)",
                `Namespace lab: no ValidatingAdmissionPolicyBinding of the stack denies in it, and it is not labelled podlab.dev/fence=course (covered by a course's fence): ` +
                    `nothing refuses a learner's pod that asks for a priority class, a token or a host in a probe (labels ${JSON.stringify(LABELS)})`,
            ].map((message) => ({ message, urn: urnOf(bare) })),
        );
    });

    it("does not count fences created in another namespace", () => {
        const found = stackViolations(policy, [namespace("ada"), networkPolicy(undefined, "grace"), quota(HARD, {}, "grace"), limitRange(undefined, "grace"), ...admission("grace")]);
        expect(found).toHaveLength(6);
        expect(found.every((m) => m.startsWith("Namespace ada: no "))).toBe(true);
    });

    it("refuses a namespace that admits privileged pods", () => {
        const [, ...fences] = fenced();
        const baseline = namespace("lab", { ...LABELS, ...RESTRICTED_POD_SECURITY, "pod-security.kubernetes.io/enforce": "baseline" });
        expect(stackViolations(policy, [baseline, ...fences])).toEqual(['Namespace lab: label pod-security.kubernetes.io/enforce is not "restricted" ("baseline")']);
    });

    it.each([
        ["selects only some pods", { podSelector: { matchLabels: { app: "postgres" } }, policyTypes: ["Ingress"], ingress: [] }],
        ["isolates only egress", { podSelector: {}, policyTypes: ["Egress"], egress: [] }],
    ])("refuses a namespace whose only NetworkPolicy %s", (_, spec) => {
        const [ns, , ...rest] = fenced();
        expect(stackViolations(policy, [ns, networkPolicy(spec), ...rest])).toEqual([
            'Namespace lab: no NetworkPolicy selects every pod for Ingress (NetworkPolicies ["same-namespace-only"])',
        ]);
    });

    it("takes a NetworkPolicy without policyTypes or podSelector as isolating ingress of every pod (Kubernetes' defaults)", () => {
        const [ns, , ...rest] = fenced();
        expect(stackViolations(policy, [ns, networkPolicy({ ingress: [{ from: [{ podSelector: {} }] }] }), ...rest])).toEqual([]);
        expect(stackViolations(policy, [ns, networkPolicy({}), ...rest])).toEqual([]);
    });

    it.each([
        ["no from", { ports: [{ port: 5432 }] }, 'ingress[0] admits every source (from unset)'],
        ["an empty from", { from: [] }, "ingress[0] admits every source (from [])"],
        [
            "an empty namespaceSelector",
            { from: [{ podSelector: {} }, { namespaceSelector: {}, podSelector: { matchLabels: { app: "psql" } } }] },
            'ingress[0] admits pods of every namespace (from[1] {"namespaceSelector":{},"podSelector":{"matchLabels":{"app":"psql"}}})',
        ],
        ["an ipBlock of every address", { from: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }, 'ingress[0] admits every address (from[0] {"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}})'],
    ])("refuses an ingress rule with %s, even beside a fence that holds", (_, rule, problem) => {
        const open = networkPolicy({ podSelector: { matchLabels: { app: "web" } }, ingress: [rule] }, "lab", "open");
        expect(stackViolations(policy, [...fenced(), open])).toEqual([`Namespace lab: NetworkPolicy open: ${problem}`]);
    });

    it("passes ingress from a labelled namespace or a limited address range", () => {
        const rule = { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }, { ipBlock: { cidr: "10.245.0.0/24" } }] };
        expect(stackViolations(policy, [...fenced(), networkPolicy({ podSelector: {}, ingress: [rule] }, "lab", "monitoring")])).toEqual([]);
    });

    it("names what the quota leaves unbounded, with its hard limits, and takes `cpu` for `requests.cpu`", () => {
        const [ns, np, , lr, ...fence] = fenced();
        const hard = { ...without(HARD, "limits.ephemeral-storage", "requests.cpu"), cpu: "500m", "services.nodeports": "3" };
        expect(stackViolations(policy, [ns, np, quota(hard), lr, ...fence])).toEqual([
            `Namespace lab: no ResourceQuota bounds limits.ephemeral-storage (hard ${JSON.stringify(hard)})`,
            `Namespace lab: no ResourceQuota sets services.nodeports to 0 (hard ${JSON.stringify(hard)})`,
        ]);
    });

    it("does not count a quota with scopes, which bounds only the pods it matches", () => {
        const [ns, np, , lr, ...fence] = fenced();
        for (const scoped of [{ scopes: ["BestEffort"] }, { scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "Exists" }] } }]) {
            const found = stackViolations(policy, [ns, np, quota(HARD, scoped), lr, ...fence]);
            expect(found).toEqual([expect.stringMatching(/^Namespace lab: no ResourceQuota bounds pods, /), expect.stringMatching(/^Namespace lab: no ResourceQuota sets /)]);
        }
    });

    it("takes any spelling of zero, and fences spread over several quotas", () => {
        const [ns, np, , lr, ...fence] = fenced();
        const compute = without(HARD, "services.loadbalancers");
        expect(stackViolations(policy, [ns, np, quota({ ...compute, "services.nodeports": 0 }), object("kubernetes:core/v1:ResourceQuota", "services", { hard: { "services.loadbalancers": "0k" } }), lr, ...fence])).toEqual([]);
    });

    it("takes a LimitRange's max as the default limit, as Kubernetes does, and ignores Pod items", () => {
        const [ns, np, q, , ...fence] = fenced();
        const items = [{ type: "Pod", max: { cpu: "2" } }, { type: "Container", max: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" } }];
        expect(stackViolations(policy, [ns, np, q, limitRange(items), ...fence])).toEqual([]);
        expect(stackViolations(policy, [ns, np, q, limitRange([{ type: "Container", default: { cpu: "1" }, max: { cpu: "2" } }, { type: "Pod", max: { memory: "1Gi" } }]), ...fence])).toEqual([
            'Namespace lab: no LimitRange gives containers a default limit for memory, ephemeral-storage (Container default {"cpu":"1"})',
            `Namespace lab: no LimitRange bounds one container's memory, ephemeral-storage (Container max {"cpu":"2"})`,
        ]);
    });

    it("passes a namespace a course's fence covers (its label says so), or a binding of the stack selects by its labels", () => {
        const [, np, q, lr] = fenced();
        const course = namespace("lab", { ...LABELS, ...RESTRICTED_POD_SECURITY, [FENCE_LABEL]: "course" });
        expect(stackViolations(policy, [course, np, q, lr])).toEqual([]);
        const byLabel = namespace("lab", { ...LABELS, ...RESTRICTED_POD_SECURITY, [FENCE_LABEL]: "stack" });
        expect(stackViolations(policy, [byLabel, np, q, lr, ...admission("lab", { "kubernetes.io/metadata.name": "lab", [FENCE_LABEL]: "stack" })])).toEqual([]);
    });

    it.each([
        ["selects another namespace", admission("lab", { "kubernetes.io/metadata.name": "other" })],
        ["only warns", admission("lab", undefined, ["Warn", "Audit"])],
        ["names a policy the stack does not hold", admission("lab").slice(1)],
        ["selects nothing (an empty selector would select every namespace: never podlab's)", admission("lab", {})],
    ])("refuses a namespace whose only admission binding %s", (_, fence) => {
        const [ns, np, q, lr] = fenced();
        expect(stackViolations(policy, [ns, np, q, lr, ...fence])).toEqual([expect.stringMatching(/^Namespace lab: no ValidatingAdmissionPolicyBinding of the stack denies in it/)]);
    });

    it("follows its config", () => {
        const bare = namespace("lab", { ...LABELS, "pod-security.kubernetes.io/enforce": "restricted" });
        const config = { podSecurityLabels: { "pod-security.kubernetes.io/enforce": "restricted" }, quotaBounds: ["pods"], quotaForbids: [], containerDefaults: ["memory"], containerMaximums: [] };
        expect(stackViolations(policy, [bare, networkPolicy(), quota({ pods: "3" }), limitRange([{ type: "Container", default: { memory: "64Mi" } }]), ...admission()], config)).toEqual([]);
    });

    it("finds the namespace of an object through the Namespace it depends on when the name is not known yet (a preview)", () => {
        const [ns, ...fences] = fenced();
        const unknownNamespace = (r: FakeResource, deps: FakeResource[]): FakeResource => ({
            ...r,
            props: proxy.unknownCheckingProxy({ ...r.props, metadata: { ...r.props.metadata, namespace: proxy.unknownStringValue } }),
            propertyDependencies: { metadata: deps },
        });
        expect(stackViolations(policy, [ns, ...fences.map((f) => unknownNamespace(f, [ns]))])).toEqual([]);
        // Without the dependency there is no telling: the pack's preview error says the policy could not run.
        expect(() => stackViolations(policy, [ns, ...fences.map((f) => unknownNamespace(f, []))])).toThrow(proxy.UnknownValueError);
    });

    it("documents its defaults in the config schema", () => {
        for (const [key, value] of Object.entries(FENCED_NAMESPACES_DEFAULTS)) {
            expect(policy.configSchema!.properties[key].default).toEqual(value);
        }
    });
});
