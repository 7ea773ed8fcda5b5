/**
 * How each of the course check's findings is judged: pure functions from what
 * a command printed to a status, so every decision (not-enforced and
 * not-possible included) is unit-tested without a cluster. check.ts runs the
 * commands; the findings' format is cli/checkReport.ts, which board.ts and the
 * pages read.
 */
import { CanaryFinding, CheckResult } from "../checkReport";
import { PodView } from "../picture/model";

/** What a command printed and how it ended. */
export interface Outcome {
    exitCode: number | null;
    stdout: string;
    stderr: string;
}

/** A command's answer in one line, for `got`: its output, else its error, shortened. */
export function gist(o: Outcome, max = 240): string {
    const text = `${o.stdout.trim()}${o.stdout.trim() && o.stderr.trim() ? " | " : ""}${o.stderr.trim()}`.replace(/\s*\n\s*/g, " / ");
    const body = text === "" ? "(nothing)" : text.length > max ? `${text.slice(0, max - 1)}…` : text;
    return o.exitCode === 0 ? body : `exit ${o.exitCode ?? "(killed)"}: ${body}`;
}

/** postgres-port: psql from a pod of the learner to `ip`:`port` must answer with that address and port (inet_server_addr, inet_server_port). */
export function judgePsql(a: { learner: string; pod: string; ip: string; port: number; tried: string; outcome: Outcome }): CheckResult {
    const row = new RegExp(`(^|\\s)${a.ip.replace(/\./g, "\\.")}\\s*\\|\\s*${a.port}(\\s|$)`, "m");
    const ok = a.outcome.exitCode === 0 && row.test(a.outcome.stdout);
    return { check: "postgres-port", learner: a.learner, pod: a.pod, status: ok ? "pass" : "fail", tried: a.tried, got: ok ? `postgres answered as ${a.ip}:${a.port}` : gist(a.outcome) };
}

/** sidecar-localhost: curl to localhost inside the sidecar container must return nginx's page for this pod. */
export function judgeSidecarPage(a: { learner: string; pod: string; expectedPage: string; tried: string; outcome: Outcome }): CheckResult {
    const ok = a.outcome.exitCode === 0 && a.outcome.stdout.trim() === a.expectedPage.trim();
    const heading = /<h1>(.*?)<\/h1>/.exec(a.outcome.stdout)?.[1];
    return {
        check: "sidecar-localhost",
        learner: a.learner,
        pod: a.pod,
        status: ok ? "pass" : "fail",
        tried: a.tried,
        got: ok ? `nginx's page over localhost: "${heading}"` : a.outcome.exitCode === 0 ? `another page: ${gist(a.outcome, 160)}` : gist(a.outcome),
    };
}

/**
 * one-sandbox: the runtime holds exactly one ready sandbox for the pod, every
 * container of the pod runs in it, and its network namespace has the pod's IP.
 * `unseen` says why the runtime cannot be looked at (then: not-possible).
 */
export function judgeSandbox(a: { learner: string; pod: PodView; tried: string; unseen?: string }): CheckResult {
    const base = { check: "one-sandbox" as const, learner: a.learner, pod: a.pod.name, tried: a.tried };
    if (a.unseen !== undefined || a.pod.sandboxes === undefined) {
        return { ...base, status: "not-possible", got: a.unseen ?? "the container runtime is not visible here" };
    }
    const ready = a.pod.sandboxes.filter((s) => s.state === "SANDBOX_READY");
    const others = a.pod.sandboxes.length - ready.length;
    const old = others > 0 ? ` (and ${others} not ready, left by earlier restarts)` : "";
    if (ready.length !== 1) {
        return { ...base, status: "fail", got: `${ready.length} ready sandboxes for pod uid ${a.pod.uid}${old}` };
    }
    const s = ready[0];
    const expected = a.pod.containers.map((c) => c.name).sort();
    const inIt = [...s.containers].sort();
    const missing = expected.filter((c) => !inIt.includes(c));
    if (missing.length > 0) {
        return { ...base, status: "fail", got: `sandbox ${s.id.slice(0, 12)}: container(s) ${missing.join(", ")} not running in it (running in it: ${inIt.join(", ") || "none"})${old}` };
    }
    if (s.ip !== undefined && a.pod.ip !== undefined && s.ip !== a.pod.ip) {
        return { ...base, status: "fail", got: `sandbox ${s.id.slice(0, 12)} has IP ${s.ip}, the API server reports ${a.pod.ip}` };
    }
    return {
        ...base,
        status: "pass",
        got: `one sandbox ${s.id.slice(0, 12)}${s.pid !== undefined ? ` (pid ${s.pid})` : ""} holds the network namespace${s.ip ? ` with ${s.ip}` : ""}; ${inIt.join(", ")} run in it${old}`,
    };
}

/** credential-fenced: the learner's own token, used in another namespace, must get 403 Forbidden (not 401: that is a dead credential). */
export function judgeCredential(a: { learner: string; tried: string; status: number; message: string; instead?: string }): CheckResult {
    const note = a.instead ? ` (${a.instead})` : "";
    const base = { check: "credential-fenced" as const, learner: a.learner, tried: `${a.tried}${note}` };
    const message = a.message.replace(/\s*\n\s*/g, " ").slice(0, 240);
    if (a.status === 403) {
        return { ...base, status: "pass", got: `403 Forbidden: ${message}` };
    }
    if (a.status === 401) {
        return { ...base, status: "fail", got: "401 Unauthorized: the credential itself is refused (expired or revoked; npm run course -- credentials renews it)" };
    }
    if (a.status >= 200 && a.status < 300) {
        return { ...base, status: "fail", got: `${a.status}: allowed, the credential reaches another learner's namespace` };
    }
    return { ...base, status: "fail", got: `${a.status || "no answer"}: ${message}` };
}

/** What a connection attempt from a learner's pod came to. */
export type Probe = { kind: "answered"; httpCode: number } | { kind: "refused" } | { kind: "timed-out" } | { kind: "error"; detail: string };

/** curl's exit codes for a connection that never got an answer (refused, timed out). */
const CURL_REFUSED = 7;
const CURL_TIMEOUT = 28;

/** What curl writes per URL: the URL, the HTTP status, its exit code, and the seconds until the connection was set up (0: never). */
export const PROBE_WRITE_OUT = "%{url} %{http_code} %{exitcode} %{time_connect}\\n";

/**
 * The {@link PROBE_WRITE_OUT} lines of one curl run over several URLs, by URL.
 * A timeout counts as blocked only when no connection was ever set up: a server
 * that accepted and then answered slowly was reached.
 */
export function parseProbes(stdout: string, urls: readonly string[]): Map<string, Probe> {
    const lines = new Map<string, string[]>();
    for (const line of stdout.split("\n")) {
        const [url, ...rest] = line.trim().split(/\s+/);
        lines.set(url, rest);
    }
    return new Map(
        urls.map((url): [string, Probe] => {
            const [code, exit, connect] = lines.get(url) ?? [];
            const exitCode = Number(exit);
            const connected = Number(connect) > 0;
            if (exit === undefined) {
                return [url, { kind: "error", detail: "no answer line from curl" }];
            }
            if (exitCode === 0 && Number(code) > 0) {
                return [url, { kind: "answered", httpCode: Number(code) }];
            }
            if (exitCode === CURL_REFUSED) {
                return [url, { kind: "refused" }];
            }
            if (exitCode === CURL_TIMEOUT && !connected) {
                return [url, { kind: "timed-out" }];
            }
            return [url, { kind: "error", detail: connected ? `connected, then curl exit ${exit} (no answer in time)` : `curl exit ${exit}` }];
        }),
    );
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

/** Blocked: no answer came, and it was a refusal or a timeout (what a NetworkPolicy does: REJECT or DROP), not some other error. */
export function blocked(p: Probe): boolean {
    return p.kind === "refused" || p.kind === "timed-out";
}

/** "ada's pod", "the pods of ada and grace", "the pods of 20 learners". */
function learnersPods(learners: string[]): string {
    if (learners.length === 1) {
        return `${learners[0]}'s pod`;
    }
    return learners.length <= 3 ? `the pods of ${learners.slice(0, -1).join(", ")} and ${learners[learners.length - 1]}` : `the pods of ${learners.length} learners`;
}

/**
 * The cluster-wide verdict from every learner's probe of the canary's fenced pod:
 * one answer means the network plugin ignores NetworkPolicy; enforced only
 * when every probe that reached the question was blocked.
 */
export function canaryVerdict(namespace: string, probes: ReadonlyArray<{ learner: string; open: Probe; fenced: Probe }>, setupError?: string): CanaryFinding {
    if (setupError !== undefined) {
        return { namespace, verdict: "unknown", detail: `the canary could not be set up: ${setupError}` };
    }
    const answered = probes.filter((p) => p.fenced.kind === "answered");
    if (answered.length > 0) {
        return {
            namespace,
            verdict: "not-enforced",
            detail: `the canary's fenced pod (a NetworkPolicy denies it all ingress) ${describeProbe(answered[0].fenced)} to ${learnersPods(answered.map((p) => p.learner))}: this cluster's network plugin ignores NetworkPolicy`,
        };
    }
    // Only probes whose open pod answered tell enforcement from a broken network.
    const telling = probes.filter((p) => p.open.kind === "answered" && blocked(p.fenced));
    if (telling.length === 0) {
        return { namespace, verdict: "unknown", detail: "no learner's pod reached the canary's open pod, so a blocked connection proves nothing" };
    }
    return {
        namespace,
        verdict: "enforced",
        detail: `the canary's open pod answered and its fenced pod was blocked (${describeProbe(telling[0].fenced)}) for ${learnersPods(telling.map((p) => p.learner))}: NetworkPolicy is enforced`,
    };
}

/** network-fence of one learner: from their pod, another learner's pod must be blocked, on a cluster whose canary shows enforcement. */
export function judgeNetworkFence(a: {
    learner: string;
    tried: string;
    canary: CanaryFinding;
    /** Why no probe ran (no pod to probe from, exec refused), if it did not. */
    probeError?: string;
    open?: Probe;
    /** The other learner's pod, and what connecting to it came to; undefined with no other learner. */
    neighbour?: { learner: string; target: string; probe: Probe };
    /** Why there is no other learner's pod to try. */
    noNeighbour?: string;
}): CheckResult {
    const base = { check: "network-fence" as const, learner: a.learner, tried: a.tried };
    if (a.probeError !== undefined) {
        return { ...base, status: "fail", got: a.probeError };
    }
    const neighbourText = a.neighbour ? `${a.neighbour.learner}'s ${a.neighbour.target} ${describeProbe(a.neighbour.probe)}` : (a.noNeighbour ?? "no other learner's pod to try");
    if (a.open !== undefined && a.open.kind !== "answered") {
        return { ...base, status: "fail", got: `the canary's open pod ${describeProbe(a.open)}: this pod cannot reach other namespaces at all, so a blocked connection proves nothing; ${neighbourText}` };
    }
    if (a.canary.verdict === "not-enforced") {
        return { ...base, status: "not-enforced", got: `${neighbourText}; ${a.canary.detail}` };
    }
    if (a.canary.verdict === "unknown") {
        return { ...base, status: "fail", got: `enforcement unknown: ${a.canary.detail}; ${neighbourText}` };
    }
    if (a.neighbour === undefined) {
        return { ...base, status: "not-possible", got: `${neighbourText}; ${a.canary.detail}` };
    }
    if (blocked(a.neighbour.probe)) {
        return { ...base, status: "pass", got: `${neighbourText}; the canary's open pod answered` };
    }
    return { ...base, status: "fail", got: `${neighbourText}${a.neighbour.probe.kind === "answered" ? `: ${a.neighbour.learner}'s namespace lets other namespaces in (its NetworkPolicy same-namespace-only is missing or changed)` : ""}` };
}
