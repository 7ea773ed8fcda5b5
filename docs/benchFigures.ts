/**
 * The benchmarks' figures for the docs (docs/benchmarks.md), read from the
 * JSON files `npm run bench` and `npm run bench:check` write into
 * bench/results/. Each table takes one results file (the block's argument,
 * relative to bench/results/); a column that file did not measure is left
 * out. The JSON is read loosely (only the summaries the bench writes), so
 * the tables keep working while the bench's own code changes.
 */
import * as fs from "fs";
import * as path from "path";

/** min / median / max of a figure over the runs, as the bench writes it. */
interface Stats {
    n: number;
    min: number;
    median: number;
    max: number;
}

// The parts of a results file the tables read; every field may be missing.
type Summary = Partial<Record<string, Stats>>;
interface ResultsFile {
    meta?: {
        label?: string;
        startedAt?: string;
        totalSeconds?: number;
        host?: { cores?: number; loadStart?: number[]; node?: string };
        versions?: Record<string, string>;
        settings?: { envVars?: Record<string, string> };
        options?: Record<string, unknown>;
    };
    deploy?: { count: number; objects?: Record<string, number>; samples?: unknown[]; summary?: Summary }[];
    unit?: { samples?: { tests?: string }[]; summary?: Stats };
    programLoad?: Record<string, { summary?: Stats }>;
    whatIf?: { name: string; count: number; summary?: Summary }[];
    course?: { concurrencyFlag?: number; baseline?: string; nodes?: { total: number; fake: number }; rows: { learners: number; objectsPerLearner?: Record<string, number>; samples?: unknown[]; summary?: Summary & { concurrentLearners?: number } }[] };
    // bench/courseCheck.ts's shape
    learners?: number;
    runs?: number;
    cpus?: number;
    at?: string;
    samples?: { concurrency: string; ms: number; statuses?: Record<string, number>; load?: number }[];
    // bench/terminals.ts's shape
    keysPerTerminal?: number;
    loadAtStart?: number;
    loadDuringRuns?: number[];
    goal?: { p99Ms: number; mibPerTerminal: number };
    sides?: { name: string; keys: number; p50Ms: number; p99Ms: number; maxMs: number; mibPerTerminal: number }[];
}

export const RESULTS_DIR = path.join("bench", "results");

const secs = (ms: number) => (ms / 1000).toFixed(1);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const ratio = (x: number) => x.toFixed(2);

function fmt(s: Stats | undefined, f: (x: number) => string = secs): string {
    return s === undefined || !s.n ? "-" : `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
}

const sum = (o: Record<string, number> | undefined) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

type Table = (header: string[], rows: string[][]) => string;

/** A results file, relative to bench/results/; throws naming a missing one. */
export function readResults(root: string, name: string | undefined): ResultsFile {
    if (name === undefined) {
        throw new Error("name a results file under bench/results/, e.g. `bench-deploy after.json`");
    }
    const file = path.join(root, RESULTS_DIR, name);
    if (!fs.existsSync(file)) {
        throw new Error(`${path.join(RESULTS_DIR, name)} does not exist`);
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as ResultsFile;
}

/** Keeps the columns where at least one row has a figure (the first `keep` columns always). */
function dropEmptyColumns(header: string[], rows: string[][], keep = 1): [string[], string[][]] {
    const used = header.map((_, i) => i < keep || rows.some((r) => r[i] !== "-"));
    return [header.filter((_, i) => used[i]), rows.map((r) => r.filter((_, i) => used[i]))];
}

/** Every results file, with what it holds: the index of the benchmarks page. */
export function benchIndex(root: string, table: Table): string {
    const dir = path.join(root, RESULTS_DIR);
    const files: string[] = [];
    const walk = (d: string): void => {
        for (const e of fs.readdirSync(path.join(dir, d), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const rel = d === "" ? e.name : `${d}/${e.name}`;
            if (e.isDirectory()) {
                walk(rel);
            } else if (e.name.endsWith(".json")) {
                files.push(rel);
            }
        }
    };
    walk("");
    const rows = files.map((f) => {
        const r = readResults(root, f);
        const holds = [
            r.deploy?.length ? `deploy of ${r.deploy.map((d) => d.count).join(", ")} postgres pods` : "",
            r.course?.rows.length ? `course up of ${r.course.rows.map((c) => c.learners).join(", ")} learners` : "",
            r.whatIf?.length ? `${r.whatIf.length} engine variants` : "",
            r.unit ? "unit suite" : "",
            r.programLoad ? "program load" : "",
            r.samples && r.learners ? `course check of ${r.learners} learners` : "",
            r.sides && r.learners ? `${r.learners} terminals at once` : "",
        ].filter((x) => x !== "");
        const env = Object.entries(r.meta?.settings?.envVars ?? {}).map(([k, v]) => `${k}=${v}`);
        const when = (r.meta?.startedAt ?? r.at ?? "").slice(0, 10);
        const versions = r.meta?.versions ? `Node ${r.meta.host?.node ?? "?"}, Pulumi ${r.meta.versions.pulumi ?? "?"}` : "";
        const load = r.meta?.host?.loadStart ? r.meta.host.loadStart.map((x) => x.toFixed(1)).join(" ") : r.loadAtStart !== undefined ? r.loadAtStart.toFixed(1) : r.samples ? `${Math.min(...r.samples.map((s) => s.load ?? NaN))}-${Math.max(...r.samples.map((s) => s.load ?? NaN))}` : "-";
        return [`\`${f}\``, when, r.meta?.label ?? "", versions, load, holds.join("; ") + (env.length > 0 ? ` (with ${env.join(" ")})` : "")];
    });
    return table(["file", "date", "label", "versions", "load average at start", "holds"], rows);
}

/** `pulumi up` until every pod is Ready against `kubectl apply` + wait, per pod count. */
export function benchDeploy(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const rows = (r.deploy ?? []).map((d) => [
        String(d.count),
        String(sum(d.objects)),
        String(d.samples?.length ?? "-"),
        fmt(d.summary?.pulumiUp),
        fmt(d.summary?.kubectl),
        fmt(d.summary?.ratio, ratio),
        fmt(d.summary?.kubectlLean),
    ]);
    return table(...dropEmptyColumns(["postgres pods", "objects", "runs", "`pulumi up` until Ready", "`kubectl apply` + wait", "ratio", "lean kubectl + wait"], rows, 3));
}

/** Commands on a deployed stack with nothing to change, per pod count. */
export function benchOverhead(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const rows = (r.deploy ?? []).map((d) => [
        String(d.count),
        fmt(d.summary?.noChangeUp),
        fmt(d.summary?.deployCommand),
        fmt(d.summary?.preview),
        fmt(d.summary?.projectDirFirstUp),
        fmt(d.summary?.projectDirNoChangeUp),
        fmt(d.summary?.projectDirPreview),
    ]);
    return table(
        ...dropEmptyColumns(
            [
                "postgres pods",
                "no-change `up`, Automation API",
                "the same via `npm run stack -- up`",
                "`preview`, Automation API",
                "plain `pulumi up`, first after an edit",
                "plain `pulumi up`, no change",
                "plain `pulumi preview`",
            ],
            rows,
        ),
    );
}

/** `course up` against kubectl and one learner after another, per class size. */
export function benchCourse(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const rows = (r.course?.rows ?? []).map((c) => {
        const s = c.summary ?? {};
        return [
            String(c.learners),
            String(sum(c.objectsPerLearner) * c.learners),
            fmt(s.course),
            fmt(s.kubectl),
            fmt(s.sequential),
            fmt(s.baseline),
            fmt(s.ratio, ratio),
            fmt(s.speedup, ratio),
            fmt(s.vsBaseline, ratio),
            fmt(s.peakRssPerLearner, mib),
            fmt(s.pulumiRunsPerLearner, (x) => x.toFixed(1)),
        ];
    });
    return table(
        ...dropEmptyColumns(
            [
                "learners",
                "objects",
                "`course up`",
                "`kubectl apply` + wait",
                "one after another (`--concurrency 1`)",
                "the code before the change",
                "course / kubectl",
                "one after another / course",
                "course / before",
                "peak RSS per learner at once (MiB)",
                "Pulumi CLI runs per learner",
            ],
            rows,
            3,
        ),
    );
}

/** The unit suite and the program's load time. */
export function benchLoad(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const labels: Record<string, string> = {
        js: "program load: precompiled `bin/index.js`",
        "ts-transpile": "program load: `index.ts` through ts-node, transpile only",
        "ts-typecheck": "program load: `index.ts` through ts-node with type checking",
    };
    const rows = [
        ...(r.unit ? [[`unit suite (\`npx jest\`, ${r.unit.samples?.[0]?.tests ?? "?"})`, fmt(r.unit.summary)]] : []),
        ...Object.entries(r.programLoad ?? {}).map(([k, v]) => [labels[k] ?? k, fmt(v.summary)]),
    ];
    return table(["what", "seconds"], rows);
}

/** Engine settings tried at one pod count (`--what-if`). */
export function benchWhatIf(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const base = r.deploy?.find((d) => d.count === r.whatIf?.[0]?.count);
    const rows = [
        ...(base ? [["the bench's defaults", fmt(base.summary?.pulumiUp), fmt(base.summary?.noChangeUp), fmt(base.summary?.preview)]] : []),
        ...(r.whatIf ?? []).map((w) => [w.name, fmt(w.summary?.pulumiUp), fmt(w.summary?.noChangeUp), fmt(w.summary?.preview)]),
    ];
    return table([`variant (${r.whatIf?.[0]?.count ?? "?"} postgres pods)`, "`pulumi up` until Ready", "no-change `up`", "`preview`"], rows);
}

/** `npm run bench:check`: course check of a class, default concurrency against one learner at a time. */
export function benchCheck(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const by = new Map<string, string[]>();
    for (const s of r.samples ?? []) {
        const failed = Object.entries(s.statuses ?? {})
            .filter(([k]) => k !== "pass")
            .reduce((a, [, v]) => a + v, 0);
        by.set(s.concurrency, [...(by.get(s.concurrency) ?? []), `${secs(s.ms)}${failed > 0 ? ` (${failed} not passed)` : ""}`]);
    }
    const label = (c: string) => (c === "default" ? "`check` (default concurrency)" : `\`check --concurrency ${c}\``);
    return table([`${r.learners ?? "?"} learners, ${r.cpus ?? "?"} cores, ${(r.at ?? "").slice(0, 10)}`, "seconds, start to exit, each run"], [...by].map(([c, runs]) => [label(c), runs.join(", ")]));
}

/** Every results file of a directory: a sweep of one setting (e.g. `--course-concurrency`), one row per file. */
export function benchSweep(root: string, name: string | undefined, table: Table): string {
    if (name === undefined) {
        throw new Error("name a directory under bench/results/, e.g. `bench-sweep course-concurrency`");
    }
    const files = fs
        .readdirSync(path.join(root, RESULTS_DIR, name))
        .filter((f) => f.endsWith(".json"))
        .map((f) => readResults(root, `${name}/${f}`))
        .sort((a, b) => (a.course?.concurrencyFlag ?? 0) - (b.course?.concurrencyFlag ?? 0));
    const rows = files.flatMap((r) => (r.course?.rows ?? []).map((c) => [String(r.course?.concurrencyFlag ?? "default"), String(c.learners), fmt(c.summary?.course)]));
    return table(["learners at once (`--course-concurrency`)", "learners", "`course up`"], rows);
}

/** `npm run bench:terminals`: keystroke round trips with a class's terminals open at once, through `course serve` and with `kubectl exec -it`. */
export function benchTerminals(root: string, name: string | undefined, table: Table): string {
    const r = readResults(root, name);
    const rows = (r.sides ?? []).map((s) => [s.name, String(s.p50Ms), String(s.p99Ms), String(s.maxMs), s.mibPerTerminal.toFixed(1), String(s.keys)]);
    if (r.goal !== undefined) {
        rows.push(["goal (through the server)", "", `under ${r.goal.p99Ms}`, "", `under ${r.goal.mibPerTerminal}`, ""]);
    }
    const load = r.loadDuringRuns?.length ? `, load average ${Math.min(...r.loadDuringRuns).toFixed(0)}-${Math.max(...r.loadDuringRuns).toFixed(0)}` : "";
    const what = `${r.learners ?? "?"} terminals open at once, ${r.keysPerTerminal ?? "?"} keys each per run, ${r.runs ?? "?"} runs, ${r.cpus ?? "?"} cores${load}, ${(r.at ?? "").slice(0, 10)}`;
    return table([what, "p50 ms", "p99 ms", "max ms", "MiB per open terminal", "keys timed"], rows);
}
