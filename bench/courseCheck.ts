/**
 * `npm run bench:check`: how long `npm run course -- check` takes for a class
 * on the lab's real node (built into bin/bench/courseCheck.js, run with the
 * lab's environment). Only the real node runs containers to check; the KWOK
 * lab that `npm run bench` uses would answer "not possible" in no time.
 *
 *   node bin/bench/courseCheck.js [--learners 20] [--runs 3] [--out bench/results/course-check.json]
 *
 * Brings up a course of N learners (each with the lesson's three pods, their
 * requests lowered so that 20 fit on the lab's 2-cpu node), then runs `check`
 * as a user does (its own process, start to exit), side by side with the same
 * check one learner at a time (--concurrency 1), the two alternating; then
 * `down`. Prints the figures and writes them as JSON; asserts nothing.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { SubcommandSpec, countFlag } from "../cli/args";
import { PROJECT_DIR } from "../cli/automation";
import { CheckReport, CheckResult, isProblem } from "../cli/checkReport";
import { privateBackend, requireLoopbackLab } from "./lab";
import { benchFlags } from "./options";
import { loadAverage, runCommand } from "./proc";
import { fmtStats, secs, stats } from "./stats";
import { runMain } from "../cli/runMain";

const COURSE = "benchcheck";
const COURSE_CLI = path.join(PROJECT_DIR, "bin", "cli", "course", "main.js");

/**
 * Requests low enough for 20 learners (60 pods) on the lab's node (2 cpus):
 * 55m of cpu per learner instead of 260m. Limits stay podlab's defaults.
 */
export const SMALL_REQUESTS = {
    postgres: { resources: { requests: { cpu: "20m", memory: "64Mi", "ephemeral-storage": "64Mi" } } },
    sidecar: {
        resources: {
            nginx: { requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" } },
            curl: { requests: { cpu: "5m", memory: "8Mi", "ephemeral-storage": "8Mi" } },
        },
    },
};

const FLAGS: SubcommandSpec = {
    summary: "course check of a class on the lab's real node: check as a user runs it, against one learner at a time",
    flags: {
        learners: { type: "string", valueName: "N", description: "learners in the class (default 20, at most 60)" },
        runs: { type: "string", valueName: "N", description: "runs of each side (default 3)" },
        out: { type: "string", valueName: "FILE", description: "where the JSON goes (default bench/results/course-check.json)" },
    },
};

function options(argv: string[]): { learners: number; runs: number; out: string } {
    const v = benchFlags("node bin/bench/courseCheck.js", FLAGS, argv);
    return {
        learners: countFlag("learners", v.learners, 20, 60),
        runs: countFlag("runs", v.runs, 3),
        out: path.resolve(typeof v.out === "string" ? v.out : path.join(PROJECT_DIR, "bench", "results", "course-check.json")),
    };
}

interface CheckSample {
    concurrency: string;
    /** The command, start to exit. */
    ms: number;
    /** The run as check.json records it (after reading the cluster, before writing the pages). */
    reportSeconds: number;
    exitCode: number;
    statuses: Record<string, number>;
    /** Every finding that failed or was not enforced: what was tried and what came back. */
    problems: CheckResult[];
    load: number;
}

async function main(): Promise<void> {
    const o = options(process.argv.slice(2));
    if (process.env.PODLAB_NODE === "kwok") {
        throw new Error("bench:check runs on the lab's real node (PODLAB_NODE=real): the KWOK node has no containers to check");
    }
    await requireLoopbackLab();
    const root = privateBackend();
    const out = path.join(root, "course");
    const roster = path.join(root, "roster.yaml");
    const learners = Array.from({ length: o.learners }, (_, i) => `l${String(i + 1).padStart(2, "0")}`);
    fs.writeFileSync(roster, yaml.dump({ course: COURSE, config: SMALL_REQUESTS, learners }));
    const course = (...args: string[]) => runCommand(process.execPath, [COURSE_CLI, ...args, "--roster", roster, "--out", out]);

    // A run killed earlier left its namespaces, whose objects another backend's stacks cannot take over.
    await runCommand("kubectl", ["delete", "namespace", `--selector=podlab.dev/course=${COURSE}`, "--ignore-not-found", "--wait=true", "--timeout=300s"]);
    console.log(`course ${COURSE}: ${o.learners} learners (3 pods each, requests lowered: postgres 20m, nginx 10m, curl 5m cpu) on the lab's real node, ${os.cpus().length} cpus`);
    const samples: CheckSample[] = [];
    try {
        const up = await course("up");
        console.log(`course up: ${secs(up.ms)} s (exit ${up.code}; context, not the figure measured here)`);
        if (up.code !== 0) {
            throw new Error(`course up failed (the check would measure a class with broken environments):\n${up.stdout}${up.stderr}`);
        }
        for (let run = 0; run < o.runs; run++) {
            // Alternating which goes first, so neither always meets a warmer or busier node.
            const order = run % 2 === 0 ? ["default", "1"] : ["1", "default"];
            for (const c of order) {
                const load = loadAverage()[0];
                const r = await course("check", ...(c === "default" ? [] : ["--concurrency", c]));
                const report = JSON.parse(fs.readFileSync(path.join(out, "check.json"), "utf8")) as CheckReport;
                const statuses: Record<string, number> = {};
                for (const x of report.results) {
                    statuses[x.status] = (statuses[x.status] ?? 0) + 1;
                }
                const problems = report.results.filter(isProblem);
                samples.push({ concurrency: c, ms: r.ms, reportSeconds: report.seconds, exitCode: r.code, statuses, problems, load });
                console.log(`  run ${run + 1}, concurrency ${c}: ${secs(r.ms)} s (exit ${r.code}; ${JSON.stringify(statuses)}; load ${load})`);
                for (const x of problems) {
                    console.log(`    ${x.status} ${x.check} ${x.learner}${x.pod ? `/${x.pod}` : ""}: tried ${x.tried}; got ${x.got}`);
                }
                if (run === 0 && c === "default") {
                    console.log(r.stdout);
                }
            }
        }
    } finally {
        const down = await course("down");
        console.log(`course down: ${secs(down.ms)} s (exit ${down.code})${down.code === 0 ? "" : `\n${down.stdout}${down.stderr}`}`);
        fs.rmSync(root, { recursive: true, force: true });
    }

    const of = (c: string) => samples.filter((s) => s.concurrency === c);
    console.log(`\ncourse check of ${o.learners} learners, seconds min / median / max over ${o.runs} runs:`);
    console.log(`  concurrency default (4 per core): ${fmtStats(stats(of("default").map((s) => s.ms)))}`);
    console.log(`  one learner at a time:            ${fmtStats(stats(of("1").map((s) => s.ms)))}`);
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(o.out, JSON.stringify({ learners: o.learners, runs: o.runs, cpus: os.cpus().length, at: new Date().toISOString(), samples }, null, 2) + "\n");
    console.log(`written: ${o.out}`);
}

runMain("bench:check", main);
