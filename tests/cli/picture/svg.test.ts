import { environmentView } from "../../../cli/picture/model";
import { KubePod } from "../../../cli/kubePod";
import { environmentSvg, escapeXml, fitText } from "../../../cli/picture/svg";
import { CRI, NO_CRI, NS, PODS, READ_AT } from "./fixtures";

const svg = environmentSvg(environmentView(NS, PODS, CRI, READ_AT));

/** The `<g class="pod" ...>` groups of a drawing, with their attributes. */
function podGroups(s: string): Array<Record<string, string>> {
    return [...s.matchAll(/<g class="pod" ([^>]*)>/g)].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
}

describe("the environment's picture (SVG)", () => {
    it("draws one box per pod, labelled with its IP, inside its node", () => {
        expect(podGroups(svg)).toEqual([
            { "data-pod": "postgres", "data-ip": "10.245.0.11", "data-role": "postgres", "data-ready": "true" },
            { "data-pod": "postgres2", "data-ip": "10.245.0.12", "data-role": "postgres", "data-ready": "true" },
            { "data-pod": "sidecar", "data-ip": "10.245.0.13", "data-role": "sidecar", "data-ready": "true" },
        ]);
        for (const ip of ["10.245.0.11", "10.245.0.12", "10.245.0.13"]) {
            expect(svg).toContain(`>IP ${ip}</text>`);
        }
        expect(svg).toContain(">node podlab-node-0 · 10.245.0.1</text>");
        expect(svg.match(/<g class="node"/g)).toHaveLength(1);
    });

    it("shows every container with its image and ports", () => {
        expect([...svg.matchAll(/<g class="container" data-container="([^"]*)" data-ports="([^"]*)"/g)].map((m) => [m[1], m[2]])).toEqual([
            ["postgres", "5432"],
            ["postgres", "5432"],
            ["nginx", "8080"],
            ["sidecar", ""],
        ]);
        expect(svg).toContain(">podlab.local/nginx:1.22-deb12</text>");
        expect(svg.match(/<g class="port" data-port="5432">/g)).toHaveLength(2);
    });

    it("draws the sidecar's arrow to nginx's port on localhost, and the postgres pods on one port at different IPs", () => {
        expect(svg).toContain('<g class="localhost-arrow" data-target-port="8080">');
        expect(svg).toContain(">curl localhost:8080</text>");
        expect(svg).toContain(">same port :5432 in every pod, each at its own IP (10.245.0.11, 10.245.0.12): no conflict</text>");
    });

    it("shows the sandbox that holds each pod's network namespace, or that the runtime cannot be seen", () => {
        expect([...svg.matchAll(/<g class="sandbox" data-sandbox="([^"]*)" data-sandboxes="(\d+)"/g)].map((m) => m[1])).toEqual([
            "postgres-sandbox-0123456789abcdef",
            "postgres2-sandbox-0123456789abcdef",
            "sidecar-sandbox-0123456789abcdef",
        ]);
        expect(svg).toContain(">netns cni-sidecar-1234</text>");
        const blind = environmentSvg(environmentView(NS, PODS, NO_CRI, READ_AT));
        expect(blind.match(/<g class="sandbox" data-sandbox="unknown">/g)).toHaveLength(3);
        expect(blind).toContain(">not visible here (see below)</text>");
    });

    it("marks a pod that is not ready, and a pod with no sandbox or two", () => {
        const unready: KubePod = { ...PODS[1], status: { ...PODS[1].status, conditions: [{ type: "Ready", status: "False" }] } };
        const cri = { ...CRI, sandboxes: [...CRI.sandboxes, { ...CRI.sandboxes[2], id: "second-sandbox-for-sidecar" }].filter((s) => s.podName !== "postgres2") };
        const drawn = environmentSvg(environmentView(NS, [PODS[0], unready, PODS[2]], cri, READ_AT));
        expect(drawn).toContain('data-pod="postgres2" data-ip="10.245.0.12" data-role="postgres" data-ready="false"');
        expect(drawn).toContain(">Running, not ready</text>");
        expect(drawn).toContain('<g class="sandbox" data-sandbox="none" data-sandboxes="0">');
        expect(drawn).toContain('data-sandboxes="2"');
    });

    it("wraps more than three pods into rows, and says so when a namespace has none", () => {
        const many = [1, 2, 3, 4].map((i) => ({ ...PODS[2], metadata: { ...PODS[2].metadata, name: `postgres${i}`, uid: `u${i}`, labels: { "app.kubernetes.io/name": "postgres" } } }));
        const drawn = environmentSvg(environmentView(NS, many, NO_CRI, READ_AT));
        const xs = [...drawn.matchAll(/<g class="pod"[^>]*><rect x="(\d+)" y="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
        expect(xs).toHaveLength(4);
        expect(xs[3][0]).toBe(xs[0][0]);
        expect(xs[3][1]).toBeGreaterThan(xs[0][1]);
        expect(environmentSvg(environmentView("podlab-empty", [], NO_CRI, READ_AT))).toContain(">no pods in namespace podlab-empty</text>");
    });

    it("needs nothing from outside: no script, link, image or external reference; names and text escaped", () => {
        expect(svg).not.toMatch(/<script|<image|<link|href=|@import|url\((?!#)/);
        expect(svg.match(/https?:\/\/[^"]*/g)).toEqual(["http://www.w3.org/2000/svg"]);
        expect(escapeXml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        expect(fitText("docker.io/library/postgres:17.6-bookworm", 20)).toBe("…tgres:17.6-bookworm");
        expect(fitText("docker.io/library/postgres:17.6-bookworm", 20)).toHaveLength(20);
        expect(fitText("short", 20)).toBe("short");
    });
});
