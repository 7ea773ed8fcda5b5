import { environmentView, liveOutputs, livePostgres } from "../../../cli/picture/model";
import { CRI, NO_CRI, NS, PODS, READ_AT } from "./fixtures";

describe("an environment as the live cluster has it", () => {
    it("orders the lesson's pods (postgres pods, then the sidecar) with IPs, containers, ports and readiness", () => {
        const view = environmentView(NS, PODS, CRI, READ_AT);
        expect(view.pods.map((p) => [p.name, p.role, p.ip, p.ready, p.node])).toEqual([
            ["postgres", "postgres", "10.245.0.11", true, "podlab-node-0"],
            ["postgres2", "postgres", "10.245.0.12", true, "podlab-node-0"],
            ["sidecar", "sidecar", "10.245.0.13", true, "podlab-node-0"],
        ]);
        expect(view.pods[2].containers).toEqual([
            { name: "nginx", image: "podlab.local/nginx:1.22-deb12", ports: [8080], ready: true, state: "running" },
            { name: "sidecar", image: "podlab.local/curl:7.88-deb12", ports: [], ready: true, state: "running" },
        ]);
        expect(view.readAt).toBe("2026-03-02T10:00:00.000Z");
    });

    it("gives each pod its sandboxes and the containers running in each, where the runtime is visible", () => {
        const view = environmentView(NS, PODS, CRI, READ_AT);
        expect(view.pods[2].sandboxes).toEqual([
            { id: "sidecar-sandbox-0123456789abcdef", state: "SANDBOX_READY", ip: "10.245.0.13", netns: "/var/run/netns/cni-sidecar-1234", pid: 4103, containers: ["nginx", "sidecar"] },
        ]);
        expect(view.sandboxNote).toContain("crictl");
        const blind = environmentView(NS, PODS, NO_CRI, READ_AT);
        expect(blind.pods.every((p) => p.sandboxes === undefined)).toBe(true);
        expect(blind.sandboxNote).toBe("sandboxes not shown: the KWOK lab's node is simulated: it runs no containers and has no container runtime");
    });

    it("rebuilds the card's outputs from the live pods: current IPs, each postgres pod's Secret from its spec", () => {
        expect(livePostgres(NS, PODS)).toEqual([
            { pod: "postgres", ip: "10.245.0.11", port: 5432, secret: "postgres-credentials" },
            { pod: "postgres2", ip: "10.245.0.12", port: 5432, secret: "postgres2-credentials" },
        ]);
        const out = liveOutputs(NS, PODS)!;
        expect(out.podIps).toEqual({ postgres: "10.245.0.11", postgres2: "10.245.0.12", sidecar: "10.245.0.13" });
        expect(out.postgresSecrets).toEqual({ postgres: "postgres-credentials", postgres2: "postgres2-credentials" });
        // Each pod's containers as its spec has them: name, image, ports.
        expect(Object.entries(out.pods).map(([pod, p]) => `${pod}: ${p.containers.map((c) => `${c.name} ${c.image} [${c.ports.join(",")}]`).join("; ")}`)).toEqual([
            "postgres: postgres podlab.local/postgres:15-deb12 [5432]",
            "postgres2: postgres podlab.local/postgres:15-deb12 [5432]",
            "sidecar: nginx podlab.local/nginx:1.22-deb12 [8080]; sidecar podlab.local/curl:7.88-deb12 []",
        ]);
        expect(liveOutputs(NS, PODS.filter((p) => p.metadata.name !== "sidecar"))).toBeUndefined();
        expect(liveOutputs("podlab-other", PODS)).toBeUndefined();
    });
});
