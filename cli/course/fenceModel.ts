/**
 * The network-fence check, judged: pure functions from what curl and /proc
 * printed inside pods to a status, so every decision is unit-tested without a
 * cluster. fenceProbe.ts makes the connections; check.ts puts them together.
 *
 * A learner's pods must reach nothing outside their namespace, over every
 * address family they have: another learner's pods (IPv4, and IPv6 wherever
 * the pod has an IPv6 address, link-local included), the node (the kubelet),
 * and the API server. The canary (canary.ts) tells a fence that holds from a
 * cluster whose network plugin ignores NetworkPolicy, per family and per
 * direction: a pass is only ever given where enforcement was shown.
 */
import { CanaryFinding, CheckResult, FamilyFinding } from "./checkModel";

export const FAMILIES = ["IPv4", "IPv6"] as const;
export type Family = (typeof FAMILIES)[number];

/** What a connection attempt from a pod came to. connected: the handshake completed (a path is open), but no HTTP answer came. */
export type Probe =
    | { kind: "answered"; httpCode: number }
    | { kind: "connected"; detail: string }
    | { kind: "refused" }
    | { kind: "timed-out" }
    | { kind: "error"; detail: string };

/** curl's exit codes for a connection that never got an answer (refused, timed out). */
const CURL_REFUSED = 7;
const CURL_TIMEOUT = 28;

/**
 * What curl writes per transfer: the URL's index on its command line (URLs
 * with an IPv6 zone are not echoed back as given), the HTTP status, its exit
 * code, and the seconds until the connection was set up (0: never).
 */
export const PROBE_WRITE_OUT = "%{urlnum} %{http_code} %{exitcode} %{time_connect}\\n";

/**
 * The {@link PROBE_WRITE_OUT} lines of one curl run over `count` URLs, in the
 * URLs' order. A connection that was set up is a reached path, whatever came
 * after it (a server that is not HTTP closes it, a busy one is slow); blocked
 * means no connection was ever set up.
 */
export function parseProbes(stdout: string, count: number): Probe[] {
    const lines = new Map<number, string[]>();
    for (const line of stdout.split("\n")) {
        const [index, ...rest] = line.trim().split(/\s+/);
        if (/^\d+$/.test(index)) {
            lines.set(Number(index), rest);
        }
    }
    return Array.from({ length: count }, (_, i): Probe => {
        const [code, exit, connect] = lines.get(i) ?? [];
        const exitCode = Number(exit);
        if (exit === undefined) {
            return { kind: "error", detail: "no answer line from curl" };
        }
        if (exitCode === 0 && Number(code) > 0) {
            return { kind: "answered", httpCode: Number(code) };
        }
        if (Number(connect) > 0) {
            return { kind: "connected", detail: `connected, then curl exit ${exit}` };
        }
        if (exitCode === CURL_REFUSED) {
            return { kind: "refused" };
        }
        if (exitCode === CURL_TIMEOUT) {
            return { kind: "timed-out" };
        }
        return { kind: "error", detail: `curl exit ${exit}` };
    });
}

export function describeProbe(p: Probe): string {
    switch (p.kind) {
        case "answered":
            return `answered HTTP ${p.httpCode}`;
        case "refused":
            return "connection refused";
        case "timed-out":
            return "connection timed out";
        default:
            return p.detail;
    }
}

/** Blocked: no connection was set up, and it was a refusal or a timeout (what a NetworkPolicy does: REJECT or DROP), not some other error. */
export function blocked(p: Probe): boolean {
    return p.kind === "refused" || p.kind === "timed-out";
}

/** Reached: a connection was set up, answered or not. */
export function reached(p: Probe): boolean {
    return p.kind === "answered" || p.kind === "connected";
}

/** One IPv6 address of a pod's interface, from /proc/net/if_inet6. */
export interface Ipv6Address {
    address: string;
    iface: string;
    linkLocal: boolean;
}

/**
 * A pod's IPv6 addresses from /proc/net/if_inet6 (address, index, prefix,
 * scope, flags, interface), loopback left out: `::1` leads nowhere else. An
 * empty file (IPv6 disabled in the pod's network namespace) gives none.
 */
export function parseIfInet6(text: string): Ipv6Address[] {
    const out: Ipv6Address[] = [];
    for (const line of text.split("\n")) {
        const f = line.trim().split(/\s+/);
        if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0]) || f[5] === "lo") {
            continue;
        }
        out.push({ address: compressIpv6(f[0]), iface: f[5], linkLocal: f[3] === "20" });
    }
    return out;
}

/** The next hop of a pod's IPv6 default route (usually the node's link-local address), from /proc/net/ipv6_route. */
export function parseIpv6DefaultGateway(text: string): { address: string; iface: string } | undefined {
    for (const line of text.split("\n")) {
        const f = line.trim().split(/\s+/);
        if (f.length >= 10 && /^0{32}$/.test(f[0]) && f[1] === "00" && /^[0-9a-f]{32}$/i.test(f[4]) && !/^0{32}$/.test(f[4])) {
            return { address: compressIpv6(f[4]), iface: f[9] };
        }
    }
    return undefined;
}

/** 32 hex digits as an IPv6 address in its shortest form (RFC 5952). */
export function compressIpv6(hex: string): string {
    const groups = hex.toLowerCase().match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ""));
    let best = { at: -1, len: 0 };
    for (let i = 0; i < 8; ) {
        let j = i;
        while (j < 8 && groups[j] === "0") {
            j++;
        }
        if (j - i > best.len && j - i > 1) {
            best = { at: i, len: j - i };
        }
        i = j > i ? j : i + 1;
    }
    if (best.at < 0) {
        return groups.join(":");
    }
    return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/** The URL curl takes for a host and port; an IPv6 link-local address needs the prober's interface as its zone (`%25` in a URL). */
export function probeUrl(host: string, port: number, zone?: string): string {
    if (!host.includes(":")) {
        return `http://${host}:${port}/`;
    }
    return `http://[${host}${zone ? `%25${zone}` : ""}]:${port}/`;
}

/** What the canary's three pods showed for one address family. */
export interface CanaryFamilyProbes {
    /** prober -> open (no policy): the network itself works. */
    open: Probe;
    /** prober -> fenced (its policy denies all ingress). */
    fenced: Probe;
    /** fenced -> open (its policy denies all egress). */
    egress: Probe;
}

/** One family's verdict from the canary's probes. */
export function canaryFamily(family: Family, p: CanaryFamilyProbes): FamilyFinding {
    const leaks = [
        ...(reached(p.fenced) ? [`its fenced pod (a NetworkPolicy denies it all ingress) ${describeProbe(p.fenced)} to its prober over ${family}`] : []),
        ...(reached(p.egress) ? [`its fenced pod (a NetworkPolicy denies it all egress) reached its open pod over ${family} (${describeProbe(p.egress)})`] : []),
    ];
    if (leaks.length > 0) {
        const ignored = [reached(p.fenced) ? "ingress" : "", reached(p.egress) ? "egress" : ""].filter(Boolean).join(" and ");
        return { verdict: "not-enforced", detail: `${leaks.join("; ")}: this cluster's network plugin ignores ${ignored} policies over ${family}` };
    }
    if (!reached(p.open)) {
        const errors = [p.open, p.fenced, p.egress].filter((x) => !blocked(x) && !reached(x));
        return family === "IPv6" && errors.length === 0
            ? { verdict: "closed", detail: `the canary's pods have IPv6 addresses but reach none of each other's (open pod: ${describeProbe(p.open)}): IPv6 carries no traffic between pods` }
            : { verdict: "unknown", detail: `the canary's prober could not reach its open pod over ${family} (${describeProbe(p.open)}), so a blocked connection proves nothing` };
    }
    if (blocked(p.fenced) && blocked(p.egress)) {
        return { verdict: "enforced", detail: `over ${family} its open pod answered, and its fenced pod was blocked both ways (in: ${describeProbe(p.fenced)}, out: ${describeProbe(p.egress)})` };
    }
    const odd = [p.fenced, p.egress].find((x) => !blocked(x))!;
    return { verdict: "unknown", detail: `over ${family} a probe of the canary's fenced pod could not be judged: ${describeProbe(odd)}` };
}

/**
 * The cluster-wide verdict: not-enforced when either family leaks in either
 * direction; enforced only when IPv4 is, and IPv6 is too or carries nothing
 * (no address in the canary's pods, read from their /proc/net/if_inet6).
 */
export function canaryVerdict(namespace: string, probes: { IPv4?: CanaryFamilyProbes; IPv6?: CanaryFamilyProbes | { absent: string } }, setupError?: string): CanaryFinding {
    if (setupError !== undefined || probes.IPv4 === undefined) {
        return { namespace, verdict: "unknown", detail: `the canary could not be set up: ${setupError ?? "no probe ran"}` };
    }
    const families: Record<Family, FamilyFinding> = {
        IPv4: canaryFamily("IPv4", probes.IPv4),
        IPv6: probes.IPv6 === undefined ? { verdict: "unknown", detail: "IPv6 was not probed" } : "absent" in probes.IPv6 ? { verdict: "closed", detail: probes.IPv6.absent } : canaryFamily("IPv6", probes.IPv6),
    };
    const all = FAMILIES.map((f) => families[f]);
    const verdict = all.some((f) => f.verdict === "not-enforced") ? "not-enforced" : all.some((f) => f.verdict === "unknown") ? "unknown" : "enforced";
    const detail =
        verdict === "enforced"
            ? `the canary: ${families.IPv4.detail}: NetworkPolicy is enforced; IPv6: ${families.IPv6.verdict === "enforced" ? families.IPv6.detail.replace(/^over IPv6 /, "") : families.IPv6.detail}`
            : `the canary: ${all.filter((f) => f.verdict === verdict).map((f) => f.detail).join("; ")}`;
    return { namespace, verdict, detail, families };
}

/** One path a learner's pod must not have: to another learner's pod, the node, or the API server. */
export interface FencePath {
    family: Family;
    /** neighbour: another learner's pod; node: its kubelet; api-server: the API server's endpoint. */
    to: "neighbour" | "node" | "api-server";
    /** What was tried, for a reader: "grace's postgres 10.245.0.7:5432". */
    what: string;
    probe: Probe;
}

/** Why a learner's pod has no IPv6 path, or the IPv6 addresses it has. */
export type Ipv6State = { closed: string } | { addresses: string[] };

/** network-fence of one learner: every path out of their namespace blocked, on a cluster whose canary shows enforcement. */
export function judgeNetworkFence(a: {
    learner: string;
    tried: string;
    canary: CanaryFinding;
    /** Why no probe ran (no pod to probe from, exec refused), if it did not. */
    probeError?: string;
    /** A pod of the learner's own namespace, which must answer: the pod's network works. */
    control?: { what: string; probe: Probe };
    paths: FencePath[];
    ipv6: Ipv6State;
    /** Why there is no other learner's pod to try, if there is none. */
    noNeighbour?: string;
}): CheckResult {
    const base = { check: "network-fence" as const, learner: a.learner, tried: a.tried };
    if (a.probeError !== undefined) {
        return { ...base, status: "fail", got: a.probeError };
    }
    const v6 = "closed" in a.ipv6 ? `IPv6: closed, ${a.ipv6.closed}` : `IPv6 addresses ${a.ipv6.addresses.join(", ")}`;
    const open = a.paths.filter((p) => reached(p.probe));
    if (open.length > 0) {
        const listed = open.map((p) => `${p.what} over ${p.family} ${describeProbe(p.probe)}`).join(", ");
        if (a.canary.verdict === "not-enforced") {
            return { ...base, status: "not-enforced", got: `open: ${listed}; ${a.canary.detail}` };
        }
        const why = open.some((p) => p.to === "neighbour")
            ? ` (another learner's pod: a NetworkPolicy is missing or changed on one side, or its plugin does not enforce ${open.find((p) => p.to === "neighbour")!.family})`
            : ` (${a.learner}'s pods get out of their namespace: its NetworkPolicy does not hold egress)`;
        return { ...base, status: "fail", got: `open: ${listed}${why}; ${v6}` };
    }
    if (a.canary.verdict === "not-enforced") {
        return { ...base, status: "not-enforced", got: `${summarise(a.paths)}; ${a.canary.detail}` };
    }
    if (a.canary.verdict === "unknown") {
        return { ...base, status: "fail", got: `enforcement unknown: ${a.canary.detail}; ${summarise(a.paths)}` };
    }
    const unclear = a.paths.filter((p) => !blocked(p.probe));
    if (unclear.length > 0) {
        return { ...base, status: "fail", got: `could not tell: ${unclear.map((p) => `${p.what} over ${p.family}: ${describeProbe(p.probe)}`).join(", ")}` };
    }
    if (a.control !== undefined && !reached(a.control.probe)) {
        return { ...base, status: "fail", got: `${a.control.what} ${describeProbe(a.control.probe)}: this pod reaches nothing, not even its own namespace, so a blocked connection proves nothing` };
    }
    const control = a.control ? `; ${a.control.what} ${describeProbe(a.control.probe)}` : "";
    const alone = a.noNeighbour ? `; ${a.noNeighbour}` : "";
    return { ...base, status: "pass", got: `${summarise(a.paths)}; ${v6}${control}${alone}` };
}

/** "IPv4: grace's nginx 10.245.0.7:8080, the node 10.245.0.1:10250 timed out" per family and outcome. */
function summarise(paths: FencePath[]): string {
    const groups = new Map<string, string[]>();
    for (const p of paths) {
        const key = `${p.family}|${describeProbe(p.probe)}`;
        groups.set(key, [...(groups.get(key) ?? []), p.what]);
    }
    if (groups.size === 0) {
        return "nothing to probe";
    }
    return [...groups.entries()].map(([key, whats]) => `${key.split("|")[0]}: ${whats.join(", ")} ${key.split("|")[1]}`).join("; ");
}
