import { ofType, resetMocks, settle } from "../mocks";
import { API_SERVER_ACCESS_POLICY_NAME, CONVENTIONAL_CLUSTER_DNS, NETWORK_FENCE_POLICY_NAME, NetworkFence, hostIpBlock } from "../../components/networkFence";
import { PodlabConfigError } from "../../components/validation";

beforeEach(() => resetMocks());

const NS = "podlab-pods101-ada";
const WORKBENCH = { "podlab.dev/role": "workbench" };

describe("NetworkFence", () => {
    it("lets every pod of the namespace in only from, and out only to, pods of the same namespace", async () => {
        new NetworkFence("ada-fence", { namespace: NS, labels: { "podlab.dev/course": "pods101" } });
        await settle();
        const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policies).toHaveLength(1);
        expect(policies[0].inputs.metadata).toMatchObject({ name: NETWORK_FENCE_POLICY_NAME, namespace: NS, labels: { "podlab.dev/course": "pods101" } });
        expect(policies[0].inputs.spec).toEqual({
            podSelector: {},
            // Egress too: not the node, the control plane, another learner or the world.
            policyTypes: ["Ingress", "Egress"],
            // A podSelector without a namespaceSelector means: this namespace only.
            ingress: [{ from: [{ podSelector: {} }] }],
            egress: [{ to: [{ podSelector: {} }] }],
        });
    });

    it("lets pods query the cluster's DNS pods when given, by namespace name and pod labels (both address families), on 53 only", async () => {
        new NetworkFence("ada-fence", { namespace: NS, dns: CONVENTIONAL_CLUSTER_DNS });
        await settle();
        const [policy] = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policy.inputs.spec.egress).toEqual([
            { to: [{ podSelector: {} }] },
            {
                to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]);
        // No rule anywhere names an address range: pod selectors hold for IPv4 and IPv6 alike.
        expect(JSON.stringify(policy.inputs.spec)).not.toContain("ipBlock");
    });

    it("lets only the selected pods reach the API server, at each of its addresses (IPv4 /32, IPv6 /128) and its port", async () => {
        new NetworkFence("ada-fence", { namespace: NS, apiServerAccess: { podSelector: WORKBENCH, addresses: ["10.245.0.1", "fd00:10:245::1", "10.245.0.1"], port: 6444 } });
        await settle();
        const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policies.map((p) => p.inputs.metadata.name)).toEqual([NETWORK_FENCE_POLICY_NAME, API_SERVER_ACCESS_POLICY_NAME]);
        expect(policies[1].inputs.metadata.namespace).toBe(NS);
        expect(policies[1].inputs.spec).toEqual({
            podSelector: { matchLabels: WORKBENCH },
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "10.245.0.1/32" } }, { ipBlock: { cidr: "fd00:10:245::1/128" } }], ports: [{ protocol: "TCP", port: 6444 }] }],
        });
        // The fence itself is unchanged: every other pod still reaches only its namespace.
        expect(policies[0].inputs.spec.egress).toEqual([{ to: [{ podSelector: {} }] }]);
    });

    it("turns a host address into an ipBlock of its own family, and refuses anything else", () => {
        expect(hostIpBlock("k", "192.0.2.1")).toEqual({ ipBlock: { cidr: "192.0.2.1/32" } });
        expect(hostIpBlock("k", "2001:db8::1")).toEqual({ ipBlock: { cidr: "2001:db8::1/128" } });
        expect(() => hostIpBlock("k", "10.0.0.0/8")).toThrow('k: "10.0.0.0/8" is not an IPv4 or IPv6 address');
        expect(() => hostIpBlock("k", "kubernetes.default")).toThrow(PodlabConfigError);
    });

    it.each([
        ["an empty pod selector (every pod of the namespace)", { podSelector: {}, addresses: ["10.0.0.1"], port: 6443 }, "apiServerAccess.podSelector must name at least one label"],
        ["no address", { podSelector: WORKBENCH, addresses: [], port: 6443 }, "apiServerAccess.addresses must list at least one address"],
        ["a range instead of an address", { podSelector: WORKBENCH, addresses: ["0.0.0.0/0"], port: 6443 }, 'apiServerAccess.addresses: "0.0.0.0/0" is not an IPv4 or IPv6 address'],
        ["a bad port", { podSelector: WORKBENCH, addresses: ["10.0.0.1"], port: 0 }, "apiServerAccess.port must be an integer port in 1-65535; got 0"],
    ])("refuses an API server allowance with %s, before registering anything", async (_what, apiServerAccess, message) => {
        expect(() => new NetworkFence("ada-fence", { namespace: NS, apiServerAccess })).toThrow(`NetworkFence ada-fence: ${message}`);
        await settle();
        expect(ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(0);
    });

    it("refuses a DNS allowance that selects every pod of the DNS namespace", () => {
        expect(() => new NetworkFence("ada-fence", { namespace: NS, dns: { namespace: "kube-system", podLabels: {} } })).toThrow(
            "NetworkFence ada-fence: dns.podLabels must name at least one label: an empty selector would allow every pod of kube-system",
        );
    });
});
