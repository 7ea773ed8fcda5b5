/**
 * Where a course keeps what it knows, so that a team of instructors can share
 * one class through one Pulumi backend (each with their own course directory):
 *
 * - which learners it has deployed: the backend's stacks tagged
 *   `podlab:course=<course>` (stack tags; DIY backends have them since 3.211);
 * - what their stacks put out (outputs.json in a learner's workspace): a copy
 *   of the stack's outputs, re-read from the backend (`stack output`) when the
 *   stack's last update is not the one this directory saw;
 * - their credentials: on the anchor Secrets in the cluster (credentials.ts);
 * - the config of each stack (Pulumi.<stack>.yaml: secrets settings, the
 *   generated password): restored from the stack's last deployment when stale
 *   (stackWorkspace.ts);
 * - one course command at a time on one machine: the lock file below. Across
 *   machines, Pulumi's own stack lock keeps two runs off one learner (stackLock.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR, pidAlive } from "../automation";
import { runPulumi, runPulumiIn } from "../stackWorkspace";
import type { EnvironmentOutputs } from "../environmentOutputs";
import type { LessonMode } from "../../components/stackConfig";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";

/** The stack tag that makes a stack one of a course's learners; its value is the course. */
export const COURSE_TAG = "podlab:course";

/** A stack as `pulumi stack ls --json` lists it. */
export interface StackInfo {
    name: string;
    /** When its state was last written (absent: never updated). */
    lastUpdate?: string;
    resourceCount?: number;
}

/** What the backend has of the project and of the course. */
export interface CourseStacks {
    /** Every stack of the project, by name. */
    all: Map<string, StackInfo>;
    /** The course's learners (stacks tagged with it), by learner name. */
    learners: Map<string, StackInfo>;
}

/** How a command reaches the backend: the CLI, in the course's own workspace (a directory with Pulumi.yaml). */
export interface BackendAccess {
    pulumi: PulumiCommand;
    workDir: string;
}

/** The learner a course's stack belongs to: stacks are named <course>-<learner>. */
export function learnerOfStack(course: string, stack: string): string | undefined {
    return stack.startsWith(`${course}-`) ? stack.slice(course.length + 1) : undefined;
}

/** The course's learners' stacks (one `stack ls --tag`), by learner name. */
export async function courseLearners(access: BackendAccess, course: string): Promise<Map<string, StackInfo>> {
    const tagged = await listStacks(access, ["--tag", `${COURSE_TAG}=${course}`]);
    return new Map(tagged.flatMap((s) => {
        const learner = learnerOfStack(course, s.name);
        return learner === undefined ? [] : [[learner, s] as const];
    }));
}

/** The project's stacks and the course's (two `stack ls`). */
export async function courseStacks(access: BackendAccess, course: string): Promise<CourseStacks> {
    const [all, learners] = await Promise.all([listStacks(access, []), courseLearners(access, course)]);
    return { all: new Map(all.map((s) => [s.name, s])), learners };
}

async function listStacks(access: BackendAccess, filter: string[]): Promise<StackInfo[]> {
    projectDir(access.workDir);
    const r = await runPulumi(access.pulumi, access.workDir, ["stack", "ls", "--json", "--non-interactive", ...filter]);
    if (r.code !== 0) {
        throw new Error(`pulumi stack ls ${filter.join(" ")} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return JSON.parse(r.stdout) as StackInfo[];
}

/**
 * Whether an existing stack of a learner's name may be taken as the course's:
 * tagged with it; or untagged but never updated and empty (created by a run
 * killed before it tagged it); or listed by this directory's course.json (a
 * course deployed before stacks were tagged). Anything else belongs to someone else.
 */
export function claimable(layout: CourseLayout, learner: string, stacks: CourseStacks, stackName: string): "ours" | "untagged" | "foreign" | "new" {
    if (stacks.learners.has(learner)) {
        return "ours";
    }
    const info = stacks.all.get(stackName);
    if (info === undefined) {
        return "new";
    }
    // A passphrase stack has a lastUpdate from `stack init` on (its secrets settings are written then): only its resources count.
    const empty = !info.resourceCount;
    return empty || legacyRegistry(layout).includes(learner) ? "untagged" : "foreign";
}

/** The learners an older podlab recorded in <out>/.podlab/course.json (before stacks were tagged). */
function legacyRegistry(layout: CourseLayout): string[] {
    try {
        return (JSON.parse(fs.readFileSync(path.join(layout.workDir, "course.json"), "utf8")) as { learners?: string[] }).learners ?? [];
    } catch {
        return [];
    }
}

/** A directory the CLI takes as podlab's project (Pulumi.yaml), made if need be. */
function projectDir(dir: string): string {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    }
    return dir;
}

/** Tags a learner's stack as the course's (one `stack tag set`). */
export async function tagCourseStack(stack: Stack, course: string): Promise<void> {
    const r = await runPulumiIn(stack, ["stack", "tag", "set", COURSE_TAG, course, "--stack", stack.name, "--non-interactive"]);
    if (r.code !== 0) {
        throw new Error(`pulumi stack tag set ${COURSE_TAG} ${course} --stack ${stack.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
}

/** The file that says which update of the learner's stack this directory's files reflect. */
function seenFile(layout: CourseLayout, learner: string): string {
    return path.join(layout.workspace(learner), "seen.json");
}

export function seenUpdate(layout: CourseLayout, learner: string): string | undefined {
    try {
        return (JSON.parse(fs.readFileSync(seenFile(layout, learner), "utf8")) as { lastUpdate?: string }).lastUpdate;
    } catch {
        return undefined;
    }
}

/** Records the stack's last update as the one this directory's files (config, outputs.json) reflect. */
export function recordSeen(layout: CourseLayout, learner: string, lastUpdate: string | undefined): void {
    if (lastUpdate !== undefined && fs.existsSync(layout.workspace(learner))) {
        writeFileAtomic(seenFile(layout, learner), JSON.stringify({ lastUpdate }, null, 2) + "\n", 0o600);
    }
}

/**
 * True when the backend has an update of the learner's stack this directory
 * has not seen: another instructor's (or a run of ours killed before it
 * recorded it). Its local config and outputs are then re-read from the backend.
 */
export function isStale(layout: CourseLayout, learner: string, info: StackInfo | undefined): boolean {
    return info?.lastUpdate !== undefined && info.lastUpdate !== seenUpdate(layout, learner);
}

/** A learner's stack outputs as the course keeps them (secrets left out). */
export interface CourseOutputs extends EnvironmentOutputs {
    access: { serviceAccount: string };
    /** environment or exercise (outputs of an older podlab have none: environment). */
    mode?: LessonMode;
}

export function writeOutputs(layout: CourseLayout, learner: string, outputs: CourseOutputs): void {
    writeFileAtomic(layout.outputs(learner), JSON.stringify(outputs, null, 2) + "\n");
}

/**
 * Makes this directory's outputs.json of each deployed learner current: read
 * from the backend (`stack output --json`, secrets left masked) where the
 * stack's last update is not the one it saw. Returns the learners re-read.
 */
export async function refreshOutputs(access: BackendAccess, layout: CourseLayout, learners: Map<string, StackInfo>, names: string[]): Promise<string[]> {
    const stale = names.filter((n) => learners.has(n) && (isStale(layout, n, learners.get(n)) || !fs.existsSync(layout.outputs(n))));
    await Promise.all(
        stale.map(async (n) => {
            const dir = projectDir(layout.workspace(n));
            const stackName = learners.get(n)!.name;
            const r = await runPulumi(access.pulumi, dir, ["stack", "output", "--json", "--stack", stackName, "--non-interactive"]);
            if (r.code !== 0) {
                throw new Error(`pulumi stack output --stack ${stackName} failed (exit ${r.code}): ${r.stderr.trim()}`);
            }
            writeOutputs(layout, n, JSON.parse(r.stdout) as CourseOutputs);
            recordSeen(layout, n, learners.get(n)!.lastUpdate);
        }),
    );
    return stale;
}

/** Runs `f` holding the course's lock on this machine; a lock left by a process that is gone is taken over. */
export async function withCourseLock<T>(layout: CourseLayout, f: () => Promise<T>): Promise<T> {
    fs.mkdirSync(layout.workDir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; ; attempt++) {
        try {
            fs.writeFileSync(layout.lockFile, String(process.pid), { flag: "wx" });
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) {
                throw e;
            }
            const holder = Number(fs.readFileSync(layout.lockFile, "utf8").trim());
            if (pidAlive(holder)) {
                throw new Error(`another course command (pid ${holder}) is working on course ${layout.course} from ${layout.outDir}; wait for it (lock: ${layout.lockFile})`);
            }
            fs.rmSync(layout.lockFile, { force: true }); // its process is gone (killed): take over
        }
    }
    const release = () => fs.rmSync(layout.lockFile, { force: true });
    process.once("exit", release);
    try {
        return await f();
    } finally {
        release();
        process.removeListener("exit", release);
    }
}
