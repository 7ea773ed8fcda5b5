import { CriView } from "../../../cli/cri";
import { KubePod } from "../../../cli/kubePod";
import { SharedCri, criFor, pictureHtml } from "../../../cli/serve/picture";

function pod(namespace: string, name: string, uid: string): KubePod {
    return { metadata: { name, namespace, uid }, spec: { containers: [{ name: "c", image: "img<x>", ports: [{ containerPort: 5432 }] }] }, status: { phase: "Running", podIP: "10.245.0.9" } };
}

const CRI: CriView = {
    visible: true,
    source: "crictl",
    sandboxes: [
        { id: "s-ada", podUid: "u-ada", podName: "postgres", namespace: "podlab-c-ada", state: "SANDBOX_READY", ip: "10.245.0.9" },
        { id: "s-grace", podUid: "u-grace", podName: "secret-pod", namespace: "podlab-c-grace", state: "SANDBOX_READY", ip: "10.245.0.10" },
    ],
    containers: [
        { id: "c1", name: "c", podUid: "u-ada", sandboxId: "s-ada", state: "CONTAINER_RUNNING" },
        { id: "c2", name: "hidden", podUid: "u-grace", sandboxId: "s-grace", state: "CONTAINER_RUNNING" },
    ],
};

describe("a learner's picture", () => {
    it("keeps only the sandboxes and containers of the learner's own pods", () => {
        const mine = criFor(CRI, new Set(["u-ada"]));
        expect(mine.visible && mine.sandboxes.map((s) => s.id)).toEqual(["s-ada"]);
        expect(mine.visible && mine.containers.map((c) => c.id)).toEqual(["c1"]);
    });

    it("draws the namespace's pods only, escaped, and says so when there are none", () => {
        const html = pictureHtml("podlab-c-ada", [pod("podlab-c-ada", "postgres", "u-ada"), pod("podlab-c-grace", "secret-pod", "u-grace")], CRI, new Date("2026-01-01T00:00:00Z"));
        expect(html).toContain("postgres");
        expect(html).not.toContain("secret-pod");
        expect(html).not.toContain("10.245.0.10");
        expect(html).not.toContain("img<x>");
        expect(html).toContain("img&lt;x&gt;");
        expect(html).not.toMatch(/<script/i);
        expect(pictureHtml("podlab-c-ada", [], CRI, new Date())).toContain("No pods in podlab-c-ada yet");
    });

    it("reads the node's runtime once for everyone within its interval", async () => {
        let reads = 0;
        let now = 0;
        const cri = new SharedCri(async () => (reads++, CRI), 2000, () => now);
        await Promise.all([cri.get(), cri.get(), cri.get()]);
        expect(reads).toBe(1);
        now = 1999;
        await cri.get();
        expect(reads).toBe(1);
        now = 2000;
        await cri.get();
        expect(reads).toBe(2);
    });
});
