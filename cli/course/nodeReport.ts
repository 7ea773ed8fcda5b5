/**
 * What `course up` says about the cluster under the learners' environments:
 * each node's kubelet configuration, read through the API server's configz
 * proxy where the admin may (a per-pod PID limit, evictions, reservations,
 * anonymous access, the read-only port), the cluster's DNS against the
 * fence's DNS allowance, the API server's endpoints against the allowance
 * for podlab's own API clients, and IPv6 in the course's pods (read inside
 * one of them: link-local addresses are in no API object). It warns about
 * what podlab cannot fence; it changes nothing, and a warning does not fail
 * `up`. On the lab it comes out clean.
 */
import { isIP } from "net";
import { kubectlJson, kubectlRun } from "../kubectl";
import { KubePod } from "../kubePod";
import { ClusterDns } from "../../components/networkFence";
import { NetworkConfig } from "../../components/networkConfig";
import { parseIfInet6 } from "./fenceModel";

export interface Report {
    lines: string[];
    warnings: string[];
}

/** The part of a kubelet's configz podlab reads (KubeletConfiguration). */
export interface KubeletConfigz {
    podPidsLimit?: number;
    evictionHard?: Record<string, string>;
    systemReserved?: Record<string, string>;
    kubeReserved?: Record<string, string>;
    readOnlyPort?: number;
    authentication?: { anonymous?: { enabled?: boolean } };
    authorization?: { mode?: string };
}

const show = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",");

/** One node's kubelet, judged: what holds, and a warning for each thing that leaves a learner room. */
export function judgeKubelet(node: string, k: KubeletConfigz): Report {
    const warnings: string[] = [];
    const pids = k.podPidsLimit ?? -1;
    if (pids <= 0) {
        warnings.push(`${node}: no per-pod PID limit (podPidsLimit ${pids}): a learner's pod can fork until the node runs out of PIDs, which its kubelet and runtime share`);
    }
    const pidEviction = k.evictionHard?.["pid.available"];
    if (pidEviction === undefined) {
        warnings.push(`${node}: no pid.available eviction threshold: the kubelet does not evict pods before the node runs out of PIDs`);
    }
    const reserved = { ...k.systemReserved, ...k.kubeReserved };
    if (reserved.cpu === undefined || reserved.memory === undefined) {
        warnings.push(`${node}: no cpu or memory kept from pods (systemReserved ${show(k.systemReserved) || "none"}, kubeReserved ${show(k.kubeReserved) || "none"}): learners' pods may take what the kubelet and the system need`);
    }
    if (k.authentication?.anonymous?.enabled !== false) {
        warnings.push(`${node}: the kubelet answers anonymous requests (authentication.anonymous.enabled is not false)`);
    }
    if (k.authorization?.mode === "AlwaysAllow") {
        warnings.push(`${node}: the kubelet authorizes every request (authorization.mode AlwaysAllow)`);
    }
    if ((k.readOnlyPort ?? 0) !== 0) {
        warnings.push(`${node}: the kubelet's read-only port ${k.readOnlyPort} is open, without authentication: only the egress fence keeps learners' pods off it`);
    }
    const line =
        `${node}: podPidsLimit ${pids}, evictionHard pid.available ${pidEviction ?? "unset"}, systemReserved ${show(k.systemReserved) || "none"}, ` +
        `kubeReserved ${show(k.kubeReserved) || "none"}, anonymous ${k.authentication?.anonymous?.enabled === false ? "off" : "on"}, read-only port ${k.readOnlyPort ? k.readOnlyPort : "off"}`;
    return { lines: [line], warnings };
}

/** The fence's DNS allowance against the cluster's DNS Service (kube-system/kube-dns, the name every distribution keeps). */
export function judgeDns(allowance: ClusterDns | undefined, service: { namespace: string; selector?: Record<string, string> } | undefined): Report {
    const selects = (a: ClusterDns) => `pods of ${a.namespace} labelled ${show({ ...a.podLabels })}`;
    if (service === undefined) {
        return allowance === undefined
            ? { lines: ["cluster DNS: none (no Service kube-system/kube-dns); learners' pods get no DNS, and the fence allows none"], warnings: [] }
            : { lines: [], warnings: [`cluster DNS: the fence lets pods query ${selects(allowance)}, but the cluster has no Service kube-system/kube-dns: set podlab:network.dns to where its DNS runs, or to none`] };
    }
    const found = `Service ${service.namespace}/kube-dns selects ${show(service.selector) || "nothing"}`;
    if (allowance === undefined) {
        return { lines: [], warnings: [`cluster DNS: ${found}, but the fence allows no DNS (podlab:network.dns: none): learners' pods cannot resolve names`] };
    }
    const matches = allowance.namespace === service.namespace && service.selector !== undefined && Object.entries(allowance.podLabels).every(([k, v]) => service.selector![k] === v);
    return matches
        ? { lines: [`cluster DNS: ${found}; the fence lets pods query it (UDP and TCP 53)`], warnings: [] }
        : { lines: [], warnings: [`cluster DNS: ${found}, but the fence allows ${selects(allowance)}: set podlab:network.dns to match, or learners' pods cannot resolve names`] };
}

/** The API server's endpoints against how podlab's own API clients are told to reach it (podlab:network.apiServer). */
export function judgeApiServer(configured: NetworkConfig["apiServer"], endpoints: { addresses: string[]; port: number } | undefined): Report {
    const where = endpoints ? endpoints.addresses.map((a) => (isIP(a) === 6 ? `[${a}]:${endpoints.port}` : `${a}:${endpoints.port}`)).join(", ") : "unknown (no EndpointSlice for default/kubernetes)";
    if (configured === undefined) {
        return { lines: [`API server endpoints ${where}: no pod of a learner's environment may reach them (podlab:network.apiServer is not set)`], warnings: [] };
    }
    const missing = endpoints ? endpoints.addresses.filter((a) => !configured.addresses.includes(a)) : [];
    if (endpoints && (missing.length > 0 || configured.port !== endpoints.port)) {
        return {
            lines: [],
            warnings: [`API server: endpoints ${where}, but podlab:network.apiServer allows ${configured.addresses.join(", ")} port ${configured.port}: podlab's own API clients (the workbench) may not reach it`],
        };
    }
    return { lines: [`API server endpoints ${where}: only podlab's own API clients may reach them, at ${configured.url}`], warnings: [] };
}

/** IPv6 in the course's pods: seen in the API (dual-stack) or inside a pod (link-local). */
export function judgeIpv6(seen: { apiIpv6: string[]; inPod?: { pod: string; addresses: string[] } }): Report {
    const addresses = [...seen.apiIpv6, ...(seen.inPod?.addresses ?? [])];
    if (addresses.length > 0) {
        return {
            lines: [],
            warnings: [
                `IPv6: pods have IPv6 addresses (${addresses.slice(0, 3).join(", ")}${addresses.length > 3 ? ", ..." : ""}): podlab's policies cover IPv6, but a network plugin that enforces IPv4 only leaves IPv6 open; run course check, which tries it`,
            ],
        };
    }
    return seen.inPod
        ? { lines: [`IPv6: none in the course's pods (${seen.inPod.pod}: /proc/net/if_inet6 lists none but loopback)`], warnings: [] }
        : { lines: ["IPv6: no course pod runs on a node with containers yet; course check reads their addresses"], warnings: [] };
}

type KubeNode = { metadata: { name: string; annotations?: Record<string, string> }; spec?: { podCIDRs?: string[] } };

/** Reads what it can and judges it; a part that cannot be read is said, and warned about. */
export async function nodeReport(course: { label: string; network: NetworkConfig }): Promise<Report> {
    const out: Report = { lines: [], warnings: [] };
    const add = (r: Report) => (out.lines.push(...r.lines), out.warnings.push(...r.warnings));
    const nodes = (await kubectlJson<{ items: KubeNode[] }>(["get", "nodes"])).items;
    for (const n of nodes) {
        if (n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake") {
            out.lines.push(`${n.metadata.name}: simulated (KWOK): no kubelet, no containers, nothing to fence`);
            continue;
        }
        const r = await kubectlRun(["get", "--raw", `/api/v1/nodes/${n.metadata.name}/proxy/configz`]);
        if (r.exitCode !== 0) {
            out.warnings.push(`${n.metadata.name}: cannot read its kubelet's configuration (GET /api/v1/nodes/${n.metadata.name}/proxy/configz: ${r.stderr.trim().split("\n").pop()}): its PID limit, evictions and reservations are unknown`);
            continue;
        }
        add(judgeKubelet(n.metadata.name, (JSON.parse(r.stdout) as { kubeletconfig: KubeletConfigz }).kubeletconfig));
    }

    const dns = await kubectlRun(["get", "service", "kube-dns", "--namespace=kube-system", "-o", "json"]);
    add(judgeDns(course.network.dns, dns.exitCode === 0 ? { namespace: "kube-system", selector: (JSON.parse(dns.stdout) as { spec?: { selector?: Record<string, string> } }).spec?.selector } : undefined));

    const slices = await kubectlJson<{ items: Array<{ endpoints?: Array<{ addresses: string[] }>; ports?: Array<{ port?: number }> }> }>(["get", "endpointslices", "--namespace=default", "--selector=kubernetes.io/service-name=kubernetes"]);
    const addresses = [...new Set(slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)))];
    const port = slices.items.flatMap((s) => s.ports ?? []).find((p) => p.port !== undefined)?.port;
    add(judgeApiServer(course.network.apiServer, addresses.length > 0 && port !== undefined ? { addresses, port } : undefined));

    const pods = (await kubectlJson<{ items: KubePod[] }>(["get", "pods", "--all-namespaces", `--selector=${course.label}`])).items;
    const apiIpv6 = [...new Set([...pods.flatMap((p) => (p.status?.podIPs ?? []).map((x) => x.ip)), ...nodes.flatMap((n) => n.spec?.podCIDRs ?? [])].filter((ip) => ip.includes(":")))];
    const simulated = new Set(nodes.filter((n) => n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake").map((n) => n.metadata.name));
    const running = pods.find((p) => p.status?.phase === "Running" && !simulated.has(p.spec.nodeName ?? ""));
    let inPod: { pod: string; addresses: string[] } | undefined;
    if (running) {
        const name = `${running.metadata.namespace}/${running.metadata.name}`;
        const r = await kubectlRun(["--namespace", running.metadata.namespace, "exec", running.metadata.name, "-c", running.spec.containers[0].name, "--", "cat", "/proc/net/if_inet6"]);
        if (r.exitCode === 0) {
            inPod = { pod: name, addresses: parseIfInet6(r.stdout).map((a) => `${a.address}%${a.iface}`) };
        } else {
            out.warnings.push(`IPv6: cannot read /proc/net/if_inet6 in ${name}: ${r.stderr.trim().split("\n").pop()}`);
        }
    }
    add(judgeIpv6({ apiIpv6, inPod }));
    return out;
}
