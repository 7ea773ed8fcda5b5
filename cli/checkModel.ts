/**
 * How each of the course check's findings is judged: pure functions from what
 * a command printed to a status, so every decision (not-enforced and
 * not-possible included) is unit-tested without a cluster. check.ts runs the
 * commands; the findings' format is cli/checkReport.ts, which board.ts and the
 * pages read. The network fence is judged in fenceModel.ts.
 */
import { CheckResult } from "./checkReport";
import { PodView } from "./picture/model";

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
