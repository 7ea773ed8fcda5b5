/** The benchmark's command line (`npm run bench -- --help`), parsed with the command parser the other podlab commands use. */
import * as fs from "fs";
import * as path from "path";
import { SubcommandSpec, UsageError, countFlag, parseFlags } from "../cli/args";
import { PROJECT_DIR } from "../cli/automation";

/**
 * What --skip can leave out: the one-stack pairs (deploy), their kubectl side
 * and the course's (kubectl), the course part (course) or only its one-after-another
 * side (sequential), the plain CLI in the project directory (cli), the unit suite (unit), the program load (load).
 */
const SKIPPABLE = ["deploy", "kubectl", "cli", "course", "sequential", "unit", "load"];

const COMMAND = "npm run bench --";
const FLAGS: SubcommandSpec = {
    summary: "podlab's benchmark on the KWOK lab: pulumi up against kubectl, the course command, the unit suite, program load; tables printed, JSON written",
    flags: {
        runs: { type: "string", valueName: "N", description: "runs of every measurement (default 3)" },
        counts: { type: "string", valueName: "LIST", description: "postgres pods per deployment (default 1,4,16,64; at most 100)" },
        "course-counts": { type: "string", valueName: "LIST", description: "class sizes of the course part (default 1,5,10,20)" },
        "course-concurrency": { type: "string", valueName: "N", description: "--concurrency of the course side (default: the course command's own)" },
        "course-baseline": { type: "string", valueName: "DIR", description: "a built podlab tree whose course command runs as a fourth side (the code before a change)" },
        "course-baseline-commit": { type: "string", valueName: "REV", description: "the same, built here from a git commit of this repository (git archive into a scratch directory, node_modules shared)" },
        "course-extras": {
            type: "string",
            valueName: "LIST",
            description:
                "class sizes at which the deployed class is also measured: up again, up after failures, status, check, and at the smallest of them up --refresh (default: the largest class)",
        },
        quick: { type: "boolean", description: "1 and 4 pods, 1 and 5 learners, 3 runs" },
        out: { type: "string", valueName: "FILE", description: "where the JSON goes (default bench/results/latest.json)" },
        label: { type: "string", valueName: "NAME", description: "the run's name in the JSON" },
        parallel: { type: "string", valueName: "N", description: "--parallel for the Pulumi side" },
        env: { type: "string", multiple: true, valueName: "KEY=VALUE", description: "environment for the Pulumi side" },
        "what-if": { type: "boolean", description: "engine variants at the largest count (about +15 min at 64)" },
        skip: { type: "string", valueName: "LIST", description: `leave out any of ${SKIPPABLE.join(",")}` },
    },
};

export interface Options {
    runs: number;
    counts: number[];
    courseCounts: number[];
    /** --concurrency for the course side (undefined: the course command's default). */
    courseConcurrency?: number;
    /** A built podlab tree (bin/cli/course/main.js) whose course command runs as a fourth side, e.g. the code before a change. */
    courseBaseline?: string;
    /** A commit to build the baseline tree from. */
    courseBaselineCommit?: string;
    /** Class sizes at which the deployed class is measured further (re-runs, status, check). */
    courseExtras: number[];
    out: string;
    label: string;
    parallel?: number;
    envVars: Record<string, string>;
    whatIf: boolean;
    skip: Set<string>;
}

/** A bench's flags (cli/args.ts's parser); with --help, prints the help and exits. */
export function benchFlags(command: string, spec: SubcommandSpec, argv: string[]): Record<string, string | boolean | string[] | undefined> {
    const parsed = parseFlags(command, spec, argv);
    if (parsed.help !== undefined) {
        console.log(parsed.help);
        process.exit(0);
    }
    return parsed.values;
}

export function parseArgs(argv: string[]): Options {
    const v = benchFlags(COMMAND, FLAGS, argv) as Record<string, string | undefined> & { env?: string[]; quick?: boolean; "what-if"?: boolean };
    const list = (flag: string, s: string) => s.split(",").map((c) => countFlag(flag, c, 0));
    const opts: Options = {
        runs: countFlag("runs", v.runs, 3),
        counts: v.quick ? [1, 4] : v.counts === undefined ? [1, 4, 16, 64] : list("counts", v.counts),
        courseCounts: v.quick ? [1, 5] : v["course-counts"] === undefined ? [1, 5, 10, 20] : list("course-counts", v["course-counts"]),
        courseConcurrency: v["course-concurrency"] === undefined ? undefined : countFlag("course-concurrency", v["course-concurrency"], 0),
        courseBaselineCommit: v["course-baseline-commit"],
        courseExtras: [],
        out: path.resolve(v.out ?? path.join(PROJECT_DIR, "bench", "results", "latest.json")),
        label: v.label ?? "latest",
        parallel: v.parallel === undefined ? undefined : countFlag("parallel", v.parallel, 0),
        envVars: Object.fromEntries((v.env ?? []).map((e) => [e.split("=")[0], e.split("=").slice(1).join("=")])),
        whatIf: v["what-if"] === true,
        skip: new Set((v.skip ?? "").split(",").filter((s) => s !== "")),
    };
    opts.courseExtras = v["course-extras"] === undefined ? [Math.max(...opts.courseCounts)] : list("course-extras", v["course-extras"]);
    for (const s of opts.skip) {
        if (!SKIPPABLE.includes(s)) {
            throw new UsageError(`--skip takes ${SKIPPABLE.join(", ")}; got ${s}`);
        }
    }
    if (v["course-baseline"] !== undefined) {
        opts.courseBaseline = path.resolve(v["course-baseline"]);
        if (!fs.existsSync(path.join(opts.courseBaseline, "bin", "cli", "course", "main.js"))) {
            throw new UsageError(`--course-baseline ${opts.courseBaseline}: no bin/cli/course/main.js there (build that tree first)`);
        }
    }
    if (opts.courseBaseline !== undefined && opts.courseBaselineCommit !== undefined) {
        throw new UsageError("--course-baseline and --course-baseline-commit name the same side; give one");
    }
    if (opts.counts.some((c) => c > 100)) {
        throw new UsageError(`podlab allows at most 100 postgres pods; --counts ${opts.counts.join(",")}`);
    }
    return opts;
}
