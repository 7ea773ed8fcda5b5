/**
 * podlab's course command: every learner's environment from one roster.
 *
 *   npm run course -- <up|status|check|reset|credentials|down> --roster FILE [--out DIR] [--concurrency N] [LEARNER...]
 *   npm run course -- serve --roster FILE [--out DIR] [--listen HOST:PORT]   (the browser workspace: cli/serve/)
 *   npm run course -- <subcommand> --help
 *
 * On the lab (lab/env sets the environment; lab/with-env runs this with it),
 * learners start from the lab's stack config (its local images); with
 * PODLAB_KUBECONFIG, on that cluster from the defaults, with the user's own
 * Pulumi CLI, backend and secrets provider (cli/pulumiEnv.ts).
 */
import * as fs from "fs";
import * as os from "os";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { SubcommandSpec, UsageError, parseCommandLine } from "../args";
import { PROJECT_NAME, repairFileBackend } from "../automation";
import { PassphraseKeys, configPassphrase, passphraseBackend } from "../passphrase";
import { preparePulumi } from "../pulumiEnv";
import { runMain } from "../runMain";
import { kubectlJson } from "../kubectl";
import { resolveStackConfig } from "../../components/stackConfig";
import { renderBoard } from "./board";
import { removeCanaries } from "./canary";
import { defaultCheckConcurrency, runCheck } from "./check";
import { checkExitStatus } from "../checkReport";
import { downCourseStack, upCourseStack } from "./courseStack";
import { CHECK_TOKEN_SECONDS, adminClusterAccess, kubeconfigForCheck } from "./credentials";
import { CourseContext, failureReason, learnerByName, renewCredentials, stackConfigFile, writeLearnerWorkspace } from "./environment";
import { LearnerFacts, downLearner, resetLearner, upLearner } from "./learnerUp";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";
import { nodeReport } from "./nodeReport";
import { refreshPictures } from "./pictures";
import { Progress, runBounded } from "./progress";
import { BackendAccess, CourseStacks, StackInfo, claimable, courseStacks, isStale, recognizeUnrecorded, recordSeen, refreshOutputs, withCourseLock } from "./records";
import { upToDateLearners } from "./upToDate";
// `serve` is a subcommand of this command: its links are made at `up` and forgotten at `down`, and it is dispatched from here.
// serve/ imports course/'s modules, never this file, so no file imports itself in a loop.
import { ensureLinkSecrets, removeLinkSecrets } from "../serve/links";
import { SERVE_FLAGS, SERVE_SUMMARY, ServeSettings, WORKBENCH_TARGET, rosterLesson, serveSettings } from "../serve/command";
import { COURSE_LABEL, Learner, Roster, loadRoster } from "./roster";
import { baseConfig } from "./baseConfig";
import { defaultConcurrency } from "./concurrency";
import { ensurePlugins } from "./plugins";
import { statusTable } from "./status";
import { labelledObjects } from "./sweep";

const COMMAND = "npm run course --";

const COMMON = {
    roster: { type: "string", valueName: "FILE", description: "the course's roster (YAML); checked whole before anything changes" },
    out: { type: "string", valueName: "DIR", description: "the course's directory: learners' kubeconfigs and cards, and its records (default: <state>/courses/<course>/; never inside the repository)" },
} as const;
const CONCURRENCY = { type: "string", valueName: "N", description: `learners at once (default: 2 per core, bounded by free memory: ${defaultConcurrency()} here)` } as const;

/** The course's subcommands; each has its spec here and its handler in {@link HANDLERS} (a missing one does not compile). */
type Subcommand = "up" | "status" | "check" | "reset" | "credentials" | "down" | "serve";

const SUBCOMMANDS: Record<Subcommand, SubcommandSpec> = {
    up: {
        summary:
            "create or update every learner's environment (or the named ones), with credentials and cards; " +
            "a learner whose environment is as its last up left it (same roster and program, every object in place, pods Ready, credential current) is skipped without running Pulumi",
        flags: { ...COMMON, concurrency: CONCURRENCY, refresh: { type: "boolean", description: "run Pulumi (refresh and update) for every learner, up to date or not" } },
        positionals: "LEARNER...",
    },
    status: { summary: "learners x pods: phase, readiness and IP, read from the cluster (no update); redraws the pictures", flags: COMMON, positionals: "LEARNER..." },
    check: {
        summary:
            "the lesson's checks for every learner (or the named ones), with their own credentials: a pass/fail board, <out>/check.json and the pictures; " +
            "exit status 1 when a check fails or is not enforced (not-possible is informational); changes nothing in the environments",
        flags: { ...COMMON, concurrency: { ...CONCURRENCY, description: `learners checked at once (default: 4 per core: ${defaultCheckConcurrency(os.cpus().length)} here)` } },
        positionals: "LEARNER...",
    },
    reset: { summary: "put the named learners' environments back to new: new pods, passwords and credentials", flags: { ...COMMON, concurrency: CONCURRENCY }, positionals: "LEARNER..." },
    credentials: { summary: "fresh kubeconfigs (all learners, or the named ones) without touching pods; old tokens stop working", flags: { ...COMMON, concurrency: CONCURRENCY }, positionals: "LEARNER..." },
    down: { summary: "destroy the learners' environments (all by default) and remove their stacks and files", flags: { ...COMMON, concurrency: CONCURRENCY }, positionals: "LEARNER..." },
    serve: { summary: SERVE_SUMMARY, flags: { ...COMMON, ...SERVE_FLAGS } },
};

interface Invocation {
    subcommand: Subcommand;
    /** The Pulumi CLI, found and checked once (preparePulumi). */
    pulumi?: PulumiCommand;
    /** The course's learners' stacks in the backend, from its last read (records.ts). */
    deployed?: string[];
    roster: Roster;
    layout: CourseLayout;
    concurrency: number;
    /** The learners named on the command line, or undefined for all. */
    named?: string[];
    /** `up --refresh`: no learner is skipped as up to date. */
    refresh: boolean;
    /** serve's own flags, checked. */
    serve?: ServeSettings;
}

export function invocation(argv: string[]): Invocation | string {
    const parsed = parseCommandLine(COMMAND, SUBCOMMANDS, argv);
    if (parsed.help !== undefined) {
        return parsed.help;
    }
    const v = parsed.values;
    if (typeof v.roster !== "string") {
        throw new UsageError(`${COMMAND} ${parsed.subcommand}: --roster FILE is required`);
    }
    let concurrency = parsed.subcommand === "check" ? defaultCheckConcurrency(os.cpus().length) : defaultConcurrency();
    if (v.concurrency !== undefined) {
        concurrency = Number(v.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
            throw new UsageError(`--concurrency must be an integer in 1-64; got ${JSON.stringify(v.concurrency)}`);
        }
    }
    if (parsed.subcommand === "reset" && parsed.positionals.length === 0) {
        throw new UsageError(`${COMMAND} reset: name the learners to reset (reset LEARNER...)`);
    }
    const serve = parsed.subcommand === "serve" ? serveSettings(v) : undefined;
    const roster = loadRoster(v.roster, { now: new Date(), baseConfig: baseConfig() });
    return {
        subcommand: parsed.subcommand as Subcommand,
        roster,
        layout: new CourseLayout(roster.course, v.out as string | undefined),
        concurrency,
        named: parsed.positionals.length > 0 ? [...new Set(parsed.positionals)] : undefined,
        refresh: v.refresh === true,
        serve,
    };
}

/** The roster's learners the command acts on; a named learner the roster lacks is an error naming it. */
function rosterTargets(inv: Invocation): Learner[] {
    if (inv.named === undefined) {
        return inv.roster.learners;
    }
    const byName = new Map(inv.roster.learners.map((l) => [l.name, l]));
    const missing = inv.named.filter((n) => !byName.has(n));
    if (missing.length > 0) {
        throw new UsageError(`not in the roster of course ${inv.roster.course}: ${missing.join(", ")}`);
    }
    return inv.named.map((n) => byName.get(n)!);
}

async function context(inv: Invocation, runsPulumi = true): Promise<CourseContext> {
    if (runsPulumi) {
        for (const note of repairFileBackend()) {
            console.log(`backend: ${note}`);
        }
    }
    return {
        course: inv.roster.course,
        layout: inv.layout,
        expires: inv.roster.expires,
        cluster: await adminClusterAccess(),
        pulumi: runsPulumi ? (inv.pulumi ?? (await PulumiCommand.get())) : undefined,
        keys: runsPulumi && passphraseBackend() ? new PassphraseKeys(configPassphrase()!) : undefined,
        now: () => new Date(),
    };
}

/**
 * Runs `work` for each learner, bounded, with progress; returns the number that failed.
 * One learner's failure is reported with its reason and does not stop the others.
 * `upToDate` learners were left alone: they count as done.
 */
async function forEachLearner(
    verb: string,
    learners: Learner[],
    concurrency: number,
    work: (l: Learner, step: (what: string) => void) => Promise<string[] | void>,
    upToDate: string[] = [],
): Promise<number> {
    const progress = new Progress(verb, learners.length);
    await runBounded(learners, concurrency, async (l) => {
        const t0 = Date.now();
        progress.start(l.name);
        try {
            const notes = (await work(l, (what) => progress.step(l.name, what))) ?? [];
            progress.succeed(l.name, (Date.now() - t0) / 1000, notes.join("; "));
        } catch (e) {
            progress.fail(l.name, failureReason(e));
        }
    });
    const r = progress.finish();
    const skipped = upToDate.length > 0 ? ` (${upToDate.length} of them up to date, nothing run)` : "";
    console.log(`course ${verb}: ${r.done + upToDate.length} done, ${r.failed} failed, in ${r.seconds.toFixed(1)} s${skipped}`);
    return r.failed;
}

/** The backend as the course reaches it: its own workspace (<out>/.podlab, Pulumi.yaml only). */
function backendAccess(inv: Invocation): BackendAccess {
    return { pulumi: inv.pulumi!, workDir: inv.layout.workDir };
}

/**
 * The learners of the course in the backend (a `stack ls` and the course-level
 * stack's record; a roster learner the record lost, by its namespace's label),
 * remembered for the pictures.
 */
async function deployedLearners(inv: Invocation): Promise<Map<string, StackInfo>> {
    const stacks = await courseStacks(backendAccess(inv), inv.roster.course);
    await recognizeUnrecorded(stacks, inv.roster.course, inv.roster.learners);
    inv.deployed = [...stacks.learners.keys()].sort();
    return stacks.learners;
}

/**
 * After up or reset: records which update of each learner's stack this
 * directory's files reflect (from the stacks' list), so that another instructor's
 * later update is noticed (records.ts).
 */
async function recordUpdates(inv: Invocation, updated: Set<string>): Promise<void> {
    const learners = await deployedLearners(inv);
    for (const name of updated) {
        recordSeen(inv.layout, name, learners.get(name)?.lastUpdate);
    }
}

async function up(inv: Invocation, learners: Learner[]): Promise<number> {
    const ctx = await context(inv);
    // The project's stacks and the course's, in the backend (two CLI runs for the whole course).
    const stacks = await courseStacks(backendAccess(inv), inv.roster.course);
    await noteUnrecorded(inv, stacks, learners);
    for (const dropped of [...stacks.learners.keys()].filter((n) => !inv.roster.learners.some((l) => l.name === n))) {
        console.log(`${dropped}: no longer in the roster; the environment stays until: ${COMMAND} down --roster <roster> ${dropped}`);
    }
    // The course's fence before any learner (no learner may come up unfenced), and its record of who its learners are.
    console.log(await upCourseStack(ctx, members(inv, stacks, learners)));
    // Each learner's link to the browser workspace (serve): made once, kept across runs, written on the card.
    ensureLinkSecrets(ctx.layout, learners.map((l) => l.name));
    // Only learners whose last update is the one this directory saw (another instructor's was not), with their
    // config here, can be up to date; that config rewritten from the roster first, as it is part of what decides it.
    const candidates = learners.filter((l) => stacks.learners.has(l.name) && !isStale(inv.layout, l.name, stacks.learners.get(l.name)) && fs.existsSync(stackConfigFile(inv.layout, l)));
    for (const l of candidates) {
        writeLearnerWorkspace(ctx.layout, l, l.config);
    }
    const fresh = inv.refresh
        ? new Set<string>()
        : await upToDateLearners({ course: ctx.course, layout: ctx.layout, learners: candidates, expires: ctx.expires, now: ctx.now() }).catch((e: Error) => {
              console.log(`could not tell which learners are up to date (${e.message.split("\n")[0]}); running every one`);
              return new Set<string>();
          });
    if (fresh.size > 0) {
        console.log(`up to date, nothing to run (${fresh.size}): ${namesList([...fresh])}`);
    }
    const toRun = learners.filter((l) => !fresh.has(l.name));
    const { randomProvider } = toRun.length > 0 ? await ensurePlugins(ctx) : { randomProvider: false };
    const updated = new Set<string>();
    const failed = await forEachLearner(
        "up",
        toRun,
        inv.concurrency,
        async (l, step) => {
            const facts = learnerFacts(inv, stacks, l, randomProvider);
            const notes = await upLearner(ctx, l, step, facts);
            updated.add(l.name);
            return facts.stale ? ["config and outputs re-read from the backend (its last update was not made from here, or was killed)", ...notes] : notes;
        },
        [...fresh],
    );
    if (updated.size > 0) {
        await recordUpdates(inv, updated);
    }
    await printNodeReport(inv.roster);
    return failed;
}

/** What the backend says of a learner's stack; throws for a stack of the learner's name that is not the course's. */
function learnerFacts(inv: Invocation, stacks: CourseStacks, l: Learner, randomProvider: boolean): LearnerFacts {
    const claim = claimable(inv.layout, l.name, stacks, l.stack);
    if (claim === "foreign") {
        throw new Error(`a stack named ${l.stack} already exists and is not this course's (another course, or made by hand); rename the course or the learner`);
    }
    return { exists: claim !== "new", stale: isStale(inv.layout, l.name, stacks.learners.get(l.name)), randomProvider };
}

/** Takes back the learners whose stacks the course's record lost (records.ts recognizeUnrecorded), and says so. */
async function noteUnrecorded(inv: Invocation, stacks: CourseStacks, targets: Learner[]): Promise<void> {
    const found = await recognizeUnrecorded(stacks, inv.roster.course, targets);
    if (found.length > 0) {
        console.log(`not in the course's record, but their namespaces carry ${COURSE_LABEL}=${inv.roster.course}, so theirs: ${namesList(found)}`);
    }
}

/**
 * Whom the course-level stack records before `up` or `reset` touches a
 * learner's stack: the course's learners whose stacks exist, and the ones this
 * run brings up, unless a stack of their name is someone else's (that learner
 * fails with the reason, in learnerFacts).
 */
function members(inv: Invocation, stacks: CourseStacks, targets: Learner[]): string[] {
    const claimed = targets.filter((l) => claimable(inv.layout, l.name, stacks, l.stack) !== "foreign").map((l) => l.name);
    return [...new Set([...stacks.learners.keys(), ...claimed])].sort();
}

/** Names for one line: all of them up to 20, then how many more. */
function namesList(names: string[]): string {
    return names.length <= 20 ? names.join(", ") : `${names.slice(0, 20).join(", ")} and ${names.length - 20} more`;
}

/** The nodes and the network under the environments: what holds, and what podlab cannot fence (nodeReport.ts). Informational. */
async function printNodeReport(roster: Roster): Promise<void> {
    try {
        const first = roster.learners[0];
        const network = resolveStackConfig(first.config, { project: PROJECT_NAME, stack: first.stack }).network;
        const report = await nodeReport({ label: `${COURSE_LABEL}=${roster.course}`, network });
        console.log(["cluster:", ...report.lines.map((l) => `  ${l}`), ...report.warnings.map((w) => `  warning: ${w}`)].join("\n"));
    } catch (e) {
        console.log(`cluster: could not be read: ${(e as Error).message}`);
    }
}

async function down(inv: Invocation): Promise<number> {
    const ctx = await context(inv);
    const stacks = await courseStacks(backendAccess(inv), inv.roster.course);
    inv.deployed = [...stacks.learners.keys()].sort();
    const known = new Set([...inv.deployed, ...inv.roster.learners.map((l) => l.name)]);
    const unknown = (inv.named ?? []).filter((n) => !known.has(n));
    if (unknown.length > 0) {
        throw new UsageError(`neither in the roster nor deployed by course ${inv.roster.course}: ${unknown.join(", ")}`);
    }
    const names = inv.named ?? [...known].sort();
    const targets = names.map((n) => learnerByName(inv.roster.course, n));
    await noteUnrecorded(inv, stacks, targets);
    const failed = await forEachLearner("down", targets, inv.concurrency, (l, step) => {
        if (claimable(inv.layout, l.name, stacks, l.stack) === "foreign") {
            throw new Error(`the stack named ${l.stack} is not this course's (another course, or made by hand): left alone`);
        }
        return downLearner(ctx, l, step, stacks.all.has(l.stack));
    });
    inv.deployed = undefined;
    const remaining = await deployedLearners(inv);
    // A learner taken down: their link opens nothing any more (a later up makes a new one).
    removeLinkSecrets(ctx.layout, names.filter((n) => !remaining.has(n)));
    // The course's own fence goes with its last learner; until then, its record names those left.
    if (failed === 0 && remaining.size === 0) {
        for (const note of await downCourseStack(ctx)) {
            console.log(note);
        }
    } else if (stacks.recorded.length !== remaining.size || stacks.recorded.some((n) => !remaining.has(n))) {
        console.log(await upCourseStack(ctx, [...remaining.keys()]));
    }
    if (inv.named === undefined && failed === 0) {
        await removeCanaries(inv.roster.course, { wait: true }); // the last check's, or one a killed check left
        const left = await labelledObjects(inv.roster.course);
        if (left.length > 0) {
            console.log(`still carrying ${COURSE_LABEL}=${inv.roster.course}: ${left.join(", ")}`);
            return 1;
        }
        console.log(`nothing carrying ${COURSE_LABEL}=${inv.roster.course} remains in the cluster`);
    }
    return failed;
}

async function reset(inv: Invocation, learners: Learner[]): Promise<number> {
    const ctx = await context(inv);
    const stacks = await courseStacks(backendAccess(inv), inv.roster.course);
    await noteUnrecorded(inv, stacks, learners);
    const { randomProvider } = await ensurePlugins(ctx);
    console.log(await upCourseStack(ctx, members(inv, stacks, learners)));
    const updated = new Set<string>();
    const failed = await forEachLearner("reset", learners, inv.concurrency, async (l, step) => {
        const facts = learnerFacts(inv, stacks, l, randomProvider);
        const notes = await resetLearner(ctx, l, step, facts);
        updated.add(l.name);
        return notes;
    });
    await recordUpdates(inv, updated);
    return failed;
}

/** Fresh kubeconfigs and cards, in this course directory, for deployed learners (their outputs read from the backend where this directory lacks them). */
async function credentials(inv: Invocation, learners: Learner[]): Promise<number> {
    const ctx = await context(inv);
    const deployed = await deployedLearners(inv);
    const notDeployed = learners.filter((l) => !deployed.has(l.name)).map((l) => l.name);
    if (notDeployed.length > 0) {
        throw new UsageError(`course ${inv.roster.course} has not deployed ${notDeployed.join(", ")}: ${COMMAND} up --roster <roster> ${notDeployed.join(" ")}`);
    }
    await refreshOutputs(backendAccess(inv), inv.layout, deployed, learners.map((l) => l.name));
    return forEachLearner("credentials", learners, inv.concurrency, (l) => renewCredentials(ctx, l));
}

/** Learners x pods, from one read of the cluster. */
async function status(inv: Invocation, learners: Learner[]): Promise<number> {
    const course = inv.roster.course;
    const pods = await kubectlJson<{ items: any[] }>(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`]);
    const registry = [...(await deployedLearners(inv)).keys()];
    const { table, notReady } = statusTable(learners, pods.items, registry);
    console.log(table);
    for (const dropped of registry.filter((n) => !inv.roster.learners.some((l) => l.name === n))) {
        console.log(`${dropped}: deployed, but no longer in the roster`);
    }
    return notReady > 0 ? 1 : 0;
}

/** The lesson's checks, their board, check.json; exit status 1 when anything failed or is not enforced. */
async function check(inv: Invocation, learners: Learner[]): Promise<number> {
    const deployed = await deployedLearners(inv);
    const targets = learners.filter((l) => deployed.has(l.name));
    await refreshOutputs(backendAccess(inv), inv.layout, deployed, targets.map((l) => l.name));
    // A learner whose kubeconfig was handed out from another course directory is checked with a short-lived token of their own credential.
    const cluster = await adminClusterAccess();
    const kubeconfigs = new Map(await Promise.all(targets.map(async (l) => [l.name, await kubeconfigForCheck(inv.layout, inv.roster.course, l, cluster)] as const)));
    const borrowed = [...kubeconfigs].filter(([, k]) => k?.minted).map(([n]) => n);
    if (borrowed.length > 0) {
        console.log(`check: ${borrowed.join(", ")}: no kubeconfig of theirs in ${inv.layout.outDir}; checked with a ${CHECK_TOKEN_SECONDS / 60}-minute token of their own credential (it revokes nothing)`);
    }
    try {
        const report = await runCheck({
            course: inv.roster.course,
            layout: inv.layout,
            roster: inv.roster.learners,
            targets: learners,
            deployed: [...deployed.keys()],
            kubeconfigOf: (l) => kubeconfigs.get(l.name)?.file,
            concurrency: inv.concurrency,
            progress: process.stderr.isTTY ? process.stderr : undefined,
        });
        writeFileAtomic(inv.layout.checkReport, JSON.stringify(report, null, 2) + "\n");
        console.log(renderBoard(report, { colour: process.stdout.isTTY }));
        console.log(`findings: ${inv.layout.checkReport}`);
        return checkExitStatus(report.results);
    } finally {
        for (const k of kubeconfigs.values()) {
            k?.remove();
        }
    }
}

/**
 * Redraws every learner's card.html and the instructor's index.html from the
 * live cluster, after any subcommand. A failure is reported and fails the
 * command, without undoing what the subcommand did.
 */
async function redrawPictures(inv: Invocation): Promise<number> {
    try {
        const deployed = inv.deployed ?? [...(await deployedLearners(inv)).keys()];
        const written = await refreshPictures({ course: inv.roster.course, layout: inv.layout, roster: inv.roster.learners, deployed });
        if (written.length > 0) {
            console.log(`pictures: ${inv.layout.indexHtml} (the instructor's), and card.html beside ${written.length - 1} learner's card.txt`);
        }
        return 0;
    } catch (e) {
        console.error(`course: the pictures were not redrawn: ${(e as Error).message}`);
        return 1;
    }
}

/** The browser workspace until stopped; loaded only here (the Kubernetes client it uses is an ES module, which the suites importing this file cannot load). */
async function serve(inv: Invocation): Promise<number> {
    const { serveCourse } = await import("../serve/serve");
    return serveCourse({ roster: inv.roster, layout: inv.layout, ...inv.serve!, lesson: rosterLesson(inv.roster), workbench: WORKBENCH_TARGET });
}

/**
 * What each subcommand runs, and whether it holds the course's lock (every
 * subcommand that changes something does; `status` only reads). A standalone
 * one needs no Pulumi CLI and redraws no pictures when it ends (`serve` runs
 * until stopped, beside the others, and keeps its pictures current itself).
 */
const HANDLERS: Record<Subcommand, { locks: boolean; standalone?: boolean; run: (inv: Invocation) => Promise<number> }> = {
    up: { locks: true, run: (inv) => up(inv, rosterTargets(inv)) },
    status: { locks: false, run: (inv) => status(inv, rosterTargets(inv)) },
    check: { locks: true, run: (inv) => check(inv, rosterTargets(inv)) },
    reset: { locks: true, run: (inv) => reset(inv, rosterTargets(inv)) },
    credentials: { locks: true, run: (inv) => credentials(inv, rosterTargets(inv)) },
    down: { locks: true, run: (inv) => down(inv) },
    serve: { locks: false, standalone: true, run: serve },
};

async function main(): Promise<number> {
    const inv = invocation(process.argv.slice(2));
    if (typeof inv === "string") {
        console.log(inv);
        return 0;
    }
    const handler = HANDLERS[inv.subcommand];
    if (handler.standalone) {
        return handler.run(inv);
    }
    // Before anything is created: which pulumi, backend and secrets this course uses (status only lists stacks).
    inv.pulumi = (await preparePulumi({ needsSecrets: inv.subcommand !== "status" })).pulumi;
    const run = async () => Math.max(await handler.run(inv), await redrawPictures(inv));
    return handler.locks ? withCourseLock(inv.layout, run) : run();
}

// Run as a command; imported (the benchmark renders learners' objects with baseConfig), it only exports.
if (require.main === module) {
    runMain("course", main);
}
