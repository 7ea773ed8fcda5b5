/**
 * The course part of the benchmark: `course up` for N learners as a user runs
 * it (its own process, `node bin/cli/course/main.js up --roster R --out DIR`,
 * with a private Pulumi backend), from start until every learner is done (every
 * pod Ready, a credential minted, a card written), against
 * - `kubectl apply` of every learner's objects (rendered by the Kubernetes
 *   provider from the same program and the same learner config) plus `kubectl wait`;
 * - the same course brought up one learner after another (`--concurrency 1`, the same code path);
 * - optionally the course command of another build of podlab (a baseline: the
 *   code before a change), run the same way in the same run.
 * The course command's whole process tree is sampled for memory (RSS and PSS)
 * and for which processes it ran. Every side gets its own course name, so its
 * own namespaces; they are removed, with the backend, outside the timed regions.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR, ensurePassword } from "../cli/automation";
import { openLearnerStack } from "../cli/course/environment";
import { CourseLayout } from "../cli/course/layout";
import { baseConfig } from "../cli/course/baseConfig";
import { COURSE_LABEL, parseRoster } from "../cli/course/roster";
import { deleteCourseFences, deleteNamespace, renderStack } from "./lab";
import { KUBECTL_APPLY } from "./measure";
import { CpuBreakdown, CpuSampler, ProcessTreeSampler, TreeSample, killTree, mustRun, runCommand } from "./proc";
import { kubectl } from "../cli/kubectl";

/** The ways of bringing a class up, in the order of the first run (later runs rotate it); baseline only with --course-baseline. */
export const COURSE_SIDES = ["course", "kubectl", "sequential", "baseline"] as const;
export type CourseSide = (typeof COURSE_SIDES)[number];

/** Names in the rendered objects that stand for the course and the learner; substituted per side. */
const RENDER_COURSE = "rendercourse";
const RENDER_LEARNER = "renderlearner";

export interface CourseExtras {
    learners: number;
    /** `up` with every learner up to date. */
    rerun: CommandSample;
    /** `up` after `broken` learners lost their record and a pod each. */
    afterFailures: CommandSample & { broken: string[] };
    /** `up --refresh`: every learner through Pulumi (when measured at this size). */
    refreshAll?: CommandSample;
    /** `status` as a user runs it, and its parts timed here: one `kubectl get pods` of the class, and the pictures redrawn in this process. */
    status: CommandSample & { getPodsMs: number; picturesMs: number; picturesWritten: number };
    /** `check`, and its findings by status. */
    check: CommandSample & { statuses: Record<string, number>; reportSeconds: number };
}

/** One learner's objects as the course's program makes them, as one YAML stream with placeholder names. */
export interface RenderedLearner {
    kinds: Record<string, number>;
    yaml: string;
    ms: number;
}

/** Learner names of a class of `n`: l01, l02, ... */
export function learnerNames(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `l${String(i + 1).padStart(2, "0")}`);
}

/**
 * The course name of one side of one run, e.g. bench-c20r1: its namespaces
 * (podlab-bench-c20r1-l01, ...) start with the benchmark's prefix, so an
 * interrupted run's leftovers are found and removed like the others.
 */
export function benchCourse(side: CourseSide, learners: number, run: number): string {
    return `bench-${side[0]}${learners}r${run}`;
}

/**
 * One learner's objects, rendered by the Kubernetes provider
 * (`kubernetes:renderYamlToDirectory`) from the learner stack the course
 * command itself writes: the roster's checks and merge (lab config, namespace,
 * labels), the course's stack config file and a generated password.
 */
export async function renderLearner(root: string): Promise<RenderedLearner> {
    const roster = parseRoster(yaml.dump({ course: RENDER_COURSE, learners: [RENDER_LEARNER] }), "(benchmark render roster)", { now: new Date(), baseConfig: baseConfig() });
    const layout = new CourseLayout(RENDER_COURSE, path.join(root, "render-course"));
    const stack = await openLearnerStack(layout, roster.learners[0]);
    await ensurePassword(stack);
    const r = await renderStack(stack, path.join(root, "rendered", "learner"));
    fs.rmSync(layout.outDir, { recursive: true, force: true });
    if (r.kinds.Namespace !== 1 || !r.yaml.includes(`podlab-${RENDER_COURSE}-${RENDER_LEARNER}`)) {
        throw new Error(`rendering a learner gave ${JSON.stringify(r.kinds)}, not one namespace podlab-${RENDER_COURSE}-${RENDER_LEARNER}`);
    }
    return { kinds: r.kinds, yaml: r.yaml, ms: r.ms };
}

/** Every learner's objects for `course`, one stream. */
export function courseManifests(r: RenderedLearner, course: string, learners: string[]): string {
    return learners.map((l) => r.yaml.split(RENDER_COURSE).join(course).split(RENDER_LEARNER).join(l)).join("");
}

function podsPerLearner(r: RenderedLearner): number {
    return r.kinds.Pod;
}

/** Pods carrying the course's label, and how many are Ready. */
async function coursePods(course: string): Promise<{ total: number; ready: number }> {
    const list = JSON.parse(await kubectl(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`, "-o", "json"])) as { items: any[] };
    const ready = list.items.filter((p) => (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"));
    return { total: list.items.length, ready: ready.length };
}

export async function requireAllReady(course: string, expected: number, after: string): Promise<void> {
    const pods = await coursePods(course);
    if (pods.total !== expected || pods.ready !== expected) {
        throw new Error(`after ${after}, ${pods.ready} of ${pods.total} pods of course ${course} are Ready; expected ${expected}`);
    }
}

/** Removes a course's namespaces (and so everything in them) and its admission fence, outside every timed region. */
async function removeCourse(course: string, dir?: string): Promise<number> {
    const t = performance.now();
    await deleteNamespace({ selector: `${COURSE_LABEL}=${course}` });
    // The course's own stack's admission fence is cluster-scoped; its state goes with the private backend.
    await deleteCourseFences(`${COURSE_LABEL}=${course}`);
    if (dir !== undefined) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return performance.now() - t;
}

export interface KubectlCourseSample {
    /** `kubectl apply -f -` of every learner's objects, then `kubectl wait --for=condition=Ready` on every pod of the course. */
    ms: number;
    applyMs: number;
    waitMs: number;
    /** Apply runs it took (see APPLY_AGAIN: what a first apply may be refused for, and applied again). */
    applyRuns: number;
    cpu: CpuBreakdown;
    cleanupMs: number;
}

/**
 * Refusals a kubectl user meets on a first apply and answers by applying again:
 * a new quota's status is not known yet; a namespace's `default`
 * ServiceAccount (which the program patches) created by the controller between
 * kubectl's read and its create.
 */
const APPLY_AGAIN = /status unknown for quota|serviceaccounts "default" already exists/;

export async function kubectlCourseSample(r: RenderedLearner, course: string, learners: number): Promise<KubectlCourseSample> {
    const manifests = courseManifests(r, course, learnerNames(learners));
    const sampler = new CpuSampler();
    try {
        sampler.start();
        let applyMs = 0;
        let applyRuns = 0;
        for (;;) {
            const apply = await runCommand("kubectl", [...KUBECTL_APPLY.default], { input: manifests });
            applyMs += apply.ms;
            applyRuns++;
            if (apply.code === 0) {
                break;
            }
            if (!APPLY_AGAIN.test(apply.stderr) || applyRuns >= 5) {
                throw new Error(`kubectl apply of course ${course} exited ${apply.code}: ${apply.stderr.trim()}`);
            }
        }
        const wait = await mustRun("kubectl", ["wait", "--for=condition=Ready", "pod", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`, "--timeout=600s"]);
        const cpu = sampler.stop();
        await requireAllReady(course, learners * podsPerLearner(r), "kubectl apply/wait");
        return { ms: applyMs + wait.ms, applyMs, waitMs: wait.ms, applyRuns, cpu, cleanupMs: await removeCourse(course) };
    } catch (e) {
        sampler.stop();
        await removeCourse(course).catch(() => undefined);
        throw e;
    }
}

export interface CourseUpSample {
    /** From spawning the course command until it exited, every learner done. */
    ms: number;
    /** Pulumi CLI runs by subcommand ("pulumi up", "pulumi stack init", ...), as the process census saw them. */
    pulumiRuns: Record<string, number>;
    /** --concurrency given to the command (undefined: its own default). */
    concurrencyFlag?: number;
    /** Most learners running at once, from the command's progress lines. */
    concurrentLearners: number;
    /** Command start -> first learner started (Node start, roster, cluster access, stack list, plugin check), and last learner done -> exit. */
    beforeFirstLearnerMs: number;
    afterLastLearnerMs: number;
    /** Each learner's own `up`, as the command reported it (stack, recovery, pulumi up, outputs, credential, card). */
    learnerMs: number[];
    /** The whole tree of the command: peak memory and the processes it ran. */
    tree: TreeSample;
    /** Peak RSS of the tree divided by the concurrent learners. */
    peakRssPerLearnerBytes: number;
    cpu: CpuBreakdown;
    cleanupMs: number;
    /** Pods of the class per node, right after `up` (the scheduler's spread). */
    podsPerNode: Record<string, number>;
    /** What `afterUp` measured on the deployed class, before it was removed. */
    extras?: CourseExtras;
}

/** A class the course command has just brought up, for more commands on it. */
export interface DeployedCourse {
    course: string;
    learners: string[];
    /** The course command to run (node and its main.js) and its arguments after the subcommand. */
    command: string[];
    rosterFile: string;
    out: string;
    env: NodeJS.ProcessEnv;
    cwd: string;
    podsPerLearner: number;
}

/** A course command run in its own process, timed, its tree sampled. */
export interface CommandSample {
    ms: number;
    code: number;
    /** The command's last stdout line that sums up (e.g. "course up: 100 done, 0 failed, ..."). */
    summary: string;
    pulumiRuns: Record<string, number>;
    tree: TreeSample;
    cpu: CpuBreakdown;
}

/** Pulumi CLI runs in a census, by subcommand. */
export function pulumiRuns(tree: TreeSample): Record<string, number> {
    return Object.fromEntries(Object.entries(tree.census).filter(([label]) => label === "pulumi" || label.startsWith("pulumi ")).map(([label, c]) => [label, c.runs]));
}

/** Runs `node <course main.js> SUBCOMMAND ... --roster R --out O` as a user would, sampling its process tree. */
export async function timedCourseCommand(d: DeployedCourse, args: string[], onStderr?: (t: string) => void): Promise<CommandSample & { stdout: string; stderr: string }> {
    const cpu = new CpuSampler();
    let tree: ProcessTreeSampler | undefined;
    let pid = 0;
    cpu.start();
    const run = await runCommand(d.command[0], [...d.command.slice(1), ...args, "--roster", d.rosterFile, "--out", d.out], {
        env: d.env,
        cwd: d.cwd,
        onSpawn: (p) => {
            pid = p;
            running.add(pid);
            tree = new ProcessTreeSampler(pid);
        },
        onStderr,
    }).finally(() => running.delete(pid));
    const cpuUsed = cpu.stop();
    const sample = tree!.stop();
    const summary = run.stdout.trim().split("\n").filter((l) => /^course \w+: /.test(l)).pop() ?? run.stdout.trim().split("\n").pop() ?? "";
    return { ms: run.ms, code: run.code, summary, pulumiRuns: pulumiRuns(sample), tree: sample, cpu: cpuUsed, stdout: run.stdout, stderr: run.stderr };
}

/** Pods of a course per node. */
export async function podsPerNode(course: string): Promise<Record<string, number>> {
    const out = await kubectl(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`, "-o", "jsonpath={range .items[*]}{.spec.nodeName}{'\\n'}{end}"]);
    const counts: Record<string, number> = {};
    for (const node of out.split("\n").filter((n) => n !== "")) {
        counts[node] = (counts[node] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true })));
}

/** Progress lines of the course command (plain lines when not on a terminal), stamped with when they arrived. */
class ProgressLog {
    private partial = "";
    readonly starts = new Map<string, number>();
    readonly done = new Map<string, { at: number; seconds: number }>();
    private running = 0;
    mostRunning = 0;

    constructor(private readonly t0: number) {}

    feed(text: string): void {
        const lines = (this.partial + text).split("\n");
        this.partial = lines.pop() ?? "";
        const at = performance.now() - this.t0;
        for (const line of lines) {
            let m = /^(\S+): up started$/.exec(line);
            if (m) {
                this.starts.set(m[1], at);
                this.mostRunning = Math.max(this.mostRunning, ++this.running);
            }
            m = /^(\S+): up (?:done in ([\d.]+) s|FAILED)/.exec(line);
            if (m) {
                this.done.set(m[1], { at, seconds: Number(m[2] ?? NaN) });
                this.running--;
            }
        }
    }
}

/** Course commands running now (their pids), so an interrupted benchmark can stop them before removing their files. */
const running = new Set<number>();

/** Stops every course command the benchmark is running, with all the processes each started. */
export function stopCourseCommands(): void {
    for (const pid of running) {
        killTree(pid);
    }
}

/** `course up` of `learners` learners as a user runs it, in its own process with its own backend; then removed. */
export async function courseUpSample(
    root: string,
    r: RenderedLearner,
    course: string,
    learners: number,
    opts: {
        concurrency?: number;
        envVars: Record<string, string>;
        /** A built podlab tree whose course command runs (default: this one). */
        tree?: string;
        /** More measurements on the deployed class, before it is removed. */
        afterUp?: (d: DeployedCourse) => Promise<CourseExtras>;
    },
): Promise<CourseUpSample> {
    const dir = path.join(root, course);
    const out = path.join(dir, "out");
    const backend = path.join(dir, "backend");
    fs.mkdirSync(backend, { recursive: true });
    const names = learnerNames(learners);
    const rosterFile = path.join(dir, "roster.yaml");
    fs.writeFileSync(rosterFile, yaml.dump({ course, learners: names }));
    const env = { ...process.env, ...opts.envVars, PULUMI_BACKEND_URL: `file://${backend}` };
    const deployed: DeployedCourse = {
        course,
        learners: names,
        command: [process.execPath, path.join(opts.tree ?? PROJECT_DIR, "bin", "cli", "course", "main.js")],
        rosterFile,
        out,
        env,
        cwd: dir,
        podsPerLearner: podsPerLearner(r),
    };
    try {
        const t0 = performance.now();
        const progress = new ProgressLog(t0);
        const run = await timedCourseCommand(deployed, ["up", ...(opts.concurrency !== undefined ? ["--concurrency", String(opts.concurrency)] : [])], (t) => progress.feed(t));
        const cpuUsed = run.cpu;
        const treeSample = run.tree;
        if (run.code !== 0 || !run.stdout.includes(`course up: ${learners} done, 0 failed`)) {
            throw new Error(`course up of ${learners} learners exited ${run.code}:\n${(run.stderr + run.stdout).slice(-3000)}`);
        }
        await requireAllReady(course, learners * podsPerLearner(r), "course up");
        for (const l of names) {
            for (const f of ["kubeconfig", "card.txt"]) {
                if (!fs.existsSync(path.join(out, l, f))) {
                    throw new Error(`course up of ${learners} learners left no ${f} for ${l}`);
                }
            }
        }
        const starts = [...progress.starts.values()];
        const ends = [...progress.done.values()].map((d) => d.at);
        const concurrentLearners = Math.max(1, progress.mostRunning);
        cpuUsed["bench (this process)"] = cpuUsed["node (program, SDK, Automation API)"];
        delete cpuUsed["node (program, SDK, Automation API)"];
        const spread = await podsPerNode(course);
        const extras = opts.afterUp === undefined ? undefined : await opts.afterUp(deployed);
        return {
            ms: run.ms,
            pulumiRuns: run.pulumiRuns,
            concurrencyFlag: opts.concurrency,
            concurrentLearners,
            beforeFirstLearnerMs: Math.round(Math.min(...starts)),
            afterLastLearnerMs: Math.round(run.ms - Math.max(...ends)),
            learnerMs: [...progress.done.values()].map((d) => Math.round(d.seconds * 1000)),
            tree: treeSample,
            peakRssPerLearnerBytes: Math.round(treeSample.peakRssBytes / concurrentLearners),
            cpu: cpuUsed,
            podsPerNode: spread,
            extras,
            cleanupMs: await removeCourse(course, dir),
        };
    } catch (e) {
        await removeCourse(course, dir).catch(() => undefined);
        throw e;
    }
}
