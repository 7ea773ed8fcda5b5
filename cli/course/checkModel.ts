/**
 * The course check's findings and how each is judged: pure functions from what
 * a command printed to a status, so every decision (not-enforced and
 * not-possible included) is unit-tested without a cluster. check.ts runs the
 * commands; board.ts and the pages show the results. The network fence is
 * judged in fenceModel.ts.
 */
import type { StepResult } from "../lesson/model";
import { PodView } from "../picture/model";

/** The lesson's checks, in the board's column order. */
export const CHECK_NAMES = ["postgres-port", "sidecar-localhost", "one-sandbox", "credential-fenced", "network-fence"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/**
 * pass and fail say what they say; not-enforced: the fence is in place but the
 * cluster ignores it (its network plugin does not implement NetworkPolicy),
 * which is never a pass; not-possible: the check cannot be made here, and why
 * (informational: it does not fail the run).
 */
export type CheckStatus = "pass" | "fail" | "not-enforced" | "not-possible";

/** One finding: a check of one learner (of one pod where the check is per pod), what was tried and what came back. */
export interface CheckResult {
    check: CheckName;
    learner: string;
    pod?: string;
    status: CheckStatus;
    tried: string;
    got: string;
}

/** What the canary showed for one address family. closed: no traffic between pods in that family (no address, or none reached), so nothing to enforce. */
export interface FamilyFinding {
    verdict: "enforced" | "not-enforced" | "unknown" | "closed";
    detail: string;
}

/** What the canary showed about the cluster's NetworkPolicy enforcement (fenceModel.ts judges it). */
export interface CanaryFinding {
    namespace: string;
    /** enforced: blocked both ways wherever pods have a path; not-enforced: a fenced path was open; unknown: it could not tell. */
    verdict: "enforced" | "not-enforced" | "unknown";
    detail: string;
    /** Per address family. */
    families?: { IPv4: FamilyFinding; IPv6: FamilyFinding };
}

/** Where a run's time went: seconds from its start until each step was done. */
export interface CheckTimings {
    clusterRead: number;
    canaryReady?: number;
    learnersDone: number;
    /** Its deletion asked for: the namespace controller finishes it a few seconds later. */
    canaryDeleted?: number;
}

/** check.json: one run of `course check`. */
export interface CheckReport {
    course: string;
    checkedAt: string;
    seconds: number;
    timings?: CheckTimings;
    learners: string[];
    canary: CanaryFinding;
    results: CheckResult[];
    /** Exercise learners' lesson steps, as the page's Check buttons judge them (absent: no exercise learner checked). */
    steps?: StepResult[];
}

/** How bad a status is: a board cell shows its learner's worst. */
export const SEVERITY: Record<CheckStatus, number> = { pass: 0, "not-possible": 1, "not-enforced": 2, fail: 3 };

/** The worst status of a learner's results for one check; undefined when there are none. */
export function worstStatus(results: readonly CheckResult[], learner: string, check: CheckName): CheckStatus | undefined {
    return results
        .filter((r) => r.learner === learner && r.check === check)
        .map((r) => r.status)
        .reduce<CheckStatus | undefined>((worst, s) => (worst === undefined || SEVERITY[s] > SEVERITY[worst] ? s : worst), undefined);
}

/** A finding that fails the run: failed, or not enforced; not-possible is informational. */
export function isProblem(r: CheckResult): boolean {
    return r.status === "fail" || r.status === "not-enforced";
}

/** The run's exit status: 1 when anything failed or is not enforced; not-possible is informational. */
export function checkExitStatus(results: readonly CheckResult[]): number {
    return results.some(isProblem) ? 1 : 0;
}

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
