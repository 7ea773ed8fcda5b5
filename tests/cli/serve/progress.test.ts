import { LessonStep } from "../../../cli/lesson/model";
import { StepResult } from "../../../cli/checkReport";
import { boardRow, recordResult } from "../../../cli/serve/progress";
import { LearnerProgress } from "../../../cli/serve/records";

const STEPS: LessonStep[] = ["postgres", "second-postgres", "sidecar"].map((id) => ({ id, title: id, paragraphs: [], commands: [], files: {} }));

function result(step: string, status: StepResult["status"], at: string, summary = `${step} ${status}`): StepResult {
    return { step, learner: "ada", status, summary, evidence: [`evidence of ${summary}`], checkedAt: at };
}

function replay(...results: StepResult[]): LearnerProgress {
    return results.reduce(recordResult, {});
}

describe("recording a learner's checks", () => {
    it("keeps the latest result, the attempts, the first pass, and since when a step has kept failing", () => {
        const p = replay(result("postgres", "fail", "2026-01-01T10:00:00Z"), result("postgres", "fail", "2026-01-01T10:03:00Z"), result("postgres", "pass", "2026-01-01T10:05:00Z"));
        expect(p.postgres).toEqual({ latest: result("postgres", "pass", "2026-01-01T10:05:00Z"), attempts: 3, firstPassed: "2026-01-01T10:05:00Z", failingSince: undefined });
        const again = recordResult(p, result("postgres", "fail", "2026-01-01T11:00:00Z"));
        expect(again.postgres.failingSince).toBe("2026-01-01T11:00:00Z");
        expect(again.postgres.firstPassed).toBe("2026-01-01T10:05:00Z");
    });
});

describe("the board", () => {
    const row = (progress: LearnerProgress, now: string, stuckAfterMinutes = 5) =>
        boardRow({ learner: "ada", namespace: "podlab-pods101-ada", steps: STEPS, progress, terminals: 1, now: new Date(now), stuckAfterMinutes });

    it("shows every step, unchecked until checked, and the step the learner is on", () => {
        const r = row(replay(result("postgres", "pass", "2026-01-01T10:00:00Z")), "2026-01-01T10:01:00Z");
        expect(r.cells.map((c) => c.status)).toEqual(["pass", "unchecked", "unchecked"]);
        expect(r.passed).toBe(1);
        expect(r.current).toBe("second-postgres");
        expect(r.stuck).toBeUndefined();
    });

    it("calls a learner stuck when their current step has kept failing for the threshold, with the last failure", () => {
        const p = replay(result("postgres", "pass", "2026-01-01T10:00:00Z"), result("second-postgres", "fail", "2026-01-01T10:01:00Z"), result("second-postgres", "fail", "2026-01-01T10:04:00Z", "postgres2 is Pending"));
        expect(row(p, "2026-01-01T10:05:59Z").stuck).toBeUndefined();
        expect(row(p, "2026-01-01T10:06:00Z").stuck).toEqual({
            step: "second-postgres",
            since: "2026-01-01T10:01:00Z",
            minutes: 5,
            summary: "postgres2 is Pending",
            evidence: ["evidence of postgres2 is Pending"],
        });
    });

    it("does not hold a learner on a step the cluster cannot check, and says done when all passed", () => {
        const p = replay(result("postgres", "pass", "2026-01-01T10:00:00Z"), result("second-postgres", "not-possible", "2026-01-01T10:00:00Z"), result("sidecar", "pass", "2026-01-01T10:00:00Z"));
        expect(row(p, "2026-01-01T12:00:00Z").current).toBeUndefined();
    });
});
