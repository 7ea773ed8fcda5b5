import { criReachable, jsonStream, parseCri, sandboxGoneMeanwhile } from "../../cli/cri";

const PODS = JSON.stringify({
    items: [
        { id: "sb-pg", state: "SANDBOX_READY", metadata: { name: "postgres", uid: "uid-pg", namespace: "podlab-lab" } },
        { id: "sb-old", state: "SANDBOX_NOTREADY", metadata: { name: "postgres", uid: "uid-pg", namespace: "podlab-lab" } },
    ],
});
const PS = JSON.stringify({
    containers: [{ id: "c1", podSandboxId: "sb-pg", state: "CONTAINER_RUNNING", metadata: { name: "postgres" }, labels: { "io.kubernetes.pod.uid": "uid-pg" } }],
});
// crictl inspectp with several IDs writes one JSON object after another.
const INSPECTP = `{
  "status": { "id": "sb-pg", "network": { "ip": "10.245.0.11" } },
  "info": { "pid": 4101, "runtimeSpec": { "linux": { "namespaces": [{ "type": "pid" }, { "type": "network", "path": "/var/run/netns/cni-1" }] } } }
}
{
  "status": { "id": "sb-old", "network": { "ip": "" } },
  "info": { "runtimeSpec": { "note": "a \\"quoted\\" brace } in a string" } }
}
`;

describe("the node's runtime through crictl", () => {
    it("reads sandboxes with their IP, network namespace and pid, and the containers in them", () => {
        const cri = parseCri(PODS, PS, INSPECTP);
        expect(cri.sandboxes).toEqual([
            { id: "sb-pg", podUid: "uid-pg", podName: "postgres", namespace: "podlab-lab", state: "SANDBOX_READY", ip: "10.245.0.11", netns: "/var/run/netns/cni-1", pid: 4101 },
            { id: "sb-old", podUid: "uid-pg", podName: "postgres", namespace: "podlab-lab", state: "SANDBOX_NOTREADY", ip: undefined, netns: undefined, pid: undefined },
        ]);
        expect(cri.containers).toEqual([{ id: "c1", name: "postgres", podUid: "uid-pg", sandboxId: "sb-pg", state: "CONTAINER_RUNNING" }]);
    });

    it("parses one JSON value, an array, or values written one after another", () => {
        expect(jsonStream('{"a":1}')).toEqual([{ a: 1 }]);
        expect(jsonStream('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
        expect(jsonStream('{"a":"}{"}\n{"b":[1,{"c":2}]}')).toEqual([{ a: "}{" }, { b: [1, { c: 2 }] }]);
        expect(jsonStream("")).toEqual([]);
    });

    it("is read again, not reported unreadable, when a sandbox listed went away before it was inspected (what crictl 1.32 printed)", () => {
        const gone =
            'crictl inspectp: time="2026-12-05T06:53:02Z" level=fatal msg="get the status of pod sandboxes: get pod sandbox status: rpc error: code = NotFound desc = an error occurred when try to find sandbox: not found"';
        expect(sandboxGoneMeanwhile(gone)).toBe(true);
        expect(sandboxGoneMeanwhile("crictl pods: connect: connection refused")).toBe(false);
        expect(sandboxGoneMeanwhile("crictl inspectp: permission denied")).toBe(false);
    });

    it("is looked at only on the lab's real node, and says why not elsewhere", () => {
        expect(criReachable({ PODLAB_NODE: "real" })).toEqual({ reachable: true });
        expect(criReachable({})).toEqual({ reachable: true });
        expect(criReachable({ PODLAB_NODE: "kwok" })).toEqual({ reachable: false, reason: expect.stringContaining("KWOK") });
        expect(criReachable({ PODLAB_KUBECONFIG: "/k", PODLAB_NODE: "real" })).toEqual({ reachable: false, reason: expect.stringContaining("another cluster") });
    });
});
