import { emptyDirSizeLimit as policy } from "../../policy/policies/emptyDirSizeLimit";
import { WORKLOADS, goodContainer, pod, violations, workload } from "./harness";

const mounted = () => goodContainer({ volumeMounts: [{ name: "scratch", mountPath: "/tmp" }] });

describe("emptydir-size-limit", () => {
    it("passes emptyDirs with a sizeLimit, on disk or in memory, and volumes of other kinds", () => {
        const volumes = [
            { name: "scratch", emptyDir: { sizeLimit: "64Mi" } },
            { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
            { name: "page", configMap: { name: "nginx-page" } },
        ];
        expect(violations(policy, pod([mounted()], { volumes }))).toEqual([]);
        expect(violations(policy, pod([goodContainer()]))).toEqual([]);
    });

    it("refuses an emptyDir without a sizeLimit, naming pod, volume and the emptyDir", () => {
        expect(violations(policy, pod([mounted()], { volumes: [{ name: "scratch", emptyDir: {} }] }))).toEqual([
            "pod lab/web: volume scratch: emptyDir has no sizeLimit (emptyDir {})",
        ]);
    });

    it("refuses a memory-backed emptyDir without one: it fills the node's memory instead", () => {
        expect(violations(policy, pod([mounted()], { volumes: [{ name: "shm", emptyDir: { medium: "Memory" } }] }))).toEqual([
            'pod lab/web: volume shm: emptyDir has no sizeLimit (emptyDir {"medium":"Memory"})',
        ]);
    });

    it("refuses an empty sizeLimit and names a volume without a name by its position", () => {
        expect(violations(policy, pod([mounted()], { volumes: [{ name: "ok", emptyDir: { sizeLimit: "1Mi" } }, { emptyDir: { sizeLimit: "" } }] }))).toEqual([
            'pod lab/web: volume volumes[1]: emptyDir has no sizeLimit (emptyDir {"sizeLimit":""})',
        ]);
    });

    it.each(Object.keys(WORKLOADS))("checks a %s's pod template", (kind) => {
        expect(violations(policy, workload(kind, [mounted()], { volumes: [{ name: "scratch", emptyDir: { sizeLimit: "64Mi" } }] }))).toEqual([]);
        expect(violations(policy, workload(kind, [mounted()], { volumes: [{ name: "scratch", emptyDir: {} }] }))).toEqual([
            `${kind} lab/web (pod template): volume scratch: emptyDir has no sizeLimit (emptyDir {})`,
        ]);
    });
});
