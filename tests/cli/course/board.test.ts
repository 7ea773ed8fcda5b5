import { renderBoard } from "../../../cli/course/board";
import { CheckReport, CheckResult } from "../../../cli/checkReport";

const res = (learner: string, check: CheckResult["check"], status: CheckResult["status"], got = "ok", pod?: string): CheckResult => ({ check, learner, pod, status, tried: `tried ${check}`, got });

const REPORT: CheckReport = {
    course: "pods101",
    checkedAt: "2026-03-02T10:05:00.000Z",
    seconds: 7.25,
    timings: { clusterRead: 0.4, canaryReady: 3.1, learnersDone: 6.2, canaryDeleted: 7.25 },
    learners: ["ada", "grace"],
    canary: { namespace: "podlab-pods101--canary", verdict: "not-enforced", detail: "the canary's fenced pod answered HTTP 200: NetworkPolicy is ignored" },
    results: [
        res("ada", "postgres-port", "pass", "ok", "postgres"),
        res("ada", "postgres-port", "pass", "ok", "postgres2"),
        res("ada", "sidecar-localhost", "pass"),
        res("ada", "one-sandbox", "not-possible", "the KWOK lab's node is simulated"),
        res("ada", "credential-fenced", "pass"),
        res("ada", "network-fence", "not-enforced", "grace's nginx answered HTTP 200; the canary's fenced pod answered"),
        res("grace", "postgres-port", "pass", "ok", "postgres"),
        res("grace", "sidecar-localhost", "fail", "exit 1: pods \"sidecar\" not found", "sidecar"),
        res("grace", "one-sandbox", "not-possible", "the KWOK lab's node is simulated"),
        res("grace", "credential-fenced", "pass"),
        res("grace", "network-fence", "not-enforced", "ada's nginx answered HTTP 200; the canary's fenced pod answered"),
    ],
};

describe("the check's board", () => {
    it("learners x checks, each cell the learner's worst status", () => {
        const lines = renderBoard(REPORT).split("\n");
        expect(lines[0]).toBe("course pods101: 2 learners checked in 7.3 s (cluster read at 0.4 s, canary ready at 3.1 s, learners done at 6.2 s, canary deleted at 7.3 s)");
        expect(lines.slice(2, 5)).toEqual([
            "LEARNER  postgres-port  sidecar-localhost  one-sandbox  credential-fenced  network-fence",
            "ada      pass           pass               n/a          pass               NOT ENFORCED",
            "grace    pass           FAIL               n/a          pass               NOT ENFORCED",
        ]);
    });

    it("then each failure with what was tried and what came back; a finding shared by many learners said once", () => {
        const text = renderBoard(REPORT);
        expect(text).toContain('Failed:\n  FAIL grace sidecar-localhost (pod sidecar)\n    tried: tried sidecar-localhost\n    got:   exit 1: pods "sidecar" not found');
        expect(text).toContain("NOT ENFORCED network-fence for every learner (2):\n    the canary's fenced pod answered HTTP 200: NetworkPolicy is ignored\n    e.g. ada: grace's nginx answered HTTP 200");
        expect(text).toContain("n/a one-sandbox for every learner (2):\n    the KWOK lab's node is simulated");
        expect(text).toContain("6 passed, 1 failed, 2 not enforced, 2 not possible (11 findings)\nfail and not-enforced make the exit status 1; not-possible is informational.");
    });

    it("says a not-possible check once for all its pods, with each distinct reason", () => {
        const kwok = { ...REPORT, results: [res("ada", "postgres-port", "not-possible", "no containers", "postgres"), res("ada", "postgres-port", "not-possible", "no containers", "postgres2"), res("grace", "postgres-port", "not-possible", "other reason", "postgres")] };
        const text = renderBoard(kwok);
        expect(text.match(/n\/a postgres-port/g)).toHaveLength(1);
        expect(text).toContain("n/a postgres-port for every learner (2):\n    no containers\n    other reason");
    });

    it("colours the cells on a terminal", () => {
        const text = renderBoard(REPORT, { colour: true });
        expect(text).toContain("\x1b[1;31mFAIL             \x1b[0m");
        expect(text).toContain("\x1b[32mpass");
        expect(renderBoard(REPORT)).not.toContain("\x1b[");
    });
});

describe("the check's board with exercise learners", () => {
    const step = (learner: string, id: string, status: "pass" | "fail" | "not-possible", summary = `${id} ok`) => ({ step: id, learner, status, summary, evidence: [], checkedAt: "2026-03-02T10:05:00.000Z" });

    it("shows exercise learners x the lesson's steps, and where each one is, without counting a step in the exit status's findings", () => {
        const report: CheckReport = {
            ...REPORT,
            steps: [
                step("ada", "postgres", "pass"),
                step("ada", "second-postgres", "fail", "You have one postgres pod on 5432 (postgres at 10.245.0.7); the step needs a second one beside it."),
                step("ada", "sidecar", "fail"),
                step("ada", "localhost", "fail"),
                step("ada", "sandbox", "fail"),
                ...["postgres", "second-postgres", "sidecar", "localhost"].map((id) => step("grace", id, "pass")),
                step("grace", "sandbox", "not-possible", "The sandboxes cannot be looked at here: the KWOK lab's node is simulated."),
            ],
        };
        const text = renderBoard(report);
        const start = text.split("\n").indexOf("Exercise steps (each learner's progress, checked with their credential; not part of the exit status):");
        expect(text.split("\n").slice(start, start + 6)).toEqual([
            "Exercise steps (each learner's progress, checked with their credential; not part of the exit status):",
            "EXERCISE  postgres  second-postgres  sidecar  localhost  sandbox",
            "ada       pass      FAIL             FAIL     FAIL       FAIL",
            "grace     pass      pass             pass     pass       n/a",
            "  ada at second-postgres: You have one postgres pod on 5432 (postgres at 10.245.0.7); the step needs a second one beside it.",
            "  grace at sandbox: The sandboxes cannot be looked at here: the KWOK lab's node is simulated.",
        ]);
        // The findings' count is the environment checks' alone.
        expect(text).toContain(`(${REPORT.results.length} findings)`);
    });

    it("has no steps section when no exercise learner was checked", () => {
        expect(renderBoard(REPORT)).not.toContain("Exercise steps");
    });
});
