/**
 * The cluster as a learner reaches it, through the official Kubernetes client
 * (@kubernetes/client-node) and always with that learner's own kubeconfig: a
 * shell in their workbench (exec, with a TTY and resizes, over the exec
 * WebSocket subprotocol: v5.channel.k8s.io against a 1.30+ API server), a
 * watch of their pods, and whether their token still works. Nothing here uses
 * the admin's credential.
 *
 * The client is an ES module; Node 24 loads it from this CommonJS program with
 * require(). Jest cannot, so unit tests use the interfaces in terminal.ts and
 * picture.ts with stand-ins, and this file is exercised on the lab (e2e, bench).
 */
import { Writable, PassThrough } from "stream";
import { WebSocket } from "ws";
import { AuthenticationV1Api, CoreV1Api, Exec, KubeConfig, V1Status, makeInformer } from "@kubernetes/client-node";
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import { KubePod } from "../kubePod";

/** Where a learner's shell runs: their workbench pod's container and the command. */
export interface ShellTarget {
    pod: string;
    container: string;
    command: string[];
}

/** An open shell: bytes in and out, a terminal size, and an end. */
export interface Shell {
    /** The exec subprotocol the API server chose (v5.channel.k8s.io on 1.30+). */
    readonly protocol: string;
    write(data: Buffer): void;
    resize(cols: number, rows: number): void;
    /** Stops reading the shell's output (the browser is behind); resume() reads on. */
    pause(): void;
    resume(): void;
    close(): void;
    onOutput(listener: (data: Buffer) => void): void;
    /** Called once when the shell ends, with why, in the learner's terms. */
    onEnd(listener: (why: string) => void): void;
}

/** A learner's credential, loaded once: a shell or watch keeps the token it started with, whatever the file says later. */
export function loadCredential(file: string): { kc: KubeConfig; token: string } {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const token = kc.getCurrentUser()?.token;
    if (!token) {
        throw new Error("the learner's kubeconfig holds no token");
    }
    return { kc, token };
}

/** Output that client-node's Exec sees as a terminal: it has rows and columns and emits 'resize'. */
class TerminalOutput extends Writable {
    public rows: number;
    public columns: number;
    constructor(
        size: { cols: number; rows: number },
        private readonly sink: (data: Buffer) => void,
    ) {
        super();
        this.rows = size.rows;
        this.columns = size.cols;
    }
    override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
        this.sink(chunk);
        done();
    }
}

/**
 * Opens a shell in the learner's workbench with their credential. Rejects with
 * what the API server said (a missing pod, a Forbidden, a revoked token).
 */
export async function openShell(kc: KubeConfig, namespace: string, target: ShellTarget, size: { cols: number; rows: number }): Promise<Shell> {
    const outputListeners: Array<(d: Buffer) => void> = [];
    const endListeners: Array<(why: string) => void> = [];
    let ended = false;
    const end = (why: string) => {
        if (!ended) {
            ended = true;
            endListeners.forEach((l) => l(why));
        }
    };
    const stdin = new PassThrough();
    const stdout = new TerminalOutput(size, (d) => outputListeners.forEach((l) => l(d)));
    // The handler's own streams: its default would be this process's stdin and stdout, which a close frame from the server would end.
    const handler = new WebSocketHandler(kc, socketWithAnswers, { stdin, stdout, stderr: stdout });
    const exec = new Exec(kc, handler);
    const conn = await exec.exec(namespace, target.pod, target.container, target.command, stdout, null, stdin, true, (status: V1Status) => {
        end(status.status === "Success" ? "the shell exited" : `the shell ended: ${status.message ?? status.reason ?? "unknown"}`);
    });
    const ws = conn as unknown as WebSocket;
    ws.on("close", (code: number) => end(code === 1000 ? "the shell exited" : `the connection to the cluster closed (${code})`));
    ws.on("error", (e: Error) => end(`the connection to the cluster failed: ${e.message}`));
    return {
        protocol: ws.protocol,
        write: (data) => stdin.write(data),
        resize: (cols, rows) => {
            stdout.columns = cols;
            stdout.rows = rows;
            stdout.emit("resize");
        },
        pause: () => ws.pause(),
        resume: () => ws.resume(),
        close: () => {
            end("closed");
            ws.close();
        },
        onOutput: (l) => outputListeners.push(l),
        onEnd: (l) => endListeners.push(l),
    };
}

/**
 * Runs a command in the learner's workbench with their credential, without a
 * TTY, `input` on its stdin (closed after it: the v5 exec protocol can say
 * so); resolves with its stdout once it ends, rejects with what it said.
 */
export async function runInWorkbench(kc: KubeConfig, namespace: string, target: Pick<ShellTarget, "pod" | "container">, command: string[], input: string): Promise<string> {
    let stdout = "";
    let stderr = "";
    const out = new Writable({ write: (c: Buffer, _e, done) => ((stdout += c.toString("utf8")), done()) });
    const err = new Writable({ write: (c: Buffer, _e, done) => ((stderr += c.toString("utf8")), done()) });
    const stdin = new PassThrough();
    const handler = new WebSocketHandler(kc, socketWithAnswers, { stdin, stdout: out, stderr: err });
    return new Promise<string>((resolve, reject) => {
        new Exec(kc, handler)
            .exec(namespace, target.pod, target.container, command, out, err, stdin, false, (status: V1Status) =>
                status.status === "Success" ? resolve(stdout) : reject(new Error((stderr.trim() || status.message) ?? "the command failed")),
            )
            .then((conn) => {
                const ws = conn as unknown as WebSocket;
                ws.on("close", () => reject(new Error(stderr.trim() || "the connection to the cluster closed before the command ended")));
                stdin.end(input);
            }, reject);
    });
}

/**
 * A WebSocket to the API server that turns a refused upgrade into an error
 * carrying the API server's own message ("pods \"workbench\" not found"),
 * where the client alone would say only "Unexpected server response: 404".
 */
function socketWithAnswers(uri: string, protocols: string[], opts: object): WebSocket {
    const ws = new WebSocket(uri, protocols, opts);
    ws.on("unexpected-response", (req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d.length + body.length < 8192 ? d : ""));
        res.on("end", () => {
            ws.emit("error", new Error(statusMessage(res.statusCode ?? 0, body)));
            req.destroy();
            ws.terminate();
        });
    });
    return ws;
}

function statusMessage(code: number, body: string): string {
    try {
        const s = JSON.parse(body) as { message?: string };
        if (s.message) {
            return s.message;
        }
    } catch {
        // not a Status
    }
    return `the API server answered ${code}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ""}`;
}

/**
 * Whether the token still works: a SelfSubjectReview with it (any
 * authenticated user may ask who they are). Only a 401 says no; a network
 * failure is not taken for a revocation.
 */
export async function tokenWorks(kc: KubeConfig): Promise<boolean> {
    try {
        await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } });
        return true;
    } catch (e) {
        return (e as { code?: number }).code !== 401;
    }
}

/**
 * Watches a namespace's pods with the learner's credential (list, then watch,
 * re-watched as the client's informer does). `onPods` gets every pod each time
 * one changes; `onError` a failure (a revoked token), after which the watch has stopped.
 */
export function watchPods(kc: KubeConfig, namespace: string, onPods: (pods: KubePod[]) => void, onError: (why: string) => void): () => void {
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => api.listNamespacedPod({ namespace }));
    // The list's objects are the client's classes (dates as Date); the watch's are plain JSON: make both plain JSON.
    const changed = () => onPods(informer.list(namespace).map((p) => JSON.parse(JSON.stringify(p)) as KubePod));
    informer.on("add", changed);
    informer.on("update", changed);
    informer.on("delete", changed);
    let failed = false;
    const fail = (e: unknown) => {
        failed = true;
        onError(apiErrorMessage(e));
    };
    informer.on("error", fail);
    // The first list may be empty (no add event): draw once it is in, unless it failed.
    informer.start().then(() => failed || changed(), fail);
    return () => void informer.stop();
}

/** What an error of the client says, without its headers. */
export function apiErrorMessage(e: unknown): string {
    const err = e as { code?: number; body?: unknown; message?: string; statusCode?: number };
    if (typeof err.code === "number" && err.body !== undefined) {
        const body = typeof err.body === "string" ? err.body : JSON.stringify(err.body);
        return statusMessage(err.code, body);
    }
    if (err.statusCode === 401 || err.code === 401) {
        return "Unauthorized: the credential no longer works";
    }
    return err.message ?? String(e);
}
