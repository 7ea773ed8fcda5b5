/**
 * Where a course keeps what it knows, so that a team of instructors can share
 * one class through one Pulumi backend (each with their own course directory):
 *
 * - which learners it has deployed: those the course-level stack's `learners`
 *   output lists (courseStack.ts) whose stacks (`<course>-<learner>`) exist.
 *   A stack's name alone cannot say it: course `pods` with learner `101-ada`
 *   and course `pods-101` with `ada` name the same stack;
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
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { PROJECT_DIR, pidAlive } from "../automation";
import { runPulumi } from "../stackWorkspace";
import { kubectlJson } from "../kubectl";
import { COURSE_LABEL, Learner, courseStackName, learnerStackName } from "./roster";
import type { EnvironmentOutputs } from "../environmentOutputs";
import type { LessonMode } from "../../components/stackConfig";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";

/** The course-level stack's output that lists the course's learners (courseStack.ts). */
export const MEMBERS_OUTPUT = "learners";

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
    /** The course's learners (recorded by its course-level stack, their stacks there), by learner name. */
    learners: Map<string, StackInfo>;
    /** Recorded by the course-level stack, whether their stacks exist or not. */
    recorded: string[];
}

/** How a command reaches the backend: the CLI, in the course's own workspace (a directory with Pulumi.yaml). */
export interface BackendAccess {
    pulumi: PulumiCommand;
    workDir: string;
}

/** The project's stacks and the course's (one `stack ls` and one `stack output`, at once). */
export async function courseStacks(access: BackendAccess, course: string): Promise<CourseStacks> {
    projectDir(access.workDir);
    const [stacks, recorded] = await Promise.all([listStacks(access), recordedLearners(access, course)]);
    const all = new Map(stacks.map((s) => [s.name, s]));
    const learners = new Map(recorded.flatMap((l) => {
        const info = all.get(learnerStackName(course, l));
        return info === undefined ? [] : [[l, info] as const];
    }));
    return { all, learners, recorded };
}

async function listStacks(access: BackendAccess): Promise<StackInfo[]> {
    const r = await runPulumi(access.pulumi, access.workDir, ["stack", "ls", "--json", "--non-interactive"]);
    if (r.code !== 0) {
        throw new Error(`pulumi stack ls failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return JSON.parse(r.stdout) as StackInfo[];
}

/** The learners the course-level stack's last update recorded (none before its first). */
async function recordedLearners(access: BackendAccess, course: string): Promise<string[]> {
    const stack = courseStackName(course);
    const r = await runPulumi(access.pulumi, access.workDir, ["stack", "output", "--json", "--stack", stack, "--non-interactive"]);
    if (r.code !== 0) {
        if (/no stack named .* found/.test(r.stderr)) {
            return [];
        }
        throw new Error(`pulumi stack output --stack ${stack} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    const members = (JSON.parse(r.stdout) as Record<string, unknown>)[MEMBERS_OUTPUT];
    return Array.isArray(members) ? members.filter((m): m is string => typeof m === "string") : [];
}

/**
 * Whether a stack of a learner's name may be taken as the course's: recorded
 * by the course ("ours"); missing ("new"); or not recorded but never updated
 * and empty (created by a run killed before the course recorded it, which
 * cannot happen as `up` records first, or made by hand) or listed by this
 * directory's course.json (a course deployed before the course-level stack
 * recorded learners): "unrecorded", taken and recorded. Anything else belongs
 * to someone else ("foreign").
 */
export function claimable(layout: CourseLayout, learner: string, stacks: CourseStacks, stackName: string): "ours" | "unrecorded" | "foreign" | "new" {
    if (stacks.learners.has(learner)) {
        return "ours";
    }
    const info = stacks.all.get(stackName);
    if (info === undefined) {
        return "new";
    }
    // A passphrase stack has a lastUpdate from `stack init` on (its secrets settings are written then): only its resources count.
    const empty = !info.resourceCount;
    return empty || legacyRegistry(layout).includes(learner) ? "unrecorded" : "foreign";
}

/**
 * Learners among `targets` whose stacks exist with resources though the course
 * did not record them: the record lost them (two instructors' runs read it at
 * once and the later wrote its own), or a run was killed before it recorded
 * them. They are the course's when their namespace in the cluster carries the
 * course's label (one `kubectl get`, only when there are such stacks): added
 * to `stacks.learners`, and recorded again by the caller. Returns their names.
 */
export async function recognizeUnrecorded(stacks: CourseStacks, course: string, targets: Learner[]): Promise<string[]> {
    const unrecorded = targets.filter((l) => !stacks.learners.has(l.name) && (stacks.all.get(l.stack)?.resourceCount ?? 0) > 0);
    if (unrecorded.length === 0) {
        return [];
    }
    const labelled = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(["get", "namespaces", `--selector=${COURSE_LABEL}=${course}`]);
    const ours = new Set(labelled.items.map((n) => n.metadata.name));
    const found = unrecorded.filter((l) => ours.has(l.namespace));
    for (const l of found) {
        stacks.learners.set(l.name, stacks.all.get(l.stack)!);
    }
    return found.map((l) => l.name);
}

/** The learners an older podlab recorded in <out>/.podlab/course.json (before the course-level stack recorded them). */
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
