import * as fs from "fs";
import * as path from "path";
import { CONTAINER_RESOURCES_DEFAULTS, containerResources as policy } from "../../policy/policies/containerResources";
import { goodContainer, pod, violations, workload } from "./harness";

describe("container-resources", () => {
    it("passes cpu, memory and ephemeral-storage requests and limits on every container", () => {
        expect(violations(policy, pod([goodContainer()], { initContainers: [goodContainer({ name: "init" })] }))).toEqual([]);
    });

    it("names each missing request or limit with what is set", () => {
        const c = goodContainer({ resources: { requests: { cpu: "50m" } } });
        expect(violations(policy, pod([c]))).toEqual([
            'pod lab/web: container web: no requests.memory (resources.requests {"cpu":"50m"})',
            'pod lab/web: container web: no requests.ephemeral-storage (resources.requests {"cpu":"50m"})',
            "pod lab/web: container web: no limits.cpu (resources.limits unset)",
            "pod lab/web: container web: no limits.memory (resources.limits unset)",
            "pod lab/web: container web: no limits.ephemeral-storage (resources.limits unset)",
        ]);
    });

    it("requires ephemeral storage by default: the node's disk is shared by every learner", () => {
        const c = goodContainer({ resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "250m", memory: "64Mi" } } });
        expect(violations(policy, pod([c]))).toEqual([
            'pod lab/web: container web: no requests.ephemeral-storage (resources.requests {"cpu":"50m","memory":"32Mi"})',
            'pod lab/web: container web: no limits.ephemeral-storage (resources.limits {"cpu":"250m","memory":"64Mi"})',
        ]);
    });

    it("checks init containers, which count toward the pod's requests", () => {
        const init = goodContainer({ name: "init", resources: undefined });
        expect(violations(policy, workload("Job", [goodContainer()], { initContainers: [init] }))).toHaveLength(6);
    });

    it("requires only what its config names (a laptop lab without cpu limits or ephemeral storage)", () => {
        const c = goodContainer({ resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "64Mi" } } });
        expect(violations(policy, pod([c]), { requests: ["cpu", "memory"] })).toEqual([
            'pod lab/web: container web: no limits.cpu (resources.limits {"memory":"64Mi"})',
            'pod lab/web: container web: no limits.ephemeral-storage (resources.limits {"memory":"64Mi"})',
        ]);
        expect(violations(policy, pod([c]), { requests: ["cpu", "memory"], limits: ["memory"] })).toEqual([]);
    });

    it("lets examples/laptop.json require less than the defaults, and the container above pass it", () => {
        const { enforcementLevel, ...laptop } = JSON.parse(fs.readFileSync(path.join(__dirname, "../../policy/examples/laptop.json"), "utf8"))[policy.name];
        expect(enforcementLevel).toBe("advisory");
        const c = goodContainer({ resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "64Mi" } } });
        expect(violations(policy, pod([c]), laptop)).toEqual([]);
    });

    it("documents its defaults in the config schema", () => {
        expect(policy.configSchema!.properties.requests.default).toEqual(CONTAINER_RESOURCES_DEFAULTS.requests);
        expect(policy.configSchema!.properties.limits.default).toEqual(CONTAINER_RESOURCES_DEFAULTS.limits);
    });
});
