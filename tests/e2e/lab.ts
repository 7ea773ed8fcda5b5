/**
 * What the end-to-end suite needs from the lab: the real cluster through the
 * built kubectl, and podlab stacks in a scratch project with their own state backend.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR, ensurePassword, openStack, scratchProject } from "../../lab/automation";

/** Lab pods get IPs from this range (KWOK's --cidr); lab/env exports it. */
export const POD_CIDR = process.env.PODLAB_POD_CIDR ?? "10.244.0.0/16";

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
    const dir = scratchProject(path.join(root, stackName), stackConfigFrom);
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
 * podlab's deploy command (lab/stack.ts, built into bin/ by `npm run build`) in
 * its own process, as a user runs it: a program that fails on bad config is
 * reported by the command, not by this test process.
 */
export function deployCommand(command: string, stackName: string, workDir: string): { status: number; output: string } {
    const script = path.join(PROJECT_DIR, "bin", "lab", "stack.js");
    if (!fs.existsSync(script)) {
        throw new Error(`${script} is missing: npm run e2e builds it (npm run build)`);
    }
    const r = spawnSync(process.execPath, [script, command, "--stack", stackName, "--workdir", workDir], { encoding: "utf8" });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
