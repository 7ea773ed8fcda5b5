/**
 * The course records the workspace server reads and writes, in one place, so
 * that moving them elsewhere (a shared backend for instructors, issue 22)
 * changes this file only. The server holds nothing these records and the
 * cluster do not: restarted, it serves the same links and the same board.
 *
 *   <out>/.podlab/links.json          every link's secret (0600; only the links themselves are ever shown)
 *   <out>/.podlab/serve.json          the address the server last served on (the links on the cards)
 *   <out>/.podlab/<learner>/steps.json the learner's latest result of each step (removed with the learner)
 */
import * as fs from "fs";
import * as path from "path";
import { StepResult } from "../checkReport";
import { CourseLayout } from "../course/layout";
import { writeFileAtomic } from "../files";

/** The secrets of a course's links: the instructor's and one per learner. */
export interface LinkSecrets {
    course: string;
    instructor: string;
    learners: Record<string, string>;
}

/** One step's record for one learner: the latest result and since when it has been failing. */
export interface StepRecord {
    latest: StepResult;
    /** The first failed check since the step last passed (or ever): how long the learner has been stuck on it. */
    failingSince?: string;
    /** When the step first passed. */
    firstPassed?: string;
    /** Checks run on this step. */
    attempts: number;
}

/** A learner's progress through the lesson. */
export type LearnerProgress = Record<string, StepRecord>;

function linksFile(layout: CourseLayout): string {
    return path.join(layout.workDir, "links.json");
}

function serveFile(layout: CourseLayout): string {
    return path.join(layout.workDir, "serve.json");
}

function stepsFile(layout: CourseLayout, learner: string): string {
    return path.join(layout.workspace(learner), "steps.json");
}

/** Reads a JSON record; undefined when there is none, an error naming the file when it is unreadable. */
function readJson<T>(file: string): T | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw e;
    }
    try {
        return JSON.parse(text) as T;
    } catch (e) {
        throw new Error(`${file} is not valid JSON (${(e as Error).message}); it is a record of the course`);
    }
}

export function readLinkSecrets(layout: CourseLayout): LinkSecrets | undefined {
    const links = readJson<LinkSecrets>(linksFile(layout));
    if (links !== undefined && links.course !== layout.course) {
        throw new Error(`${linksFile(layout)} belongs to course ${links.course}, not ${layout.course}`);
    }
    return links;
}

/** Written only by its owner, never readable by anyone else (mode 0600, inside the 0700 records directory). */
export function writeLinkSecrets(layout: CourseLayout, links: LinkSecrets): void {
    fs.mkdirSync(layout.workDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(linksFile(layout), JSON.stringify(links, null, 2) + "\n", 0o600);
}

/** The origin (`http://host:port`) the server last served on, if it ever did. */
export function readServedOrigin(layout: CourseLayout): string | undefined {
    return readJson<{ origin?: string }>(serveFile(layout))?.origin;
}

export function writeServedOrigin(layout: CourseLayout, origin: string): void {
    fs.mkdirSync(layout.workDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(serveFile(layout), JSON.stringify({ origin }, null, 2) + "\n", 0o600);
}

export function readProgress(layout: CourseLayout, learner: string): LearnerProgress {
    return readJson<LearnerProgress>(stepsFile(layout, learner)) ?? {};
}

/**
 * Writes a learner's progress; a learner whose records directory is gone (taken
 * down meanwhile) gets none, so a late check cannot bring a removed learner back.
 */
export function writeProgress(layout: CourseLayout, learner: string, progress: LearnerProgress): void {
    if (!fs.existsSync(layout.workspace(learner))) {
        return;
    }
    writeFileAtomic(stepsFile(layout, learner), JSON.stringify(progress, null, 2) + "\n", 0o600);
}
