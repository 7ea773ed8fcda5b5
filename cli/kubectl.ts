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

/** Runs kubectl; resolves with its stdout, rejects with a {@link KubectlError}. */
export function kubectl(args: string[], opts: KubectlOptions = {}): Promise<string> {
    const full = opts.kubeconfig === undefined ? args : [`--kubeconfig=${opts.kubeconfig}`, ...args];
    return new Promise((resolve, reject) => {
        const child = execFile("kubectl", full, { encoding: "utf8", maxBuffer: 64 * 2 ** 20, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
            if (err) {
                const code = typeof (err as NodeJS.ErrnoException).code === "number" ? ((err as NodeJS.ErrnoException).code as unknown as number) : null;
                const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "kubectl not found on PATH (the lab's is put there by lab/env)" : stderr;
                reject(new KubectlError(args, why, code));
            } else {
                resolve(stdout);
            }
        });
        child.stdin?.end(opts.input ?? "");
    });
}

/** Runs kubectl with `-o json` and parses what it prints. */
export async function kubectlJson<T = any>(args: string[], opts: KubectlOptions = {}): Promise<T> {
    return JSON.parse(await kubectl([...args, "-o", "json"], opts)) as T;
}
