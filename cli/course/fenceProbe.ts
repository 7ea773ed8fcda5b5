/**
 * The network-fence check's connections, made for real from inside pods:
 * curl in a learner's sidecar container with the learner's own kubeconfig
 * (to another learner's pods, the node's kubelet, the API server, and one pod
 * of their own namespace as the control), and curl in the canary's pods with
 * the admin's. Every pod first prints its /proc/net/if_inet6 and
 * /proc/net/ipv6_route, so IPv6 is probed wherever the pod has an address
 * (link-local included, which the API server never lists) and otherwise said
 * to be closed for that reason. fenceModel.ts judges what comes back.
 */
import { isIP } from "net";
import { kubectlRun } from "../kubectl";
import { podRole } from "../picture/model";
import { KubePod } from "../kubePod";
import { CANARY_CURL_CONTAINER, Canary } from "./canary";
import {
    CanaryFamilyProbes,
    Family,
    FencePath,
    Ipv6Address,
    Ipv6State,
    Probe,
    parseIfInet6,
    parseIpv6DefaultGateway,
    parseProbes,
    probeUrl,
    PROBE_WRITE_OUT,
} from "./fenceModel";

/**
 * How long a connection may take to be set up: a timeout is the expected
 * answer where policies drop packets (on one node a connection that is let
 * through is set up in well under a millisecond).
 */
export const PROBE_CONNECT_SECONDS = 3;
/** How long a connection that was set up may take to answer: a busy server is slow, not blocked. */
export const PROBE_ANSWER_SECONDS = 15;

/** What the admin reads once for every learner's network probe. */
export interface NetworkFacts {
    /** Each node's kubelet port. */
    kubeletPorts: Map<string, number>;
    /** The API server's endpoints (the EndpointSlices of default/kubernetes), every family. */
    apiServer?: { addresses: string[]; port: number };
}

/** One connection to try: where, over which family, and what it means. */
interface Target {
    family: Family;
    to: FencePath["to"] | "control";
    what: string;
    host: string;
    port: number;
}

/** What one run in a pod printed: its IPv6 addresses, its IPv6 default route's next hop, and one probe per target. */
interface PodRun {
    ipv6: Ipv6Address[];
    gateway?: { address: string; iface: string };
    probes: Probe[];
    /** Why nothing could be read, if so. */
    error?: string;
}

const SEPARATOR = "@@podlab-fence@@";
/** Prints the pod's IPv6 state, then runs curl with the arguments (if any). */
const POD_SCRIPT = `cat /proc/net/if_inet6 2>/dev/null; echo ${SEPARATOR}; cat /proc/net/ipv6_route 2>/dev/null; echo ${SEPARATOR}; [ $# -gt 0 ] || exit 0; exec curl "$@"`;

/** Reads a pod's IPv6 state and probes the targets in one `kubectl exec`; the connections run in parallel (one timeout costs its seconds once). */
async function runInPod(pod: { namespace: string; name: string; container: string }, targets: Array<{ url: string }>, kubeconfig?: string): Promise<PodRun> {
    const curl =
        targets.length === 0
            ? []
            : [
                  "--silent",
                  "--globoff",
                  "--parallel",
                  "--connect-timeout",
                  String(PROBE_CONNECT_SECONDS),
                  "--max-time",
                  String(PROBE_ANSWER_SECONDS),
                  "--write-out",
                  PROBE_WRITE_OUT,
                  ...targets.flatMap(() => ["--output", "/dev/null"]),
                  ...targets.map((t) => t.url),
              ];
    const r = await kubectlRun(["--namespace", pod.namespace, "exec", pod.name, "-c", pod.container, "--", "sh", "-c", POD_SCRIPT, "sh", ...curl], { kubeconfig, timeoutMs: 60_000 });
    const parts = r.stdout.split(`${SEPARATOR}\n`);
    if (parts.length < 3) {
        return { ipv6: [], probes: [], error: `could not run sh and curl in ${pod.namespace}/${pod.name} (${pod.container}): ${r.stderr.trim().split("\n").pop() ?? `exit ${r.exitCode}`}` };
    }
    return { ipv6: parseIfInet6(parts[0]), gateway: parseIpv6DefaultGateway(parts[1]), probes: parseProbes(parts[2], targets.length) };
}

/** A pod's IPv6 addresses, read inside it (admin): link-local ones are in no API object. */
async function podIpv6(pod: KubePod): Promise<Ipv6Address[]> {
    const container = pod.spec.containers[0].name;
    const r = await runInPod({ namespace: pod.metadata.namespace, name: pod.metadata.name, container }, []);
    return r.ipv6;
}

const ipsOf = (list: Array<{ ip: string }> | undefined, single: string | undefined) => [...new Set([...(list ?? []).map((x) => x.ip), ...(single ? [single] : [])])];
const familyOf = (ip: string): Family => (isIP(ip) === 6 ? "IPv6" : "IPv4");
const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/** The addresses a target pod is reached at over IPv6 from a prober: its global ones from the API, and (when the prober has link-local) its link-local ones. */
function ipv6Hosts(apiIps: string[], inPod: Ipv6Address[], proberZone: string | undefined): Array<{ host: string; zone?: string }> {
    const global = [...new Set([...apiIps.filter((ip) => familyOf(ip) === "IPv6"), ...inPod.filter((a) => !a.linkLocal).map((a) => a.address)])];
    const linkLocal = proberZone === undefined ? [] : inPod.filter((a) => a.linkLocal).map((a) => a.address);
    return [...global.map((host) => ({ host })), ...linkLocal.map((host) => ({ host, zone: proberZone }))];
}

/** What a learner's probe found, for fenceModel's judgeNetworkFence. */
export interface LearnerFenceObservation {
    tried: string;
    probeError?: string;
    control?: { what: string; probe: Probe };
    paths: FencePath[];
    ipv6: Ipv6State;
}

/**
 * From the learner's sidecar container (or, in an exercise, their workbench),
 * with their kubeconfig: one pod of their own namespace (the control), every
 * pod of the neighbour at each of its container ports, the node's kubelet and
 * the API server (not from the workbench: reaching it is the workbench's
 * allowance); over IPv4, and over IPv6 where the prober has an IPv6 address.
 */
export async function probeLearnerFence(a: {
    learner: string;
    namespace: string;
    kubeconfig: string;
    /** The pod and container curl runs in; `what` names it for a learner (sidecar, workbench). */
    from: { pod: KubePod; container: string; what: string };
    ownPods: KubePod[];
    neighbour?: { learner: string; pods: KubePod[] };
    facts: NetworkFacts;
}): Promise<LearnerFenceObservation> {
    const sidecar = a.from.pod;
    // The workbench runs kubectl: the fence lets it reach the API server on purpose.
    const apiServerAllowed = a.from.container !== "sidecar";
    const kubeletPort = a.facts.kubeletPorts.get(sidecar.spec.nodeName ?? "");
    const nodeIps = ipsOf(sidecar.status?.hostIPs, sidecar.status?.hostIP);
    const portsOf = (p: KubePod) => p.spec.containers.flatMap((c) => (c.ports ?? []).filter((x) => (x.protocol ?? "TCP") === "TCP").map((x) => ({ container: c.name, port: x.containerPort })));
    const control = a.ownPods.find((p) => p.metadata.name !== sidecar.metadata.name && podRole(p) === "postgres" && p.status?.podIP) ?? a.ownPods.find((p) => p.metadata.name !== sidecar.metadata.name && p.status?.podIP && portsOf(p).length > 0);
    const neighbourPods = (a.neighbour?.pods ?? []).filter((p) => ipsOf(p.status?.podIPs, p.status?.podIP).length > 0 && portsOf(p).length > 0);

    // Everything the API knows the addresses of: IPv4, and IPv6 where the API lists it.
    const known: Target[] = [];
    if (control) {
        const port = portsOf(control)[0];
        known.push({ family: "IPv4", to: "control", what: `${a.learner}'s own ${control.metadata.name} ${hostPort(control.status!.podIP!, port.port)}`, host: control.status!.podIP!, port: port.port });
    }
    for (const p of neighbourPods) {
        for (const ip of ipsOf(p.status?.podIPs, p.status?.podIP)) {
            for (const { container, port } of portsOf(p)) {
                known.push({ family: familyOf(ip), to: "neighbour", what: `${a.neighbour!.learner}'s ${p.metadata.name} (${container}) ${hostPort(ip, port)}`, host: ip, port });
            }
        }
    }
    if (kubeletPort !== undefined) {
        nodeIps.forEach((ip) => known.push({ family: familyOf(ip), to: "node", what: `the node's kubelet ${hostPort(ip, kubeletPort)}`, host: ip, port: kubeletPort }));
    }
    for (const ip of apiServerAllowed ? [] : a.facts.apiServer?.addresses ?? []) {
        known.push({ family: familyOf(ip), to: "api-server", what: `the API server ${hostPort(ip, a.facts.apiServer!.port)}`, host: ip, port: a.facts.apiServer!.port });
    }
    const pod = { namespace: a.namespace, name: sidecar.metadata.name, container: a.from.container };
    const tried = `curl --connect-timeout ${PROBE_CONNECT_SECONDS} from ${a.learner}'s ${a.from.what} container (with ${a.learner}'s kubeconfig), after reading its /proc/net/if_inet6`;
    const first = await runInPod(pod, known.map((t) => ({ url: probeUrl(t.host, t.port) })), a.kubeconfig);
    if (first.error !== undefined) {
        return { tried, probeError: first.error, paths: [], ipv6: { closed: "not read" } };
    }
    const results: Array<{ target: Target; probe: Probe }> = known.map((target, i) => ({ target, probe: first.probes[i] }));

    let ipv6: Ipv6State;
    if (first.ipv6.length === 0) {
        ipv6 = { closed: `no IPv6 address in ${a.learner}'s ${a.from.what} (its /proc/net/if_inet6 lists none but loopback)` };
    } else {
        ipv6 = { addresses: first.ipv6.map((x) => `${x.address}%${x.iface}`) };
        // Link-local paths: the neighbour's pods' own fe80:: addresses (read inside them), and the node's (the IPv6 default route's next hop).
        const zone = first.ipv6.find((x) => x.linkLocal)?.iface;
        const more: Array<Target & { zone?: string }> = [];
        for (const p of neighbourPods) {
            for (const h of ipv6Hosts([], (await podIpv6(p)).filter((x) => x.linkLocal), zone)) {
                for (const { container, port } of portsOf(p)) {
                    more.push({ family: "IPv6", to: "neighbour", what: `${a.neighbour!.learner}'s ${p.metadata.name} (${container}) [${h.host}%${h.zone}]:${port}`, host: h.host, zone: h.zone, port });
                }
            }
        }
        if (first.gateway && kubeletPort !== undefined) {
            more.push({ family: "IPv6", to: "node", what: `the node's kubelet [${first.gateway.address}%${first.gateway.iface}]:${kubeletPort}`, host: first.gateway.address, zone: first.gateway.iface, port: kubeletPort });
        }
        if (more.length > 0) {
            const second = await runInPod(pod, more.map((t) => ({ url: probeUrl(t.host, t.port, t.zone) })), a.kubeconfig);
            more.forEach((target, i) => results.push({ target, probe: second.error !== undefined ? { kind: "error", detail: second.error } : second.probes[i] }));
        }
    }
    const controlResult = results.find((r) => r.target.to === "control");
    const paths = results.filter((r) => r.target.to !== "control").map((r) => ({ family: r.target.family, to: r.target.to as FencePath["to"], what: r.target.what, probe: r.probe }));
    return { tried: `${tried}, to ${[...new Set(results.map((r) => r.target.what))].join(", ") || "nothing"}`, control: controlResult && { what: controlResult.target.what, probe: controlResult.probe }, paths, ipv6 };
}

/**
 * The canary's probes (admin): prober -> open and prober -> fenced, and
 * fenced's own curl -> open, per family; IPv6 only where the prober has an
 * address (else absent, with the reason read from its /proc/net/if_inet6).
 */
export async function probeCanary(c: Canary, canaryPods: KubePod[]): Promise<{ IPv4?: CanaryFamilyProbes; IPv6?: CanaryFamilyProbes | { absent: string }; error?: string }> {
    const at = (ips: string[], family: Family) => ips.filter((ip) => familyOf(ip) === family);
    const prober = { namespace: c.namespace, name: "prober", container: CANARY_CURL_CONTAINER };
    const fenced = { namespace: c.namespace, name: "fenced", container: CANARY_CURL_CONTAINER };
    const v4 = (ips: string[]) => at(ips, "IPv4").map((ip) => ({ url: probeUrl(ip, c.port) }));
    const [fromProber, fromFenced] = await Promise.all([runInPod(prober, [...v4(c.ips.open), ...v4(c.ips.fenced)]), runInPod(fenced, v4(c.ips.open))]);
    const failed = [fromProber, fromFenced].find((r) => r.error !== undefined);
    if (failed) {
        return { error: failed.error };
    }
    const IPv4 = { open: fromProber.probes[0], fenced: fromProber.probes[1], egress: fromFenced.probes[0] };
    const zone = fromProber.ipv6.find((x) => x.linkLocal)?.iface;
    if (fromProber.ipv6.length === 0) {
        return { IPv4, IPv6: { absent: "no IPv6 address in the canary's pods (the prober's /proc/net/if_inet6 lists none but loopback)" } };
    }
    const podNamed = (name: string) => canaryPods.find((p) => p.metadata.name === name)!;
    const [openV6, fencedV6] = await Promise.all([podIpv6(podNamed("open")), podIpv6(podNamed("fenced"))]);
    const fencedZone = fromFenced.ipv6.find((x) => x.linkLocal)?.iface;
    const first = (hosts: Array<{ host: string; zone?: string }>) => hosts.slice(0, 1).map((h) => ({ url: probeUrl(h.host, c.port, h.zone) }));
    const toOpen = first(ipv6Hosts(c.ips.open, openV6, zone));
    const toFenced = first(ipv6Hosts(c.ips.fenced, fencedV6, zone));
    const outOfFenced = first(ipv6Hosts(c.ips.open, openV6, fencedZone));
    if (toOpen.length === 0 || toFenced.length === 0 || outOfFenced.length === 0) {
        return { IPv4, IPv6: { absent: "the canary's prober has an IPv6 address, but its other pods have none" } };
    }
    const [p6, f6] = await Promise.all([runInPod(prober, [...toOpen, ...toFenced]), runInPod(fenced, outOfFenced)]);
    const err = (r: PodRun): Probe => ({ kind: "error", detail: r.error ?? "no answer" });
    return { IPv4, IPv6: { open: p6.error ? err(p6) : p6.probes[0], fenced: p6.error ? err(p6) : p6.probes[1], egress: f6.error ? err(f6) : f6.probes[0] } };
}
