/**
 * podlab's benchmark: `npm run bench` (built into bin/bench/run.js, run with the lab's environment).
 *
 *   npm run bench -- [--runs 3] [--counts 1,4,16,64] [--course-counts 1,5,10,20] [--course-concurrency N]
 *                    [--course-baseline DIR | --course-baseline-commit REV] [--course-extras LIST]
 *                    [--quick] [--out bench/results/latest.json] [--label NAME] [--parallel N] [--env KEY=VALUE]...
 *                    [--what-if] [--skip deploy,kubectl,cli,course,sequential,unit,load]
 *   npm run bench -- --help
 *
 * Side by side in one run, on the lab cluster:
 * - `pulumi up` of the dev stack until every pod is Ready, against `kubectl apply`
 *   of the same objects (rendered by the Kubernetes provider from the same
 *   program and config) plus `kubectl wait --for=condition=Ready`, pair by pair;
 * - at 1, 4, 16 and 64 postgres instances;
 * - a no-change `pulumi up` and a `pulumi preview` on each deployed stack, through the
 *   Automation API and through the plain `pulumi` CLI in the project directory;
 * - the unit suite (`npx jest`);
 * - what TypeScript compilation would add to a program start;
 * - where the time goes in the slowest case (engine events, CPU per process);
 * - with --what-if, engine settings (parallelism, checkpoints) at the largest count;
 * - `course up` of 1, 5, 10 and 20 learners as a user runs it, against
 *   `kubectl apply` + `kubectl wait` of every learner's objects, against the
 *   same course one learner after another and against the code before a change
 *   (a baseline tree), with the peak memory, open files and processes of the
 *   command's process tree and where its time goes (bench/course.ts); on the
 *   deployed class, `up` again, `up` after failed learners, `up --refresh`,
 *   `status` and `check` (bench/courseExtras.ts); the issues' goals as verdict lines.
 * Prints tables and writes everything as JSON. State lives in a private file
 * backend under the temp dir; every run uses its own namespace, removed
 * outside the timed regions. Nothing here asserts a timing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../cli/automation";
import { NAMESPACE_PREFIX, Rendered, deleteCourseFences, deleteNamespace, freePodSlots, leftoverNamespaces, privateBackend, renderManifests, requireLoopbackLab } from "./lab";
import { PulumiSettings, kubectlSample, programLoadMs, pulumiSample, unitSuiteMs } from "./measure";
import { loadAverage, runCommand } from "./proc";
import { buildBaseline } from "./baseline";
import { COURSE_SIDES, DeployedCourse, benchCourse, courseUpSample, kubectlCourseSample, renderLearner, stopCourseCommands } from "./course";
import { courseExtras } from "./courseExtras";
import { CourseRunSample } from "./courseReport";
import { Options, parseArgs } from "./options";
import { DeployRow, Results, WhatIfRow, render, summarize } from "./report";
import { mib, stats } from "./stats";
import { runMain } from "../cli/runMain";

/** Engine settings tried with --what-if at the largest count, against this run's own settings. */
function whatIfVariants(base: PulumiSettings): { name: string; settings: PulumiSettings }[] {
    const skip = { PULUMI_SKIP_CHECKPOINTS: "true" };
    return [
        { name: "no engine event stream (as the deploy command runs)", settings: { ...base, events: false } },
        { name: "--parallel 32", settings: { parallel: 32, envVars: base.envVars } },
        { name: "PULUMI_SKIP_CHECKPOINTS=true", settings: { parallel: base.parallel, envVars: { ...base.envVars, ...skip } } },
        { name: "PULUMI_SKIP_CHECKPOINTS=true, --parallel 32", settings: { parallel: 32, envVars: { ...base.envVars, ...skip } } },
    ];
}

/** The lab's nodes, for the record: how many, and how many of them KWOK fakes. */
async function kwokNodes(): Promise<{ total: number; fake: number }> {
    const nodes = JSON.parse((await runCommand("kubectl", ["get", "nodes", "-o", "json"])).stdout) as { items: any[] };
    return { total: nodes.items.length, fake: nodes.items.filter((n) => n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake").length };
}

function log(msg: string): void {
    const [l1] = loadAverage();
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${l1.toFixed(2)}] ${msg}\n`);
}

async function versions(): Promise<Record<string, string>> {
    const pulumi = (await runCommand("pulumi", ["version"])).stdout.trim();
    const plugins = JSON.parse((await runCommand("pulumi", ["plugin", "ls", "--json"])).stdout || "[]") as { name: string; kind: string; version: string }[];
    const k8s = JSON.parse((await runCommand("kubectl", ["version", "-o", "json"])).stdout) as any;
    return {
        pulumi,
        kubernetesProvider: plugins.find((p) => p.name === "kubernetes" && p.kind === "resource")?.version ?? "?",
        kubernetes: k8s.serverVersion?.gitVersion ?? "?",
        kubectl: k8s.clientVersion?.gitVersion ?? "?",
        "@pulumi/pulumi": packageVersion("@pulumi/pulumi"),
        "@pulumi/kubernetes": packageVersion("@pulumi/kubernetes"),
    };
}

function packageVersion(name: string): string {
    return (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

function git(): { commit: string; dirty: string[] } {
    const rev = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: PROJECT_DIR, encoding: "utf8" });
    const status = spawnSync("git", ["status", "--porcelain"], { cwd: PROJECT_DIR, encoding: "utf8" });
    return { commit: rev.stdout.trim(), dirty: status.stdout.split("\n").filter((l) => l.trim() !== "") };
}

function writeResults(file: string, res: Results): void {
    summarize(res);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(res, null, 2) + "\n");
}

/** `course up` against kubectl and one learner after another, every class size per run, the sides' order rotating from run to run. */
async function courseRuns(root: string, opts: Options, res: Results, freePods: number): Promise<void> {
    const learner = await renderLearner(root);
    const largest = Math.max(...opts.courseCounts);
    // One class is up at a time.
    if (freePods < largest * learner.kinds.Pod) {
        throw new Error(`the lab's nodes have room for ${freePods} more pods; ${largest} learners need ${largest * learner.kinds.Pod}`);
    }
    log(`rendered a learner: ${JSON.stringify(learner.kinds)} in ${(learner.ms / 1000).toFixed(1)} s`);
    let baseline = opts.courseBaseline;
    if (opts.courseBaselineCommit !== undefined) {
        const built = buildBaseline(opts.courseBaselineCommit, root);
        baseline = built.dir;
        log(`baseline: podlab at ${built.commit}, built in ${built.dir}`);
    }
    const course: NonNullable<Results["course"]> = {
        renderMs: learner.ms,
        concurrencyFlag: opts.courseConcurrency,
        baseline: opts.courseBaselineCommit ?? opts.courseBaseline,
        nodes: await kwokNodes(),
        rows: [],
    };
    res.course = course;
    for (const learners of opts.courseCounts) {
        course.rows.push({ learners, objectsPerLearner: learner.kinds, samples: [] });
    }
    const sides = COURSE_SIDES.filter((side) => (side === "baseline" ? baseline !== undefined : side === "course" || !opts.skip.has(side)));
    for (let run = 1; run <= opts.runs; run++) {
        for (const row of course.rows) {
            const n = row.learners;
            const order = [...sides.slice((run - 1) % sides.length), ...sides.slice(0, (run - 1) % sides.length)];
            const sample: CourseRunSample = { run, order, load: {}, ratio: NaN, speedup: NaN };
            for (const side of order) {
                sample.load[side] = loadAverage();
                const name = benchCourse(side, n, run);
                if (side === "kubectl") {
                    sample.kubectl = await kubectlCourseSample(learner, name, n);
                } else {
                    const tree = side === "baseline" ? baseline : undefined;
                    // The extras on the deployed class, once per size (the first run).
                    // `up --refresh` (a Pulumi run per learner) only at the smallest of those sizes.
                    const refreshAll = n === Math.min(...opts.courseExtras);
                    const afterUp = side === "course" && run === 1 && opts.courseExtras.includes(n) ? (d: DeployedCourse) => courseExtras(d, log, { refreshAll }) : undefined;
                    sample[side] = await courseUpSample(root, learner, name, n, { concurrency: side === "sequential" ? 1 : opts.courseConcurrency, envVars: opts.envVars, tree, afterUp });
                }
            }
            sample.ratio = sample.course && sample.kubectl ? sample.course.ms / sample.kubectl.ms : NaN;
            sample.speedup = sample.course && sample.sequential ? sample.sequential.ms / sample.course.ms : NaN;
            sample.vsBaseline = sample.course && sample.baseline ? sample.course.ms / sample.baseline.ms : undefined;
            row.samples.push(sample);
            const c = sample.course!;
            log(
                `run ${run}/${opts.runs}, ${n} learners: course up ${(c.ms / 1000).toFixed(1)} s (${c.concurrentLearners} at once, peak ${mib(c.tree.peakRssBytes)} MiB RSS)` +
                    (sample.kubectl ? `, kubectl apply+wait ${(sample.kubectl.ms / 1000).toFixed(1)} s, ratio ${sample.ratio.toFixed(2)}` : "") +
                    (sample.sequential ? `, one after another ${(sample.sequential.ms / 1000).toFixed(1)} s, speedup ${sample.speedup.toFixed(2)}` : "") +
                    (sample.baseline ? `, baseline course up ${(sample.baseline.ms / 1000).toFixed(1)} s` : "") +
                    `; load ${order.map((s) => `${s} ${sample.load[s]![0]}`).join(", ")}`,
            );
            writeResults(opts.out, res);
        }
    }
}

async function main(): Promise<void> {
    const opts = parseArgs(process.argv.slice(2));
    const t0 = performance.now();
    if (!fs.existsSync(path.join(PROJECT_DIR, "bin", "index.js"))) {
        throw new Error("bin/index.js is missing: `npm run bench` builds it (npm run build)");
    }
    const apiServer = await requireLoopbackLab();
    const settings: PulumiSettings = { parallel: opts.parallel, envVars: opts.envVars };
    const cores = os.cpus().length;
    const res: Results = {
        meta: {
            label: opts.label,
            startedAt: new Date().toISOString(),
            complete: false,
            options: {
                runs: opts.runs,
                counts: opts.counts,
                courseCounts: opts.courseCounts,
                courseConcurrency: opts.courseConcurrency,
                courseBaseline: opts.courseBaseline,
                courseBaselineCommit: opts.courseBaselineCommit,
                courseExtras: opts.courseExtras,
                whatIf: opts.whatIf,
                skip: [...opts.skip],
            },
            settings: {
                ...settings,
                effectiveParallel:
                    opts.parallel !== undefined
                        ? `${opts.parallel} (--parallel)`
                        : process.env.PULUMI_PARALLEL
                          ? `${process.env.PULUMI_PARALLEL} (PULUMI_PARALLEL)`
                          : `${cores * 4} (CLI default: 4 x ${cores} cores)`,
                // Engine switches set in the environment (not the lab's own backend, home and passphrase settings).
                pulumiEnv: Object.fromEntries(
                    Object.entries(process.env).filter(
                        (e): e is [string, string] =>
                            e[0].startsWith("PULUMI_") && e[1] !== undefined && !/PASSPHRASE|TOKEN|SECRET|BACKEND_URL|HOME$|ACCESS|SKIP_UPDATE_CHECK|AUTOMATIC_PLUGIN_ACQUISITION/.test(e[0]),
                    ),
                ),
            },
            host: { cores, loadStart: loadAverage(), node: process.version },
            versions: await versions(),
            git: git(),
            apiServer,
        },
        deploy: [],
        whatIf: [],
    };

    for (const ns of await leftoverNamespaces()) {
        log(`removing namespace ${ns}, left by an interrupted benchmark`);
        await deleteNamespace(ns);
    }
    for (const fence of await deleteCourseFences()) {
        log(`removed ${fence}, left by an interrupted benchmark`);
    }
    // One deployment runs at a time: the largest must fit beside whatever else runs on the lab.
    const free = await freePodSlots();
    if (!opts.skip.has("deploy") && free < Math.max(...opts.counts) + 1) {
        throw new Error(`the lab's nodes have room for ${free} more pods; ${Math.max(...opts.counts)} postgres pods and the sidecar need ${Math.max(...opts.counts) + 1}`);
    }
    const root = privateBackend();
    const interrupted = () => {
        log("interrupted: stopping course commands, removing this run's namespaces");
        stopCourseCommands();
        const names = spawnSync("kubectl", ["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"], { encoding: "utf8" })
            .stdout.split(/\s+/)
            .filter((n) => n.startsWith(NAMESPACE_PREFIX));
        if (names.length > 0) {
            spawnSync("kubectl", ["delete", "namespace", "--wait=false", ...names], { stdio: "inherit" });
        }
        fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 });
        process.exit(130);
    };
    process.on("SIGINT", interrupted);
    process.on("SIGTERM", interrupted);
    log(`private state backend in ${root}; results go to ${opts.out}`);

    try {
        const rendered = new Map<number, Rendered>();
        for (const count of opts.skip.has("deploy") ? [] : opts.counts) {
            const r = await renderManifests(root, count);
            rendered.set(count, r);
            res.meta.settings.workspaceEnv = r.workspaceEnv;
            res.deploy.push({ count, objects: r.kinds, renderMs: r.ms, samples: [] } as DeployRow);
            log(`rendered ${count} postgres pods: ${JSON.stringify(r.kinds)} in ${(r.ms / 1000).toFixed(1)} s`);
        }

        for (let run = 1; run <= opts.runs; run++) {
            for (const row of res.deploy) {
                const count = row.count;
                const first = run % 2 === 1 ? "pulumi" : "kubectl";
                const load = loadAverage();
                const doPulumi = () => pulumiSample(root, `p${count}-r${run}`, `${NAMESPACE_PREFIX}p${count}-r${run}`, count, settings, { graph: run === 1, projectDir: !opts.skip.has("cli") });
                const doKubectl = async () => (opts.skip.has("kubectl") ? undefined : kubectlSample(rendered.get(count)!, `${NAMESPACE_PREFIX}k${count}-r${run}`));
                let pulumi;
                let kubectl;
                if (first === "pulumi") {
                    pulumi = await doPulumi();
                    kubectl = await doKubectl();
                } else {
                    kubectl = await doKubectl();
                    pulumi = await doPulumi();
                }
                const kubectlLean = opts.skip.has("kubectl") ? undefined : await kubectlSample(rendered.get(count)!, `${NAMESPACE_PREFIX}l${count}-r${run}`, "lean");
                const ratio = kubectl ? pulumi.up.ms / kubectl.ms : NaN;
                row.samples.push({ run, first, pulumi, kubectl, kubectlLean, ratio, load });
                log(
                    `run ${run}/${opts.runs}, ${count} postgres pods: pulumi up ${(pulumi.up.ms / 1000).toFixed(1)} s` +
                        (kubectl ? `, kubectl apply+wait ${(kubectl.ms / 1000).toFixed(1)} s, ratio ${ratio.toFixed(1)}` : "") +
                        (kubectlLean ? `, lean kubectl ${(kubectlLean.ms / 1000).toFixed(1)} s` : "") +
                        `; no-change up ${(pulumi.noChangeUpMs / 1000).toFixed(1)} s (deploy command ${(pulumi.deployCommandMs / 1000).toFixed(1)} s), preview ${(pulumi.previewMs / 1000).toFixed(1)} s` +
                        (pulumi.projectDir
                            ? `; project dir: pulumi up ${(pulumi.projectDir.firstUpMs / 1000).toFixed(1)} s first, ${(pulumi.projectDir.noChangeUpMs / 1000).toFixed(1)} s again, preview ${(pulumi.projectDir.previewMs / 1000).toFixed(1)} s`
                            : ""),
                );
                writeResults(opts.out, res);
            }
        }

        if (opts.whatIf) {
            const count = Math.max(...opts.counts);
            for (const [i, v] of whatIfVariants(settings).entries()) {
                const row: WhatIfRow = { name: v.name, count, settings: v.settings, samples: [] };
                res.whatIf.push(row);
                for (let run = 1; run <= opts.runs; run++) {
                    const s = await pulumiSample(root, `w${i}-${count}-r${run}`, `${NAMESPACE_PREFIX}w${i}-${count}-r${run}`, count, v.settings);
                    row.samples.push(s);
                    log(`what-if ${v.name}, run ${run}/${opts.runs}: pulumi up ${(s.up.ms / 1000).toFixed(1)} s, at most ${s.up.phases.maxPodsInFlight} pods in flight`);
                    writeResults(opts.out, res);
                }
            }
        }

        if (!opts.skip.has("course")) {
            await courseRuns(root, opts, res, free);
        }

        if (!opts.skip.has("unit")) {
            const samples = [];
            for (let run = 1; run <= opts.runs; run++) {
                samples.push(await unitSuiteMs());
                log(`unit suite run ${run}/${opts.runs}: ${(samples[samples.length - 1].ms / 1000).toFixed(1)} s`);
            }
            res.unit = { samples, summary: stats(samples.map((s) => s.ms)) };
            writeResults(opts.out, res);
        }

        if (!opts.skip.has("load")) {
            res.programLoad = {};
            for (const mode of ["js", "ts-transpile", "ts-typecheck"] as const) {
                const samples = [];
                for (let run = 1; run <= opts.runs; run++) {
                    samples.push(await programLoadMs(mode));
                }
                res.programLoad[mode] = { samples, summary: stats(samples) };
                log(`program load, ${mode}: ${samples.map((s) => (s / 1000).toFixed(1)).join(", ")} s`);
            }
        }
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }

    res.meta.complete = true;
    res.meta.finishedAt = new Date().toISOString();
    res.meta.totalSeconds = (performance.now() - t0) / 1000;
    res.meta.host.loadEnd = loadAverage();
    writeResults(opts.out, res);
    console.log(render(res));
    console.log(`\nJSON: ${path.relative(process.cwd(), opts.out) || opts.out}`);
}

runMain("bench", main);
