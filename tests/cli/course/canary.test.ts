import { CANARY_LABEL, canaryManifest, canaryNamespace } from "../../../cli/course/canary";
import { RESTRICTED_POD_SECURITY } from "../../../components/labNamespace";
import { SIDECAR_DEFAULTS } from "../../../components/sidecarPod";

const IMAGES = {
    nginx: { image: "podlab.local/nginx:1.22-deb12", uid: 101, port: 8080, resources: SIDECAR_DEFAULTS.nginxResources },
    curl: { image: "podlab.local/curl:7.88-deb12", uid: 100, resources: SIDECAR_DEFAULTS.curlResources },
};

describe("the network fence's canary", () => {
    it("lives in a namespace of its own that no learner's can be: podlab-<course>--canary-<random> (a learner's name cannot start with a hyphen)", () => {
        expect(canaryNamespace("pods101", "a1b2c3")).toBe("podlab-pods101--canary-a1b2c3");
        expect(canaryNamespace("pods101")).toMatch(/^podlab-pods101--canary-[0-9a-f]{6}$/);
        expect(canaryNamespace("pods101")).not.toBe(canaryNamespace("pods101"));
        const long = "c".repeat(54);
        expect(canaryNamespace(long, "a1b2c3")).toMatch(/^podlab-[0-9a-f]{12}--canary-a1b2c3$/);
        expect(canaryNamespace(long).length).toBeLessThanOrEqual(63);
    });

    const NS = "podlab-pods101--canary-a1b2c3";
    const list = canaryManifest("pods101", NS, IMAGES) as { items: any[] };
    const byKind = (kind: string) => list.items.filter((o) => o.kind === kind);

    it("is a restricted namespace carrying the course's label (so down finds it), with an open and a fenced nginx and a prober, built like the course's", () => {
        const [ns] = byKind("Namespace");
        expect(ns.metadata.name).toBe(NS);
        expect(ns.metadata.labels).toMatchObject({ "podlab.dev/course": "pods101", [CANARY_LABEL]: "namespace", ...RESTRICTED_POD_SECURITY });
        const pods = byKind("Pod");
        expect(pods.map((p) => [p.metadata.name, p.metadata.labels[CANARY_LABEL], p.metadata.labels["podlab.dev/course"], p.spec.containers.map((c: any) => c.name)])).toEqual([
            ["open", "open", "pods101", ["nginx"]],
            ["fenced", "fenced", "pods101", ["nginx", "curl"]],
            ["prober", "prober", "pods101", ["curl"]],
        ]);
        for (const p of pods) {
            for (const c of p.spec.containers) {
                const image = c.name === "nginx" ? IMAGES.nginx : IMAGES.curl;
                expect(c).toMatchObject({ image: image.image, resources: image.resources });
                expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: image.uid, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
            }
            expect(p.spec.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
            expect(p.spec.automountServiceAccountToken).toBe(false);
            expect(p.spec.terminationGracePeriodSeconds).toBe(0);
        }
        expect(pods[0].spec.containers[0].ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        expect(pods[0].spec.volumes[0]).toEqual({ name: "nginx-config", configMap: { name: "open-nginx" } });
        expect(byKind("ConfigMap").map((c) => [c.metadata.name, Object.keys(c.data)])).toEqual([
            ["open-nginx", ["nginx.conf", "index.html"]],
            ["fenced-nginx", ["nginx.conf", "index.html"]],
        ]);
    });

    it("fences only the fenced pod, both ways: a policy with no ingress and no egress rule selecting it alone", () => {
        const [policy] = byKind("NetworkPolicy");
        expect(policy.spec).toEqual({ podSelector: { matchLabels: { [CANARY_LABEL]: "fenced" } }, policyTypes: ["Ingress", "Egress"] });
        expect(list.items.every((o) => o.kind === "Namespace" || o.metadata.namespace === NS)).toBe(true);
    });
});
