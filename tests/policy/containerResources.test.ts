import { CONTAINER_RESOURCES_DEFAULTS, containerResources as policy } from "../../policy/policies/containerResources";
import { goodContainer, pod, violations, workload } from "./harness";

describe("container-resources", () => {
    it("passes cpu and memory requests and limits on every container", () => {
        expect(violations(policy, pod([goodContainer()], { initContainers: [goodContainer({ name: "init" })] }))).toEqual([]);
    });

    it("names each missing request or limit with what is set", () => {
        const c = goodContainer({ resources: { requests: { cpu: "50m" } } });
        expect(violations(policy, pod([c]))).toEqual([
            'pod lab/web: container web: no requests.memory (resources.requests {"cpu":"50m"})',
            "pod lab/web: container web: no limits.cpu (resources.limits unset)",
            "pod lab/web: container web: no limits.memory (resources.limits unset)",
        ]);
    });

    it("checks init containers, which count toward the pod's requests", () => {
        const init = goodContainer({ name: "init", resources: undefined });
        expect(violations(policy, workload("Job", [goodContainer()], { initContainers: [init] }))).toHaveLength(4);
    });

    it("requires only what its config names (a lab without cpu limits)", () => {
        const c = goodContainer({ resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "64Mi" } } });
        expect(violations(policy, pod([c]))).toEqual(["pod lab/web: container web: no limits.cpu (resources.limits {\"memory\":\"64Mi\"})"]);
        expect(violations(policy, pod([c]), { limits: ["memory"] })).toEqual([]);
    });

    it("documents its defaults in the config schema", () => {
        expect(policy.configSchema!.properties.requests.default).toEqual(CONTAINER_RESOURCES_DEFAULTS.requests);
        expect(policy.configSchema!.properties.limits.default).toEqual(CONTAINER_RESOURCES_DEFAULTS.limits);
    });
});
