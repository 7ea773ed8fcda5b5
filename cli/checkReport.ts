/**
 * The course check's findings, as \`course check\` writes them to check.json and
 * everything that shows them reads them: the instructor's board, the pages
 * (cli/picture/), the benchmark. Data and how to sum it up, nothing more: how
 * each finding is judged is cli/checkModel.ts, which writes these.
 */

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

/** What the canary showed about the cluster's NetworkPolicy enforcement (course/fenceModel.ts judges it). */
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

/* A step of the lesson (cli/lesson/), checked with the learner's credential: its result is part of the learner's report. */
/** How checking a step ended, in the learner's terms. */
export type StepStatus = "pass" | "fail" | "not-possible";

/** What checking one step of one learner found. */
export interface StepResult {
    step: string;
    learner: string;
    status: StepStatus;
    /** One sentence a learner understands: "postgres2 is Running at 10.245.0.12, beside postgres at 10.245.0.11." */
    summary: string;
    /** What Kubernetes or the pod said, quoted: a Pod Security refusal, an event, a container's last log lines. */
    evidence: string[];
    /** When the check finished (ISO 8601). */
    checkedAt: string;
}
