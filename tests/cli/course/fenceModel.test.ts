import * as f from "../../../cli/course/fenceModel";
import { CanaryFinding } from "../../../cli/course/checkModel";

const answered: f.Probe = { kind: "answered", httpCode: 200 };
const connected: f.Probe = { kind: "connected", detail: "connected, then curl exit 52" };
const refused: f.Probe = { kind: "refused" };
const timedOut: f.Probe = { kind: "timed-out" };

describe("what curl and /proc print inside a pod", () => {
    it("reads curl's per-transfer lines by URL index: answered, connected without an answer (a path all the same), refused, timed out, other errors", () => {
        const out = "1 000 7 0.000000\n0 200 0 0.000310\n2 000 28 0.000000\n3 000 6 0\n5 000 52 0.000412\n";
        expect(f.parseProbes(out, 6)).toEqual([
            { kind: "answered", httpCode: 200 },
            { kind: "refused" },
            { kind: "timed-out" },
            { kind: "error", detail: "curl exit 6" },
            { kind: "error", detail: "no answer line from curl" },
            { kind: "connected", detail: "connected, then curl exit 52" },
        ]);
        expect([refused, timedOut].every(f.blocked)).toBe(true);
        expect([answered, connected].every(f.reached)).toBe(true);
        expect(f.blocked(connected) || f.reached({ kind: "error", detail: "x" })).toBe(false);
    });

    it("reads a pod's IPv6 addresses from /proc/net/if_inet6, loopback left out; an empty file means none", () => {
        const text = [
            "00000000000000000000000000000001 01 80 10 80       lo",
            "fe80000000000000a8c1abfffe1e1d5f 02 40 20 80     eth0",
            "fd000010024500000000000000000007 02 80 00 80     eth0",
        ].join("\n");
        expect(f.parseIfInet6(text)).toEqual([
            { address: "fe80::a8c1:abff:fe1e:1d5f", iface: "eth0", linkLocal: true },
            { address: "fd00:10:245::7", iface: "eth0", linkLocal: false },
        ]);
        expect(f.parseIfInet6("")).toEqual([]);
        expect(f.parseIfInet6("00000000000000000000000000000001 01 80 10 80       lo\n")).toEqual([]);
    });

    it("finds the IPv6 default route's next hop (the node's link-local address) in /proc/net/ipv6_route", () => {
        const route = [
            "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0",
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0",
        ].join("\n");
        expect(f.parseIpv6DefaultGateway(route)).toEqual({ address: "fe80::1", iface: "eth0" });
        expect(f.parseIpv6DefaultGateway(route.split("\n")[0])).toBeUndefined();
        expect(f.parseIpv6DefaultGateway("")).toBeUndefined();
    });

    it("writes IPv6 addresses in their shortest form and URLs with a zone for link-local ones", () => {
        expect(f.compressIpv6("20010db8000000000000000000000001")).toBe("2001:db8::1");
        expect(f.compressIpv6("20010db8000100000001000000000001")).toBe("2001:db8:1:0:1::1");
        expect(f.compressIpv6("00000000000000000000000000000000")).toBe("::");
        expect(f.probeUrl("10.245.0.7", 5432)).toBe("http://10.245.0.7:5432/");
        expect(f.probeUrl("fe80::1", 5432, "eth0")).toBe("http://[fe80::1%25eth0]:5432/");
        expect(f.probeUrl("fd00::7", 8080)).toBe("http://[fd00::7]:8080/");
    });
});

describe("the canary: ingress and egress, per address family", () => {
    const enforcedProbes = { open: answered, fenced: timedOut, egress: timedOut };

    it("enforced only where the open pod answers and the fenced pod is blocked both ways; IPv6 without an address carries nothing", () => {
        const v = f.canaryVerdict("podlab-c--canary", { IPv4: enforcedProbes, IPv6: { absent: "no IPv6 address in the canary's pods" } });
        expect(v.verdict).toBe("enforced");
        expect(v.families).toEqual({ IPv4: expect.objectContaining({ verdict: "enforced" }), IPv6: { verdict: "closed", detail: "no IPv6 address in the canary's pods" } });
        expect(v.detail).toBe(
            "the canary: over IPv4 its open pod answered, and its fenced pod was blocked both ways (in: connection timed out, out: connection timed out): NetworkPolicy is enforced; IPv6: no IPv6 address in the canary's pods",
        );
        expect(f.canaryVerdict("ns", { IPv4: enforcedProbes, IPv6: enforcedProbes }).verdict).toBe("enforced");
    });

    it("not enforced when the fenced pod answers over either family, or gets out, whatever the other family does", () => {
        const ingress = f.canaryVerdict("ns", { IPv4: { ...enforcedProbes, fenced: answered }, IPv6: { absent: "none" } });
        expect(ingress.verdict).toBe("not-enforced");
        expect(ingress.detail).toBe("the canary: its fenced pod (a NetworkPolicy denies it all ingress) answered HTTP 200 to its prober over IPv4: this cluster's network plugin ignores ingress policies over IPv4");
        const egress = f.canaryVerdict("ns", { IPv4: { ...enforcedProbes, egress: answered }, IPv6: { absent: "none" } });
        expect(egress.detail).toContain("its fenced pod (a NetworkPolicy denies it all egress) reached its open pod over IPv4 (answered HTTP 200): this cluster's network plugin ignores egress policies over IPv4");
        const both = f.canaryVerdict("ns", { IPv4: { open: answered, fenced: answered, egress: answered }, IPv6: { absent: "none" } });
        expect(both.detail).toMatch(/; its fenced pod .* ignores ingress and egress policies over IPv4$/);
        // The plugin: IPv4 enforced, IPv6 (link-local) not.
        const v6 = f.canaryVerdict("ns", { IPv4: enforcedProbes, IPv6: { open: answered, fenced: connected, egress: answered } });
        expect(v6.verdict).toBe("not-enforced");
        expect(v6.families!.IPv4.verdict).toBe("enforced");
        expect(v6.detail).toMatch(/over IPv6.*ignores ingress and egress policies over IPv6$/);
    });

    it("unknown when the open pod cannot be reached over IPv4 (a blocked connection proves nothing), or nothing was set up", () => {
        expect(f.canaryVerdict("ns", { IPv4: { open: timedOut, fenced: timedOut, egress: timedOut }, IPv6: { absent: "none" } }).verdict).toBe("unknown");
        expect(f.canaryVerdict("ns", {}, "pods not Ready")).toEqual({ namespace: "ns", verdict: "unknown", detail: "the canary could not be set up: pods not Ready" });
        expect(f.canaryVerdict("ns", { IPv4: { ...enforcedProbes, egress: { kind: "error", detail: "curl exit 6" } }, IPv6: { absent: "none" } }).verdict).toBe("unknown");
    });

    it("IPv6 addresses that reach nothing at all: IPv6 carries no pod traffic (closed), which does not stand in the way of a pass", () => {
        const v = f.canaryVerdict("ns", { IPv4: enforcedProbes, IPv6: { open: timedOut, fenced: timedOut, egress: timedOut } });
        expect(v.verdict).toBe("enforced");
        expect(v.families!.IPv6.verdict).toBe("closed");
    });
});

describe("network-fence of one learner", () => {
    const enforced: CanaryFinding = { namespace: "c", verdict: "enforced", detail: "the canary: enforced" };
    const ignored: CanaryFinding = { namespace: "c", verdict: "not-enforced", detail: "the canary: its fenced pod answered" };
    const unknown: CanaryFinding = { namespace: "c", verdict: "unknown", detail: "the canary could not be set up" };
    const path = (to: f.FencePath["to"], what: string, probe: f.Probe, family: f.Family = "IPv4"): f.FencePath => ({ family, to, what, probe });
    const closed: f.Ipv6State = { closed: "no IPv6 address in ada's sidecar (its /proc/net/if_inet6 lists none but loopback)" };
    const allBlocked = [
        path("neighbour", "grace's postgres (postgres) 10.245.0.7:5432", timedOut),
        path("neighbour", "grace's sidecar (nginx) 10.245.0.8:8080", timedOut),
        path("node", "the node's kubelet 10.245.0.1:10250", timedOut),
        path("api-server", "the API server 10.245.0.1:6444", timedOut),
    ];
    const control = { what: "ada's own postgres 10.245.0.5:5432", probe: connected };
    const judge = (over: Partial<Parameters<typeof f.judgeNetworkFence>[0]>) => f.judgeNetworkFence({ learner: "ada", tried: "curl", canary: enforced, control, paths: allBlocked, ipv6: closed, ...over });

    it("passes when every path out is blocked, IPv6 is closed for a reason read in the pod, and the learner's own pod answers", () => {
        expect(judge({})).toEqual({
            check: "network-fence",
            learner: "ada",
            tried: "curl",
            status: "pass",
            got:
                "IPv4: grace's postgres (postgres) 10.245.0.7:5432, grace's sidecar (nginx) 10.245.0.8:8080, the node's kubelet 10.245.0.1:10250, the API server 10.245.0.1:6444 connection timed out; " +
                "IPv6: closed, no IPv6 address in ada's sidecar (its /proc/net/if_inet6 lists none but loopback); ada's own postgres 10.245.0.5:5432 connected, then curl exit 52",
        });
    });

    it("fails on any open path, over either family: the issue's IPv6 handshake, the node, the API server", () => {
        const v6 = judge({ ipv6: { addresses: ["fe80::1%eth0"] }, paths: [...allBlocked, path("neighbour", "grace's postgres (postgres) [fe80::2%eth0]:5432", connected, "IPv6")] });
        expect(v6.status).toBe("fail");
        expect(v6.got).toMatch(/^open: grace's postgres \(postgres\) \[fe80::2%eth0\]:5432 over IPv6 connected, then curl exit 52 \(another learner's pod: .*does not enforce IPv6\)/);
        const node = judge({ paths: [path("node", "the node's kubelet 10.245.0.1:10250", answered)] });
        expect(node).toMatchObject({ status: "fail", got: expect.stringContaining("the node's kubelet 10.245.0.1:10250 over IPv4 answered HTTP 200 (ada's pods get out of their namespace: its NetworkPolicy does not hold egress)") });
        expect(judge({ paths: [path("api-server", "the API server 10.245.0.1:6444", answered)] }).status).toBe("fail");
    });

    it("is never a pass on a cluster whose canary shows no enforcement: not-enforced, open path or not", () => {
        expect(judge({ canary: ignored }).status).toBe("not-enforced");
        expect(judge({ canary: ignored, paths: [path("neighbour", "grace's x", answered)] })).toMatchObject({ status: "not-enforced", got: "open: grace's x over IPv4 answered HTTP 200; the canary: its fenced pod answered" });
        expect(judge({ canary: unknown })).toMatchObject({ status: "fail", got: expect.stringMatching(/^enforcement unknown: the canary could not be set up/) });
    });

    it("fails when the learner's pod reaches nothing (not even its own namespace), a path could not be judged, or no probe ran", () => {
        expect(judge({ control: { what: "ada's own postgres", probe: timedOut } })).toMatchObject({ status: "fail", got: expect.stringContaining("this pod reaches nothing, not even its own namespace") });
        expect(judge({ paths: [path("node", "the node's kubelet", { kind: "error", detail: "curl exit 6" })] })).toMatchObject({ status: "fail", got: "could not tell: the node's kubelet over IPv4: curl exit 6" });
        expect(judge({ probeError: "no sidecar pod" })).toMatchObject({ status: "fail", got: "no sidecar pod" });
    });

    it("with no other learner, the node and the API server are still tried, and the finding says so", () => {
        const alone = judge({ paths: allBlocked.filter((p) => p.to !== "neighbour"), noNeighbour: "the course has one learner: no other learner's pod to try" });
        expect(alone.status).toBe("pass");
        expect(alone.got).toMatch(/the API server 10.245.0.1:6444 connection timed out; IPv6: closed.*; the course has one learner: no other learner's pod to try$/);
    });
});
