/**
 * podlab's course command: every learner's environment from one roster.
 *
 *   npm run course -- <up|status|check|reset|credentials|down> --roster FILE [--out DIR] [--concurrency N] [LEARNER...]
 *   npm run course -- <subcommand> --help
 *
 * On the lab (lab/env sets the environment; lab/with-env runs this with it),
 * learners start from the lab's stack config (its local images); with
 * PODLAB_KUBECONFIG, on that cluster from the defaults.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { LocalWorkspace, PulumiCommand, Workspace } from "@pulumi/pulumi/automation";
import { SubcommandSpec, UsageError, parseCommandLine } from "../args";
import { PROJECT_DIR, PROJECT_NAME, randomProviderIn, repairFileBackend } from "../automation";
import { PassphraseKeys, configPassphrase, passphraseBackend } from "../passphrase";
import { randomProviderInstalled, resourcePluginCached } from "../stackUp";
import { kubectlJson } from "../kubectl";
import { renderBoard } from "./board";
import { removeCanaries } from "./canary";
import { defaultCheckConcurrency, runCheck } from "./check";
import { checkExitStatus } from "./checkModel";
import { adminClusterAccess } from "./credentials";
import { CourseContext, failureReason, learnerByName, renewCredentials, writeLearnerWorkspace } from "./environment";
import { downLearner, resetLearner, upLearner } from "./learnerUp";
import { CourseLayout, writeFileAtomic } from "./layout";
import { refreshPictures } from "./pictures";
import { Progress, runBounded } from "./progress";
import { CourseRegistry, withCourseLock } from "./registry";
import { upToDateLearners } from "./upToDate";
import { COURSE_LABEL, LEARNER_LABEL, Learner, Roster, RosterError, loadRoster } from "./roster";

const COMMAND = "npm run course --";

/**
 * Peak memory one learner's `up` adds while it runs: a Pulumi CLI and a
 * Kubernetes provider process. Measured (bench/NOTES.md, "The course"; Node 24,
 * Pulumi 3.276): each learner at once beyond the first adds 266-284 MiB of RSS
 * to the command's process tree, which itself takes about 200 MiB; RSS counts
 * shared pages in every process, PSS is about half of it. The default
 * concurrency keeps the sum within the machine's free memory.
 */
export const MEMORY_PER_LEARNER_BYTES = 300 * 2 ** 20;

/** How many learners run at once unless --concurrency says: two per core, as far as free memory allows. */
export function defaultConcurrency(cpus = os.cpus().length, freeBytes = os.freemem()): number {
    return Math.max(1, Math.min(2 * cpus, Math.floor(freeBytes / MEMORY_PER_LEARNER_BYTES)));
}

const COMMON = {
    roster: { type: "string", valueName: "FILE", description: "the course's roster (YAML); checked whole before anything changes" },
    out: { type: "string", valueName: "DIR", description: "the course's directory: learners' kubeconfigs and cards, and its records (default: <state>/courses/<course>/; never inside the repository)" },
} as const;
const CONCURRENCY = { type: "string", valueName: "N", description: `learners at once (default: 2 per core, bounded by free memory: ${defaultConcurrency()} here)` } as const;

/** The course's subcommands; each has its spec here and its handler in {@link HANDLERS} (a missing one does not compile). */
type Subcommand = "up" | "status" | "check" | "reset" | "credentials" | "down";

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
};

interface Invocation {
    subcommand: Subcommand;
    roster: Roster;
    layout: CourseLayout;
    concurrency: number;
    /** The learners named on the command line, or undefined for all. */
    named?: string[];
    /** `up --refresh`: no learner is skipped as up to date. */
    refresh: boolean;
}

/** What learners start from: the lab stack's config on the lab, the defaults on another cluster. */
export function baseConfig(): Record<string, unknown> {
    if (process.env.PODLAB_KUBECONFIG) {
        return {};
    }
    const lab = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.lab.yaml"), "utf8")) as { config?: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(lab.config ?? {})
            .filter(([k]) => k.startsWith("podlab:"))
            .map(([k, v]) => [k.slice("podlab:".length), v]),
    );
}

function invocation(argv: string[]): Invocation | string {
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
    const roster = loadRoster(v.roster, { now: new Date(), baseConfig: baseConfig() });
    return {
        subcommand: parsed.subcommand as Subcommand,
        roster,
        layout: new CourseLayout(roster.course, v.out as string | undefined),
        concurrency,
        named: parsed.positionals.length > 0 ? [...new Set(parsed.positionals)] : undefined,
        refresh: v.refresh === true,
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
        registry: new CourseRegistry(inv.layout),
        expires: inv.roster.expires,
        cluster: await adminClusterAccess(),
        pulumi: runsPulumi ? await PulumiCommand.get() : undefined,
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

/** The course's own workspace (no stack of its own), for what is asked once for all learners. */
async function courseWorkspace(ctx: CourseContext): Promise<Workspace> {
    fs.mkdirSync(ctx.layout.workDir, { recursive: true, mode: 0o700 });
    return LocalWorkspace.create({ workDir: ctx.layout.workDir, projectSettings: { name: PROJECT_NAME, runtime: "nodejs" }, pulumiCommand: ctx.pulumi });
}

/**
 * Providers are installed once, before learners fan out (concurrent installs
 * into one PULUMI_HOME interfere). Where automatic acquisition is off, as on
 * the lab, they must already be there. Returns whether a random provider is
 * available (then stacks need no generated password).
 */
async function ensurePlugins(ws: Workspace): Promise<{ randomProvider: boolean }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (pkg: string) => (require(`@pulumi/${pkg}/package.json`) as { version: string }).version;
    // The plugin cache on disk answers the usual case without a `plugin ls` run.
    if (resourcePluginCached("kubernetes", version("kubernetes"))) {
        return { randomProvider: randomProviderInstalled() };
    }
    const installed = await ws.listPlugins();
    for (const name of ["kubernetes"]) {
        const v = version(name);
        if (installed.some((p) => p.name === name && p.kind === "resource" && p.version === v)) {
            continue;
        }
        if (process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION === "true") {
            throw new Error(`the ${name} resource plugin ${v} is not installed and automatic plugin acquisition is off (on the lab: bash lab/toolchain.sh)`);
        }
        await ws.installPlugin(name, `v${v}`);
    }
    return { randomProvider: randomProviderIn(installed) };
}

async function up(inv: Invocation, learners: Learner[]): Promise<number> {
    const ctx = await context(inv);
    // The stack config files first: they are part of what decides whether a learner is up to date.
    for (const l of learners) {
        writeLearnerWorkspace(ctx.layout, l, l.config);
    }
    const fresh = inv.refresh
        ? new Set<string>()
        : await upToDateLearners({ course: ctx.course, layout: ctx.layout, learners, expires: ctx.expires, now: ctx.now() }).catch((e: Error) => {
              console.log(`could not tell which learners are up to date (${e.message.split("\n")[0]}); running every one`);
              return new Set<string>();
          });
    if (fresh.size > 0) {
        console.log(`up to date, nothing to run (${fresh.size}): ${namesList([...fresh])}`);
    }
    const ours = new Set(ctx.registry.learners());
    for (const dropped of [...ours].filter((n) => !inv.roster.learners.some((l) => l.name === n))) {
        console.log(`${dropped}: no longer in the roster; the environment stays until: ${COMMAND} down --roster <roster> ${dropped}`);
    }
    const stale = learners.filter((l) => !fresh.has(l.name));
    if (stale.length === 0) {
        return forEachLearner("up", [], inv.concurrency, async () => undefined, [...fresh]);
    }
    const ws = await courseWorkspace(ctx);
    // Stacks of this project that already exist in the backend (one CLI run).
    const stacks = new Set((await ws.listStacks()).map((s) => s.name));
    const { randomProvider } = await ensurePlugins(ws);
    return forEachLearner(
        "up",
        stale,
        inv.concurrency,
        async (l, step) => {
            if (stacks.has(l.stack) && !ours.has(l.name)) {
                throw new Error(`a stack named ${l.stack} already exists and is not this course's (another course, or made by hand); rename the course or the learner`);
            }
            return upLearner(ctx, l, step, { exists: stacks.has(l.stack), randomProvider });
        },
        [...fresh],
    );
}

/** Names for one line: all of them up to 20, then how many more. */
function namesList(names: string[]): string {
    return names.length <= 20 ? names.join(", ") : `${names.slice(0, 20).join(", ")} and ${names.length - 20} more`;
}

async function down(inv: Invocation): Promise<number> {
    const ctx = await context(inv);
    const registered = ctx.registry.learners();
    const known = new Set([...registered, ...inv.roster.learners.map((l) => l.name)]);
    const unknown = (inv.named ?? []).filter((n) => !known.has(n));
    if (unknown.length > 0) {
        throw new UsageError(`neither in the roster nor deployed by course ${inv.roster.course}: ${unknown.join(", ")}`);
    }
    const names = inv.named ?? [...known].sort();
    const stacks = new Set((await (await courseWorkspace(ctx)).listStacks()).map((s) => s.name));
    const failed = await forEachLearner("down", names.map((n) => learnerByName(inv.roster.course, n)), inv.concurrency, (l, step) => downLearner(ctx, l, step, stacks.has(l.stack)));
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

/** Everything in the cluster that carries the course's label, as kind/namespace/name. */
export async function labelledObjects(course: string): Promise<string[]> {
    const kinds = "namespaces,pods,secrets,configmaps,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,networkpolicies.networking.k8s.io,resourcequotas,limitranges";
    const list = await kubectlJson<{ items: Array<{ kind: string; metadata: { namespace?: string; name: string } }> }>(["get", kinds, "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`]);
    return list.items.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`);
}

async function reset(inv: Invocation, learners: Learner[]): Promise<number> {
    const ctx = await context(inv);
    const ws = await courseWorkspace(ctx);
    const stacks = new Set((await ws.listStacks()).map((s) => s.name));
    const { randomProvider } = await ensurePlugins(ws);
    return forEachLearner("reset", learners, inv.concurrency, (l, step) => resetLearner(ctx, l, step, { exists: stacks.has(l.stack), randomProvider }));
}

async function credentials(inv: Invocation, learners: Learner[]): Promise<number> {
    const ctx = await context(inv, false);
    return forEachLearner("credentials", learners, inv.concurrency, async (l) => {
        await renewCredentials(ctx, l);
    });
}

/** Learners x pods, from one read of the cluster. */
async function status(inv: Invocation, learners: Learner[]): Promise<number> {
    const course = inv.roster.course;
    const pods = await kubectlJson<{ items: any[] }>(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`]);
    const registry = new CourseRegistry(inv.layout).learners();
    const rows: string[][] = [["LEARNER", "POD", "PHASE", "READY", "IP"]];
    let notReady = 0;
    for (const l of learners) {
        const mine = pods.items.filter((p) => p.metadata.labels?.[LEARNER_LABEL] === l.name).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        if (mine.length === 0) {
            rows.push([l.name, "-", registry.includes(l.name) ? "no pods" : "not deployed", "-", "-"]);
            notReady++;
        }
        for (const p of mine) {
            const statuses: any[] = p.status?.containerStatuses ?? [];
            const ready = `${statuses.filter((c) => c.ready).length}/${p.spec.containers.length}`;
            if (!statuses.every((c) => c.ready) || statuses.length === 0) {
                notReady++;
            }
            rows.push([l.name, p.metadata.name, p.status?.phase ?? "?", ready, p.status?.podIP ?? "-"]);
        }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n"));
    for (const dropped of registry.filter((n) => !inv.roster.learners.some((l) => l.name === n))) {
        console.log(`${dropped}: deployed, but no longer in the roster`);
    }
    return notReady > 0 ? 1 : 0;
}

/** The lesson's checks, their board, check.json; exit status 1 when anything failed or is not enforced. */
async function check(inv: Invocation, learners: Learner[]): Promise<number> {
    const report = await runCheck({
        course: inv.roster.course,
        layout: inv.layout,
        roster: inv.roster.learners,
        targets: learners,
        deployed: new CourseRegistry(inv.layout).learners(),
        concurrency: inv.concurrency,
        progress: process.stderr.isTTY ? process.stderr : undefined,
    });
    writeFileAtomic(inv.layout.checkReport, JSON.stringify(report, null, 2) + "\n");
    console.log(renderBoard(report, { colour: process.stdout.isTTY }));
    console.log(`findings: ${inv.layout.checkReport}`);
    return checkExitStatus(report.results);
}

/**
 * Redraws every learner's card.html and the instructor's index.html from the
 * live cluster, after any subcommand. A failure is reported and fails the
 * command, without undoing what the subcommand did.
 */
async function redrawPictures(inv: Invocation): Promise<number> {
    try {
        const written = await refreshPictures({ course: inv.roster.course, layout: inv.layout, roster: inv.roster.learners, deployed: new CourseRegistry(inv.layout).learners() });
        if (written.length > 0) {
            console.log(`pictures: ${inv.layout.indexHtml} (the instructor's), and card.html beside ${written.length - 1} learner's card.txt`);
        }
        return 0;
    } catch (e) {
        console.error(`course: the pictures were not redrawn: ${(e as Error).message}`);
        return 1;
    }
}

/**
 * What each subcommand runs, and whether it holds the course's lock (every
 * subcommand that changes something does; `status` only reads).
 */
const HANDLERS: Record<Subcommand, { locks: boolean; run: (inv: Invocation) => Promise<number> }> = {
    up: { locks: true, run: (inv) => up(inv, rosterTargets(inv)) },
    status: { locks: false, run: (inv) => status(inv, rosterTargets(inv)) },
    check: { locks: true, run: (inv) => check(inv, rosterTargets(inv)) },
    reset: { locks: true, run: (inv) => reset(inv, rosterTargets(inv)) },
    credentials: { locks: true, run: (inv) => credentials(inv, rosterTargets(inv)) },
    down: { locks: true, run: (inv) => down(inv) },
};

async function main(): Promise<number> {
    const inv = invocation(process.argv.slice(2));
    if (typeof inv === "string") {
        console.log(inv);
        return 0;
    }
    const handler = HANDLERS[inv.subcommand];
    const run = async () => Math.max(await handler.run(inv), await redrawPictures(inv));
    return handler.locks ? withCourseLock(inv.layout, run) : run();
}

// Run as a command; imported (the benchmark renders learners' objects with baseConfig), it only exports.
if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err: Error) => {
            console.error(err instanceof RosterError || err instanceof UsageError ? err.message : `course: ${err.message}`);
            process.exit(err instanceof UsageError ? 2 : 1);
        },
    );
}
