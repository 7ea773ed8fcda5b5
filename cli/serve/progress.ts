/**
 * Learners by steps: each check's result recorded (records.ts keeps them in the
 * course directory), and the instructor's board drawn from the records: every
 * learner's status per step, the step they are on, and who has been stuck on
 * one for a while, with their last failure. Pure: records in, board out.
 */
import { LessonStep } from "../lesson/model";
import { StepResult, StepStatus } from "../checkReport";
import { LearnerProgress } from "./records";

/** A learner whose current step has kept failing this long counts as stuck unless `serve --stuck-after` says. */
export const DEFAULT_STUCK_AFTER_MINUTES = 5;

/** The records after one more check of a step. */
export function recordResult(progress: LearnerProgress, result: StepResult): LearnerProgress {
    const before = progress[result.step];
    const passed = result.status === "pass";
    return {
        ...progress,
        [result.step]: {
            latest: result,
            attempts: (before?.attempts ?? 0) + 1,
            firstPassed: before?.firstPassed ?? (passed ? result.checkedAt : undefined),
            // A failing streak starts at its first failure; a pass ends it.
            failingSince: passed ? undefined : (before?.failingSince ?? result.checkedAt),
        },
    };
}

export type CellStatus = StepStatus | "unchecked";

export interface BoardCell {
    step: string;
    status: CellStatus;
    checkedAt?: string;
    summary?: string;
    attempts: number;
}

export interface BoardRow {
    learner: string;
    namespace: string;
    cells: BoardCell[];
    /** Steps passed (by their latest check). */
    passed: number;
    /** The first step whose latest check did not pass; undefined when all passed. */
    current?: string;
    /** Set when the current step has kept failing for longer than the threshold. */
    stuck?: { step: string; since: string; minutes: number; summary: string; evidence: string[] };
    /** Open terminals of this learner right now. */
    terminals: number;
}

export interface Board {
    course: string;
    steps: Array<{ id: string; title: string }>;
    rows: BoardRow[];
    stuckAfterMinutes: number;
    at: string;
}

/** One learner's row of the board. */
export function boardRow(a: { learner: string; namespace: string; steps: LessonStep[]; progress: LearnerProgress; terminals: number; now: Date; stuckAfterMinutes: number }): BoardRow {
    const cells = a.steps.map((s): BoardCell => {
        const r = a.progress[s.id];
        return r === undefined
            ? { step: s.id, status: "unchecked", attempts: 0 }
            : { step: s.id, status: r.latest.status, checkedAt: r.latest.checkedAt, summary: r.latest.summary, attempts: r.attempts };
    });
    // "not-possible" cannot be passed by the learner (the cluster does not let podlab look): it does not hold them on a step.
    const current = cells.find((c) => c.status !== "pass" && c.status !== "not-possible")?.step;
    const row: BoardRow = { learner: a.learner, namespace: a.namespace, cells, passed: cells.filter((c) => c.status === "pass").length, current, terminals: a.terminals };
    const record = current === undefined ? undefined : a.progress[current];
    if (record?.failingSince !== undefined && record.latest.status === "fail") {
        const minutes = (a.now.getTime() - new Date(record.failingSince).getTime()) / 60_000;
        if (minutes >= a.stuckAfterMinutes) {
            row.stuck = { step: current!, since: record.failingSince, minutes: Math.floor(minutes), summary: record.latest.summary, evidence: record.latest.evidence };
        }
    }
    return row;
}
