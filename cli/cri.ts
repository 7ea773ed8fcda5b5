/**
 * Pod sandboxes and containers as the node's container runtime reports them
 * (the CRI, through crictl). podlab sees a runtime only on the lab's real node
 * (`bash lab/cluster.sh crictl`); on the KWOK lab there is none, and on another
 * cluster (PODLAB_KUBECONFIG) the nodes are not podlab's to look into.
 */
import { execFile } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "./automation";

/** One pod sandbox: the container that holds the pod's network namespace. */
export interface CriSandbox {
    id: string;
    podUid: string;
    podName: string;
    namespace: string;
    /** SANDBOX_READY or SANDBOX_NOTREADY. */
    state: string;
    /** The address of the sandbox's network namespace (the pod IP), from `crictl inspectp`. */
    ip?: string;
    /** The path of that network namespace on the node. */
    netns?: string;
    /** The sandbox's process on the node. */
    pid?: number;
}

/** One running container and the sandbox it runs in. */
export interface CriContainer {
    id: string;
    name: string;
    podUid: string;
    sandboxId: string;
    state: string;
}

export type CriView =
    | { visible: true; /** Where the facts come from, for a reader. */ source: string; sandboxes: CriSandbox[]; containers: CriContainer[] }
    | { visible: false; /** Why podlab cannot see a runtime here. */ reason: string };

/** Whether podlab can see a container runtime from this environment, and why not. */
export function criReachable(env: NodeJS.ProcessEnv = process.env): { reachable: true } | { reachable: false; reason: string } {
    if (env.PODLAB_KUBECONFIG) {
        return { reachable: false, reason: "PODLAB_KUBECONFIG names another cluster: podlab sees a container runtime (CRI) only on the lab's real node" };
    }
    if (env.PODLAB_NODE === "kwok") {
        return { reachable: false, reason: "the KWOK lab's node is simulated: it runs no containers and has no container runtime" };
    }
    return { reachable: true };
}

/** How crictl runs: the lab's own, against the real node's containerd. */
export const LAB_CRICTL = ["bash", path.join(PROJECT_DIR, "lab", "cluster.sh"), "crictl"];

/**
 * Reads every sandbox (with its network namespace) and every running container
 * from the node's runtime: three crictl runs, whatever the number of pods.
 * Never throws: a runtime that cannot be read is reported as not visible, with crictl's answer.
 */
export async function readCri(env: NodeJS.ProcessEnv = process.env): Promise<CriView> {
    const reach = criReachable(env);
    if (!reach.reachable) {
        return { visible: false, reason: reach.reason };
    }
    for (let attempt = 1; ; attempt++) {
        try {
            const [pods, ps] = await Promise.all([crictl(["pods", "-o", "json"]), crictl(["ps", "-o", "json"])]);
            const ids = (JSON.parse(pods) as CrictlPods).items.map((s) => s.id);
            const inspected = ids.length === 0 ? "" : await crictl(["inspectp", "-o", "json", ...ids]);
            return { visible: true, source: "crictl on the lab's real node (its containerd)", ...parseCri(pods, ps, inspected) };
        } catch (e) {
            if (attempt < CRI_READ_ATTEMPTS && sandboxGoneMeanwhile((e as Error).message)) {
                continue;
            }
            return { visible: false, reason: `crictl on the lab's real node failed: ${(e as Error).message}` };
        }
    }
}

/** Reads of the runtime made before it is reported not visible, when pods come and go while it is read. */
export const CRI_READ_ATTEMPTS = 3;

/**
 * A sandbox listed by `crictl pods` was removed before `crictl inspectp` asked
 * for it (a pod deleted meanwhile): the read is made again, not failed.
 */
export function sandboxGoneMeanwhile(message: string): boolean {
    return /^crictl inspectp: .*(code = NotFound|not found)/.test(message);
}

interface CrictlPods {
    items: Array<{ id: string; state: string; metadata: { name: string; uid: string; namespace: string } }>;
}

interface CrictlPs {
    containers: Array<{ id: string; podSandboxId: string; state: string; metadata: { name: string }; labels?: Record<string, string> }>;
}

interface CrictlInspectp {
    status?: { id?: string; network?: { ip?: string } };
    info?: { pid?: number; runtimeSpec?: { linux?: { namespaces?: Array<{ type: string; path?: string }> } } };
}

/** Sandboxes and containers from crictl's JSON: `pods`, `ps` and `inspectp` (one object per sandbox, concatenated). */
export function parseCri(podsJson: string, psJson: string, inspectpJson: string): { sandboxes: CriSandbox[]; containers: CriContainer[] } {
    const details = new Map(jsonStream<CrictlInspectp>(inspectpJson).map((d) => [d.status?.id ?? "", d]));
    const sandboxes = (JSON.parse(podsJson) as CrictlPods).items.map((s): CriSandbox => {
        const d = details.get(s.id);
        return {
            id: s.id,
            podUid: s.metadata.uid,
            podName: s.metadata.name,
            namespace: s.metadata.namespace,
            state: s.state,
            ip: d?.status?.network?.ip || undefined,
            netns: d?.info?.runtimeSpec?.linux?.namespaces?.find((n) => n.type === "network")?.path,
            pid: d?.info?.pid,
        };
    });
    const containers = (JSON.parse(psJson) as CrictlPs).containers.map(
        (c): CriContainer => ({ id: c.id, name: c.metadata.name, podUid: c.labels?.["io.kubernetes.pod.uid"] ?? "", sandboxId: c.podSandboxId, state: c.state }),
    );
    return { sandboxes, containers };
}

/** Parses one JSON value, an array of them, or several written one after another (crictl inspectp with several IDs). */
export function jsonStream<T>(text: string): T[] {
    const out: T[] = [];
    let depth = 0;
    let start = -1;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (inString) {
            if (ch === "\\") {
                i++;
            } else if (ch === '"') {
                inString = false;
            }
        } else if (ch === '"') {
            inString = true;
        } else if (ch === "{" || ch === "[") {
            if (depth++ === 0) {
                start = i;
            }
        } else if ((ch === "}" || ch === "]") && --depth === 0) {
            const value = JSON.parse(text.slice(start, i + 1)) as T | T[];
            out.push(...(Array.isArray(value) ? value : [value]));
        }
    }
    return out;
}

function crictl(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(LAB_CRICTL[0], [...LAB_CRICTL.slice(1), ...args], { encoding: "utf8", maxBuffer: 256 * 2 ** 20, timeout: 60_000 }, (err, stdout, stderr) => {
            if (err) {
                reject(new Error(`crictl ${args[0]}: ${(stderr || err.message).trim().split("\n").slice(-3).join("; ")}`));
            } else {
                resolve(stdout);
            }
        });
    });
}
