/**
 * kubectl as podlab's Kubernetes client. It speaks every authentication a
 * kubeconfig can name (client certificates, tokens, exec plugins), and it is
 * what learners use anyway: the lab puts the one built with its control plane
 * on PATH (lab/env); elsewhere, the cluster's own.
 */
import { execFile } from "child_process";

/** A kubectl run that failed: the command (never its input) and what it printed. */
export class KubectlError extends Error {
    constructor(
        public readonly args: string[],
        public readonly stderr: string,
        public readonly exitCode: number | null,
    ) {
        super(`kubectl ${args.join(" ")}: ${stderr.trim() || `exit ${exitCode}`}`);
        this.name = "KubectlError";
    }
}

export interface KubectlOptions {
    /** Written to kubectl's stdin (a manifest); never part of an error message. */
    input?: string;
    /** Another kubeconfig than $KUBECONFIG (a learner's). */
    kubeconfig?: string;
    /** Default 60 s. */
    timeoutMs?: number;
}

/** What a kubectl run printed and how it ended. */
export interface KubectlResult {
    /** kubectl's exit status; null when it was killed (its timeout) or could not start. */
    exitCode: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs kubectl and resolves with how it ended, whatever that was: for callers
 * that judge the answer themselves (`exec` of a probe whose exit status is the
 * finding, a refusal that is the expected outcome).
 */
export function kubectlRun(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    const full = opts.kubeconfig === undefined ? args : [`--kubeconfig=${opts.kubeconfig}`, ...args];
    return new Promise((resolve) => {
        const child = execFile("kubectl", full, { encoding: "utf8", maxBuffer: 64 * 2 ** 20, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
            if (!err) {
                resolve({ exitCode: 0, stdout, stderr });
                return;
            }
            const e = err as NodeJS.ErrnoException & { killed?: boolean };
            const why = e.code === "ENOENT" ? "kubectl not found on PATH (the lab's is put there by lab/env)" : e.killed ? `${stderr}killed after ${(opts.timeoutMs ?? 60_000) / 1000} s` : stderr;
            resolve({ exitCode: typeof e.code === "number" ? e.code : null, stdout, stderr: why });
        });
        child.stdin?.end(opts.input ?? "");
    });
}

/** Runs kubectl; resolves with its stdout, rejects with a {@link KubectlError}. */
export async function kubectl(args: string[], opts: KubectlOptions = {}): Promise<string> {
    const r = await kubectlRun(args, opts);
    if (r.exitCode !== 0) {
        throw new KubectlError(args, r.stderr, r.exitCode);
    }
    return r.stdout;
}

/** Runs kubectl with `-o json` and parses what it prints. */
export async function kubectlJson<T = any>(args: string[], opts: KubectlOptions = {}): Promise<T> {
    return JSON.parse(await kubectl([...args, "-o", "json"], opts)) as T;
}
