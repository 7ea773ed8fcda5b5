import { describeObject, objectId, parseKubernetesType, podSpecsOf } from "../../policy/policies/podSpecs";
import { WORKLOADS, goodContainer, pod, workload } from "./harness";

// The analyzer's preview proxy, as the policy pack wraps props (internal to @pulumi/policy, so required by path).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("../../policy/node_modules/@pulumi/policy/proxy");

describe("podSpecsOf", () => {
    it("finds a Pod's containers, init containers first, each named in its message prefix", () => {
        const [view] = podSpecsOf(pod([goodContainer()], { initContainers: [goodContainer({ name: "migrate" })] }));
        expect(view.kind).toBe("Pod");
        expect(view.describe).toBe("pod lab/web");
        expect(view.longRunning).toBe(true);
        expect(view.containers.map((c) => [c.list, c.name, c.where])).toEqual([
            ["initContainers", "migrate", "pod lab/web: container migrate"],
            ["containers", "web", "pod lab/web: container web"],
        ]);
    });

    it.each(Object.keys(WORKLOADS))("finds the pod template of a %s", (kind) => {
        const [view] = podSpecsOf(workload(kind, [goodContainer({ name: "app" })]));
        expect(view.kind).toBe(kind);
        expect(view.describe).toBe(`${kind} lab/web (pod template)`);
        expect(view.metadata.labels.app).toBe("web");
        expect(view.containers.map((c) => c.where)).toEqual([`${kind} lab/web (pod template): container app`]);
        expect(view.longRunning).toBe(!["Job", "CronJob"].includes(kind));
    });

    it("marks an init container with restartPolicy Always as a native sidecar", () => {
        const [view] = podSpecsOf(pod([goodContainer()], { initContainers: [goodContainer({ name: "proxy", restartPolicy: "Always" })] }));
        expect(view.containers[0].restartableInit).toBe(true);
        expect(view.containers[1].restartableInit).toBe(false);
    });

    it.each([
        ["a Namespace", { type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "lab" } } }],
        ["a Secret", { type: "kubernetes:core/v1:Secret", props: { metadata: { name: "s" }, stringData: { a: "b" } } }],
        ["a PodPatch", { type: "kubernetes:core/v1:PodPatch", props: { spec: { containers: [{ name: "x" }] } } }],
        ["a component", { type: "podlab:index:PostgresPod", props: {} }],
        ["a Pod without a spec yet", { type: "kubernetes:core/v1:Pod", props: { metadata: { name: "p" } } }],
    ])("finds no pod spec in %s", (_, resource) => {
        expect(podSpecsOf(resource as any)).toEqual([]);
    });

    it("names a container without a name by its position", () => {
        const [view] = podSpecsOf(pod([{ image: "busybox:1.36" }]));
        expect(view.containers[0].where).toBe("pod lab/web: container containers[0]");
    });
});

describe("object names in messages", () => {
    it("parses Kubernetes type tokens and nothing else", () => {
        expect(parseKubernetesType("kubernetes:apps/v1:Deployment")).toEqual({ group: "apps", version: "v1", kind: "Deployment" });
        expect(parseKubernetesType("kubernetes:helm.sh/v4:Chart")).toEqual({ group: "helm.sh", version: "v4", kind: "Chart" });
        expect(parseKubernetesType("kubernetes:yaml:ConfigFile")).toBeUndefined();
        expect(parseKubernetesType("pulumi:providers:kubernetes")).toBeUndefined();
        expect(parseKubernetesType("random:index/randomPassword:RandomPassword")).toBeUndefined();
    });

    it("shows namespace/name, just the name without a namespace, and the Pulumi name for an auto-named object", () => {
        expect(objectId({ type: "t", name: "res", props: { metadata: { name: "web", namespace: "lab" } } })).toBe("lab/web");
        expect(objectId({ type: "t", name: "res", props: { metadata: { name: "lab" } } })).toBe("lab");
        expect(objectId({ type: "t", name: "res", props: {} })).toBe("res");
        expect(describeObject({ type: "kubernetes:core/v1:ConfigMap", name: "res", props: { metadata: { name: "c", namespace: "lab" } } })).toBe(
            "ConfigMap lab/c",
        );
    });

    it("shows a namespace only known after the update as <computed> during preview, instead of failing the check", () => {
        const resource = pod([goodContainer()]);
        resource.props.metadata.namespace = proxy.unknownStringValue;
        const props = proxy.unknownCheckingProxy(resource.props);
        expect(() => props.metadata.namespace).toThrow("can't be known during preview");
        const [view] = podSpecsOf({ ...resource, props });
        expect(view.containers[0].where).toBe("pod <computed>/web: container web");
    });
});
