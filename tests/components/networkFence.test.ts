import { ofType, resetMocks, settle } from "../mocks";
import { NETWORK_FENCE_POLICY_NAME, NetworkFence } from "../../components/networkFence";

beforeEach(() => resetMocks());

describe("NetworkFence", () => {
    it("lets every pod of the namespace in only from pods of the same namespace", async () => {
        new NetworkFence("ada-fence", { namespace: "podlab-pods101-ada", labels: { "podlab.dev/course": "pods101" } });
        await settle();
        const [policy] = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policy.inputs.metadata).toMatchObject({ name: NETWORK_FENCE_POLICY_NAME, namespace: "podlab-pods101-ada", labels: { "podlab.dev/course": "pods101" } });
        expect(policy.inputs.spec).toEqual({
            podSelector: {},
            policyTypes: ["Ingress"],
            // A podSelector without a namespaceSelector means: this namespace only.
            ingress: [{ from: [{ podSelector: {} }] }],
        });
    });
});
