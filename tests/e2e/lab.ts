/**
 * What the end-to-end suite needs from the lab: the real cluster through the
 * built kubectl, and podlab stacks in a scratch project with their own state backend.
 */
import { execFileSync, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR, ensurePassword, openStack, scratchProject } from "../../cli/automation";
import { readCri } from "../../cli/cri";
import { Ipv6Address, compressIpv6 } from "../../cli/course/fenceModel";
import { labImageArchive, labImageRef } from "../labImages";

/** Lab pods get IPs from this range (the real node's bridge, or KWOK's --cidr); lab/env exports it. */
export const POD_CIDR = process.env.PODLAB_POD_CIDR ?? "10.245.0.0/24";

/** The lab's node: a kubelet on containerd (default), or the KWOK fallback. lab/env exports it. */
export const LAB_NODE: "real" | "kwok" = process.env.PODLAB_NODE === "kwok" ? "kwok" : "real";

/**
 * The config of the lab stack: the dev stack's values with the lab's locally
 * built images, which the real node has (and KWOK never pulls).
 */
export const LAB_STACK_CONFIG = "Pulumi.lab.yaml";

/**
 * The manifest digest of a lab image, from the archive lab/images/build.sh
 * wrote and the real node imported. A KWOK-only lab may not have built the
 * images; KWOK never pulls, so a well-formed digest derived from the name stands in.
 */
export function labImageDigest(name: string): string {
    const archive = labImageArchive(name);
    if (!fs.existsSync(archive)) {
        if (LAB_NODE === "real") {
            throw new Error(`${archive} is missing: the real node's lab builds it (lab/images/build.sh)`);
        }
        return `sha256:${createHash("sha256").update(labImageRef(name)).digest("hex")}`;
    }
    const index = JSON.parse(execFileSync("tar", ["-xOf", archive, "index.json"], { encoding: "utf8" }));
    return index.manifests[0].digest as string;
}

/** Fails loudly unless the suite runs against a live lab cluster. */
export function requireLab(): void {
    if (!process.env.KUBECONFIG || !fs.existsSync(process.env.KUBECONFIG)) {
        throw new Error("no lab kubeconfig: run the suite with `npm run e2e`, which starts the lab (lab/cluster.sh up) first");
    }
    const version = spawnSync("kubectl", ["version", "-o", "json"], { encoding: "utf8" });
    if (version.status !== 0) {
        throw new Error(`the lab's API server does not answer: ${version.stderr}`);
    }
}

/**
 * Fails loudly unless the suite runs against the lab's real node: a KWOK lab
 * (or any fake node) must fail a suite that needs real containers and packets,
 * not pass it on fake pods.
 */
export function requireRealNode(): void {
    if (LAB_NODE !== "real") {
        throw new Error("this suite needs the lab's real node: run it with `npm run e2e`, not with PODLAB_NODE=kwok");
    }
    requireLab();
    const nodes = kubectlJson<{ items: any[] }>("get", "nodes").items;
    const runtimes = nodes.map((n) => `${n.metadata.name}=${n.status.nodeInfo.containerRuntimeVersion}`);
    if (nodes.length !== 1 || !nodes[0].status.nodeInfo.containerRuntimeVersion.startsWith("containerd://")) {
        throw new Error(`the lab's nodes are not one kubelet on containerd: ${runtimes.join(", ")}`);
    }
}

/** kubectl against the lab; throws with its stderr on failure. */
export function kubectl(...args: string[]): string {
    return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** kubectl that is expected to fail: returns its exit status and output. */
export function kubectlResult(...args: string[]): { status: number; output: string } {
    const r = spawnSync("kubectl", args, { encoding: "utf8" });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

export function kubectlJson<T = any>(...args: string[]): T {
    return JSON.parse(kubectl(...args, "-o", "json")) as T;
}

/** The pods of a namespace, by name. */
export function podsIn(namespace: string): Record<string, any> {
    const list = kubectlJson<{ items: any[] }>("get", "pods", "-n", namespace);
    return Object.fromEntries(list.items.map((p) => [p.metadata.name, p]));
}

/**
 * Checks a stack's `podIps` output against the cluster: every IP distinct and
 * in the lab's pod range, each pod at its IP as the API server reports it, and
 * Ready. Returns the pods, by name.
 */
export function expectReadyPodsAt(namespace: string, podIps: Record<string, string>): Record<string, any> {
    expect(new Set(Object.values(podIps)).size).toBe(Object.keys(podIps).length);
    const pods = podsIn(namespace);
    for (const [name, ip] of Object.entries(podIps)) {
        expect(ipInCidr(ip, POD_CIDR)).toBe(true);
        expect(pods[name].status.podIP).toBe(ip);
        expect(pods[name].status.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    }
    return pods;
}

/**
 * The podlab objects (by the project's label) of the given environments' namespaces, as
 * kind/namespace/name@resourceVersion. Scoped to those namespaces, so a learner's own
 * stacks on the same lab neither break nor hide a check.
 */
export function podlabObjects(namespaces: string[]): string[] {
    const list = kubectlJson<{ items: any[] }>("get", "namespaces,pods,secrets,configmaps", "-A", "-l", "app.kubernetes.io/part-of=podlab");
    return list.items
        .filter((o) => namespaces.includes(o.kind === "Namespace" ? o.metadata.name : o.metadata.namespace))
        .map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort();
}

/** A podlab stack in its own scratch directory, with state in a backend private to this run. */
export async function scratchStack(root: string, stackName: string, stackConfigFrom?: string): Promise<Stack> {
    const dir = scratchProject(path.join(root, stackName), stackConfigFrom, stackName);
    const stack = await openStack(stackName, dir);
    await ensurePassword(stack);
    return stack;
}

/** Points Pulumi at a fresh file backend under a new temp dir and returns that dir. */
export function privateBackend(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-e2e-"));
    fs.mkdirSync(path.join(root, "backend"));
    process.env.PULUMI_BACKEND_URL = `file://${path.join(root, "backend")}`;
    return root;
}

/** The raw state file of a stack in a file backend. */
export function stateFile(backendRoot: string, stackName: string): string {
    const file = path.join(backendRoot, "backend", ".pulumi", "stacks", "podlab", `${stackName}.json`);
    return fs.readFileSync(file, "utf8");
}

/** Collects the steps an operation takes, by URN, leaving out resources that stay the same. */
export function stepRecorder(): { onEvent: (e: EngineEvent) => void; changed: () => Map<string, Set<OpType>> } {
    const ops = new Map<string, Set<OpType>>();
    return {
        onEvent: (e) => {
            const m = e.resourcePreEvent?.metadata;
            if (m && m.op !== "same" && m.op !== "read" && m.op !== "refresh") {
                ops.set(m.urn, (ops.get(m.urn) ?? new Set()).add(m.op));
            }
        },
        changed: () => ops,
    };
}

/** The name part of a URN. */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

export function ipInCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const toInt = (a: string) => a.split(".").reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
    const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
    return ((toInt(ip) & mask) >>> 0) === ((toInt(base) & mask) >>> 0);
}

/**
 * podlab's deploy command (cli/stack.ts, built into bin/ by `npm run build`) in
 * its own process, as a user runs it: a program that fails on bad config is
 * reported by the command, not by this test process.
 */
export function deployCommand(command: string, stackName: string, workDir: string): { status: number; output: string } {
    const script = path.join(PROJECT_DIR, "bin", "cli", "stack.js");
    if (!fs.existsSync(script)) {
        throw new Error(`${script} is missing: npm run e2e builds it (npm run build)`);
    }
    // env given explicitly: jest's process.env (with the suite's private backend) is not what child_process passes by default.
    const r = spawnSync(process.execPath, [script, command, "--stack", stackName, "--workdir", workDir], { encoding: "utf8", env: process.env });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/**
 * `kubectl exec` in one container; stdout apart from stderr (kubectl 1.32's
 * websocket client may log "Unknown stream id 1, discarding message" there).
 */
export function execIn(namespace: string, pod: string, container: string, ...command: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync("kubectl", ["exec", "-n", namespace, pod, "-c", container, "--", ...command], { encoding: "utf8" });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The password in a postgres pod's Secret (`<pod>-credentials`). */
export function secretPassword(namespace: string, pod: string): string {
    const secret = kubectlJson("get", "secret", `${pod}-credentials`, "-n", namespace);
    return Buffer.from(secret.data.password, "base64").toString();
}

/** psql, in a postgres pod's container, to host:5432 as user postgres with a password (scram-sha-256 for any address but the pod's own loopback). */
export function psqlOverTcp(namespace: string, clientPod: string, host: string, password: string, sql: string, db = "postgres"): ReturnType<typeof execIn> {
    return execIn(namespace, clientPod, "postgres", "env", `PGPASSWORD=${password}`, "PGCONNECT_TIMEOUT=5",
        "psql", "-w", "-h", host, "-p", "5432", "-U", "postgres", "-d", db, "-Atc", sql);
}

/** {@link psqlOverTcp} asking the server where it answered: on success it prints "ip:5432". */
export function psqlServerAddress(namespace: string, clientPod: string, ip: string, password: string): ReturnType<typeof execIn> {
    return psqlOverTcp(namespace, clientPod, ip, password, "select host(inet_server_addr()) || ':' || inet_server_port()");
}

/** Opens a TCP connection from this host to ip:port (over the lab bridge) and closes it. */
export function tcpConnects(ip: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: ip, port, timeout: 3000 });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("timeout", () => {
            socket.destroy();
            resolve(false);
        });
        socket.once("error", () => resolve(false));
    });
}

/** Polls `check` every second until it holds; returns the milliseconds that took. */
export async function waitFor(what: string, timeoutMs: number, check: () => boolean): Promise<number> {
    const start = Date.now();
    while (!check()) {
        if (Date.now() - start > timeoutMs) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    return Date.now() - start;
}

/**
 * A learner's own credential for an environment, as `course credentials` makes
 * one: a token from the TokenRequest API for the environment's ServiceAccount,
 * in a kubeconfig of its own (the cluster as the admin's names it). Never the
 * admin's, never impersonation.
 */
export function learnerKubeconfig(dir: string, namespace: string, serviceAccount = "learner"): string {
    const token = kubectl("create", "token", serviceAccount, "-n", namespace, "--duration=1h").trim();
    const admin = JSON.parse(kubectl("config", "view", "--raw", "--minify", "-o", "json"));
    const file = path.join(dir, `${namespace}-${serviceAccount}.kubeconfig`);
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "lab", cluster: admin.clusters[0].cluster }],
        users: [{ name: serviceAccount, user: { token } }],
        contexts: [{ name: "lab", context: { cluster: "lab", user: serviceAccount, namespace } }],
        "current-context": "lab",
    };
    fs.writeFileSync(file, yaml.dump(doc), { mode: 0o600 });
    return file;
}

/** kubectl with another kubeconfig (a learner's): exit status and output, never throws. */
export function kubectlAs(kubeconfig: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync("kubectl", [`--kubeconfig=${kubeconfig}`, ...args], { encoding: "utf8", timeout: 120_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The network namespace of a pod's ready sandbox on the lab's real node (crictl). */
export async function podNetns(namespace: string, pod: string): Promise<string> {
    const cri = await readCri();
    if (!cri.visible) {
        throw new Error(`no container runtime to look into: ${cri.reason}`);
    }
    const sandbox = cri.sandboxes.find((s) => s.namespace === namespace && s.podName === pod && s.state === "SANDBOX_READY");
    if (!sandbox?.netns) {
        throw new Error(`no ready sandbox with a network namespace for ${namespace}/${pod}`);
    }
    return sandbox.netns;
}

/** A pod's IPv6 addresses (loopback left out) as the node sees them inside its network namespace (root on the host). */
export async function podIpv6(namespace: string, pod: string): Promise<Array<Ipv6Address & { tentative: boolean }>> {
    const text = execFileSync("nsenter", [`--net=${await podNetns(namespace, pod)}`, "cat", "/proc/net/if_inet6"], { encoding: "utf8" });
    return text
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f.length >= 6 && f[5] !== "lo")
        // IFA_F_TENTATIVE (0x40): duplicate address detection still runs; the address cannot be used yet.
        .map((f) => ({ address: compressIpv6(f[0]), iface: f[5], linkLocal: f[3] === "20", tentative: (parseInt(f[4], 16) & 0x40) !== 0 }));
}

/**
 * Turns IPv6 on or off in a pod's network namespace, as only the node's admin
 * can (root on the host, nsenter): what the lab's CNI config (tuning) turns off
 * for every pod. On, it waits until the pod's link-local address is usable.
 */
export async function setPodIpv6(namespace: string, pod: string, on: boolean): Promise<void> {
    const v = on ? "0" : "1";
    execFileSync("nsenter", [`--net=${await podNetns(namespace, pod)}`, "sysctl", "-qw", `net.ipv6.conf.all.disable_ipv6=${v}`, `net.ipv6.conf.default.disable_ipv6=${v}`]);
    if (on) {
        const start = Date.now();
        while (!(await podIpv6(namespace, pod)).some((a) => a.linkLocal && !a.tentative)) {
            if (Date.now() - start > 15_000) {
                throw new Error(`${namespace}/${pod} has no usable link-local address 15 s after IPv6 was turned on`);
            }
            await new Promise((r) => setTimeout(r, 250));
        }
    }
}
