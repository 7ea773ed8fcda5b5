/**
 * kubectl as podlab's Kubernetes client. It speaks every authentication a
 * kubeconfig can name (client certificates, tokens, exec plugins), and it is
 * what learners use anyway: the lab puts the one built with its control plane
 * on PATH (lab/env); elsewhere, the cluster's own.
 */
import { execFile, spawnSync } from "child_process";

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
    /** The environment kubectl runs in (PATH, KUBECONFIG). Default: this process's. */
    env?: NodeJS.ProcessEnv;
}

/** What a kubectl run printed and how it ended. */
export interface KubectlResult {
    /** kubectl's exit status; null when it was killed (its timeout) or could not start. */
    exitCode: number | null;
    stdout: string;
    stderr: string;
}

/** kubectl's arguments for a run: the kubeconfig first, when another than $KUBECONFIG is named. */
function argv(args: string[], opts: KubectlOptions): string[] {
    return opts.kubeconfig === undefined ? args : [`--kubeconfig=${opts.kubeconfig}`, ...args];
}

const MAX_BUFFER = 64 * 2 ** 20;
const DEFAULT_TIMEOUT_MS = 60_000;

/** Why a kubectl run that did not exit on its own failed: not found, or killed at its timeout. */
function notRun(code: string | undefined, killed: boolean, stderr: string, opts: KubectlOptions): string | undefined {
    if (code === "ENOENT") {
        return "kubectl not found on PATH (the lab's is put there by lab/env)";
    }
    return killed ? `${stderr}killed after ${(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s` : undefined;
}

/**
 * Runs kubectl and resolves with how it ended, whatever that was: for callers
 * that judge the answer themselves (`exec` of a probe whose exit status is the
 * finding, a refusal that is the expected outcome).
 */
export function kubectlRun(args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
        const child = execFile("kubectl", argv(args, opts), { encoding: "utf8", env: opts.env, maxBuffer: MAX_BUFFER, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (err, stdout, stderr) => {
            if (!err) {
                resolve({ exitCode: 0, stdout, stderr });
                return;
            }
            const e = err as NodeJS.ErrnoException & { killed?: boolean };
            const why = notRun(typeof e.code === "string" ? e.code : undefined, e.killed === true, stderr, opts) ?? stderr;
            resolve({ exitCode: typeof e.code === "number" ? e.code : null, stdout, stderr: why });
        });
        child.stdin?.end(opts.input ?? "");
    });
}

/** Runs kubectl; resolves with its stdout, rejects with a {@link KubectlError}. */
export async function kubectl(args: string[], opts: KubectlOptions = {}): Promise<string> {
    return stdoutOf(args, await kubectlRun(args, opts));
}

/** Runs kubectl with `-o json` and parses what it prints. */
export async function kubectlJson<T = any>(args: string[], opts: KubectlOptions = {}): Promise<T> {
    return JSON.parse(await kubectl([...args, "-o", "json"], opts)) as T;
}

/*
 * The same three, blocking: for the end-to-end suites, whose steps run one
 * after another and whose polls ask a plain function (tests/e2e/lab.ts). The
 * commands never block: they run many learners at once.
 */

/** {@link kubectlRun}, blocking. */
export function kubectlRunSync(args: string[], opts: KubectlOptions = {}): KubectlResult {
    const r = spawnSync("kubectl", argv(args, opts), { encoding: "utf8", env: opts.env, input: opts.input ?? "", maxBuffer: MAX_BUFFER, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    const e = r.error as NodeJS.ErrnoException | undefined;
    const why = notRun(e?.code, e?.code === "ETIMEDOUT", r.stderr ?? "", opts);
    return { exitCode: why === undefined ? r.status : null, stdout: r.stdout ?? "", stderr: why ?? r.stderr };
}

/** {@link kubectl}, blocking: returns its stdout, throws a {@link KubectlError}. */
export function kubectlSync(args: string[], opts: KubectlOptions = {}): string {
    return stdoutOf(args, kubectlRunSync(args, opts));
}

/** {@link kubectlJson}, blocking. */
export function kubectlJsonSync<T = any>(args: string[], opts: KubectlOptions = {}): T {
    return JSON.parse(kubectlSync([...args, "-o", "json"], opts)) as T;
}

function stdoutOf(args: string[], r: KubectlResult): string {
    if (r.exitCode !== 0) {
        throw new KubectlError(args, r.stderr, r.exitCode);
    }
    return r.stdout;
}
