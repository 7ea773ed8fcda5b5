/**
 * The course part of the benchmark's results: its JSON shape, its summary,
 * the tables printed from it, and the issues' goals as verdict lines (printed,
 * never asserted), with what bounds a missed goal on this machine.
 */
import { CourseExtras, CourseSide, CourseUpSample, KubectlCourseSample } from "./course";
import { CpuBreakdown } from "./proc";
import { Stats, cpuCell, fmtStats, medianRun, mib, secs, stats, table, total } from "./stats";

/** One run of one class size: the sides, in the order they ran. */
export interface CourseRunSample {
    run: number;
    order: CourseSide[];
    /** Load average just before each side. */
    load: Partial<Record<CourseSide, [number, number, number]>>;
    course?: CourseUpSample;
    kubectl?: KubectlCourseSample;
    sequential?: CourseUpSample;
    /** The course command of the baseline build (the code before a change), run the same way. */
    baseline?: CourseUpSample;
    /** course up / (kubectl apply + wait), and sequential / course up, this run. */
    ratio: number;
    speedup: number;
    /** course up / baseline course up, this run. */
    vsBaseline?: number;
}

export interface CourseRow {
    learners: number;
    /** Kubernetes objects per learner, by kind (the same for every side; the course adds one credential anchor Secret). */
    objectsPerLearner: Record<string, number>;
    samples: CourseRunSample[];
    summary?: {
        course: Stats;
        kubectl: Stats;
        sequential: Stats;
        ratio: Stats;
        speedup: Stats;
        concurrentLearners: number;
        peakRss: Stats;
        peakPss: Stats;
        peakRssPerLearner: Stats;
        peakProcesses: Stats;
        peakFds: Stats;
        peakRootFds: Stats;
        sequentialPeakRss: Stats;
        baseline: Stats;
        vsBaseline: Stats;
        baselinePeakRss: Stats;
        baselinePeakProcesses: Stats;
        /** Pulumi CLI runs per learner (all subcommands), course and baseline sides. */
        pulumiRunsPerLearner: Stats;
        baselinePulumiRunsPerLearner: Stats;
    };
}

export interface CourseResults {
    renderMs: number;
    concurrencyFlag?: number;
    /** The --course-baseline tree or --course-baseline-commit, if any. */
    baseline?: string;
    /** The lab's nodes (KWOK fakes them). */
    nodes?: { total: number; fake: number };
    rows: CourseRow[];
}

/** Issue 11's goal for the course command. */
export const COURSE_GOAL = { learners: 20, maxRatio: 2, minSpeedup: 4 } as const;

/** Issue 24's goals. */
export const SCALE_GOALS = {
    /** Within this factor of kubectl apply + wait, at these class sizes. */
    ratio: [
        { learners: 20, max: 1.25 },
        { learners: 100, max: 1.5 },
    ],
    /** Time per learner at `to` no more than `max` times that at `from`. */
    growth: { from: 20, to: 100, max: 1.15 },
    /** `status` of this many learners under this many milliseconds. */
    status: { learners: 100, maxMs: 10_000 },
} as const;

const sumRuns = (runs: Record<string, number>) => Object.values(runs).reduce((a, b) => a + b, 0);

export function summarizeCourse(course: CourseResults | undefined): void {
    for (const row of course?.rows ?? []) {
        const pick = <T>(f: (s: CourseRunSample) => T | undefined) => row.samples.flatMap((s) => (f(s) === undefined ? [] : [f(s)!]));
        const c = pick((s) => s.course);
        const b = pick((s) => s.baseline);
        const sequential = pick((s) => s.sequential);
        row.summary = {
            course: stats(c.map((x) => x.ms)),
            kubectl: stats(pick((s) => s.kubectl?.ms)),
            sequential: stats(sequential.map((x) => x.ms)),
            ratio: stats(row.samples.map((s) => s.ratio)),
            speedup: stats(row.samples.map((s) => s.speedup)),
            concurrentLearners: Math.max(0, ...c.map((x) => x.concurrentLearners)),
            peakRss: stats(c.map((x) => x.tree.peakRssBytes)),
            peakPss: stats(c.map((x) => x.tree.peakPssBytes)),
            peakRssPerLearner: stats(c.map((x) => x.peakRssPerLearnerBytes)),
            peakProcesses: stats(c.map((x) => x.tree.peakProcesses)),
            peakFds: stats(c.map((x) => x.tree.peakFds)),
            peakRootFds: stats(c.map((x) => x.tree.peakRootFds)),
            sequentialPeakRss: stats(sequential.map((x) => x.tree.peakRssBytes)),
            baseline: stats(b.map((x) => x.ms)),
            vsBaseline: stats(pick((s) => s.vsBaseline)),
            baselinePeakRss: stats(b.map((x) => x.tree.peakRssBytes)),
            baselinePeakProcesses: stats(b.map((x) => x.tree.peakProcesses)),
            pulumiRunsPerLearner: stats(c.map((x) => sumRuns(x.pulumiRuns ?? {}) / row.learners)),
            baselinePulumiRunsPerLearner: stats(b.map((x) => sumRuns(x.pulumiRuns ?? {}) / row.learners)),
        };
    }
}

export function courseReport(course: CourseResults, cores: number): string[] {
    const rows = course.rows.filter((r) => r.summary && r.samples.length > 0);
    const concurrency = course.concurrencyFlag !== undefined ? `--concurrency ${course.concurrencyFlag}` : "its default concurrency";
    const nodes = course.nodes ? `; the lab has ${course.nodes.total} node(s), ${course.nodes.fake} of them KWOK fakes` : "";
    const out = [`Course up until every learner is done (pods Ready, credential, card), as a user runs it (${concurrency}), against kubectl and the code before the change${nodes}`];
    const hasBaseline = rows.some((r) => r.summary!.baseline.n > 0);
    const hasSequential = rows.some((r) => r.summary!.sequential.n > 0);
    const perLearner = (s: Stats, n: number) => (s.n === 0 ? "-" : (s.median / 1000 / n).toFixed(2));
    out.push(
        table(
            [
                "learners",
                "objects",
                "runs",
                "course up",
                "kubectl apply + wait",
                "course / kubectl",
                ...(hasBaseline ? ["before the change", "course / before"] : []),
                ...(hasSequential ? ["one after another", "one after another / course"] : []),
                "s per learner: course / kubectl" + (hasBaseline ? " / before" : ""),
                "pulumi runs per learner: course" + (hasBaseline ? " / before" : ""),
            ],
            rows.map((r) => {
                const s = r.summary!;
                return [
                    String(r.learners),
                    String(r.learners * Object.values(r.objectsPerLearner).reduce((a, b) => a + b, 0)),
                    String(r.samples.length),
                    fmtStats(s.course),
                    fmtStats(s.kubectl),
                    fmtStats(s.ratio, "x"),
                    ...(hasBaseline ? [fmtStats(s.baseline), fmtStats(s.vsBaseline, "x")] : []),
                    ...(hasSequential ? [fmtStats(s.sequential), fmtStats(s.speedup, "x")] : []),
                    [perLearner(s.course, r.learners), perLearner(s.kubectl, r.learners), ...(hasBaseline ? [perLearner(s.baseline, r.learners)] : [])].join(" / "),
                    [s.pulumiRunsPerLearner.median.toFixed(1), ...(hasBaseline ? [s.baselinePulumiRunsPerLearner.median.toFixed(1)] : [])].join(" / "),
                ];
            }),
        ),
    );
    if (hasBaseline) {
        out.push(`before the change: the course command of ${course.baseline ?? "another build"}, run the same way in the same runs`);
    }
    out.push("", "Load average (1 min) before each side, per run: " + rows.map((r) => `${r.learners}: ${r.samples.map((s) => Object.entries(s.load).map(([k, v]) => `${k} ${v![0]}`).join(", ")).join(" | ")}`).join("; "));
    out.push("", ...goalLines(rows, cores));
    out.push("", ...instructorSide(rows, hasBaseline));
    out.push("", ...cpuPerLearner(rows));
    const extras = rows.flatMap((r) => r.samples.flatMap((s) => (s.course?.extras ? [s.course.extras] : [])));
    if (extras.length > 0) {
        out.push("", ...extrasReport(extras));
    }
    const largest = rows[rows.length - 1];
    const spread = largest?.samples.find((s) => s.course)?.course?.podsPerNode;
    if (spread && Object.keys(spread).length > 0) {
        const counts = Object.values(spread);
        out.push(
            "",
            `Pods of the ${largest.learners}-learner class per node, right after up (the scheduler's spread; ${counts.reduce((a, b) => a + b, 0)} pods on ${counts.length} nodes, ${Math.min(...counts)}-${Math.max(...counts)} each): ` +
                Object.entries(spread)
                    .map(([n, c]) => `${n} ${c}`)
                    .join(", "),
        );
    }
    const pair = largest && medianRun(largest.samples.filter((s) => s.course), (s) => s.course!.ms);
    if (pair?.course) {
        out.push("", ...courseBreakdown(largest.learners, pair));
    }
    return out;
}

/** The goals as verdict lines; a missed ratio goal says what bounds it and what would reach it. */
function goalLines(rows: CourseRow[], cores: number): string[] {
    const out = ["Goals (issue 24; printed, never asserted):"];
    const row = (n: number) => rows.find((r) => r.learners === n);
    for (const g of SCALE_GOALS.ratio) {
        const r = row(g.learners);
        if (!r || !Number.isFinite(r.summary!.ratio.median)) {
            out.push(`- ${g.learners} learners within ${g.max}x of kubectl: not measured`);
            continue;
        }
        const ratio = r.summary!.ratio.median;
        out.push(`- ${g.learners} learners within ${g.max}x of kubectl apply + wait: median ${ratio.toFixed(2)}x, ${ratio <= g.max ? "met" : "missed"}`);
        if (ratio > g.max) {
            out.push(...bound(r, g.max, cores));
        }
    }
    const from = row(SCALE_GOALS.growth.from);
    const to = row(SCALE_GOALS.growth.to);
    if (from && to && from.summary!.course.n > 0 && to.summary!.course.n > 0) {
        const growth = to.summary!.course.median / to.learners / (from.summary!.course.median / from.learners);
        out.push(
            `- time per learner at ${to.learners} no more than ${SCALE_GOALS.growth.max}x that at ${from.learners}: ` +
                `${secs(to.summary!.course.median / to.learners)} s against ${secs(from.summary!.course.median / from.learners)} s, ${growth.toFixed(2)}x, ${growth <= SCALE_GOALS.growth.max ? "met" : "missed"}`,
        );
    } else {
        out.push(`- time per learner at ${SCALE_GOALS.growth.to} against ${SCALE_GOALS.growth.from}: not measured`);
    }
    const status = rows.flatMap((r) => r.samples.flatMap((s) => (s.course?.extras && s.course.extras.learners === SCALE_GOALS.status.learners ? [s.course.extras.status] : [])))[0];
    out.push(
        status
            ? `- status of ${SCALE_GOALS.status.learners} learners under ${SCALE_GOALS.status.maxMs / 1000} s: ${secs(status.ms)} s, ${status.ms < SCALE_GOALS.status.maxMs ? "met" : "missed"}`
            : `- status of ${SCALE_GOALS.status.learners} learners: not measured`,
    );
    const g11 = row(COURSE_GOAL.learners);
    if (g11 && Number.isFinite(g11.summary!.speedup.median)) {
        const sp = g11.summary!.speedup.median;
        out.push(`- (issue 11) ${COURSE_GOAL.learners} learners at least ${COURSE_GOAL.minSpeedup}x faster than one after another: ${sp.toFixed(2)}x, ${sp >= COURSE_GOAL.minSpeedup ? "met" : "missed"}`);
    }
    return out;
}

/** What bounds a class size's ratio on this machine, from the median run's CPU accounting. */
function bound(r: CourseRow, goal: number, cores: number): string[] {
    const s = medianRun(r.samples.filter((x) => x.course && x.kubectl), (x) => x.course!.ms);
    if (!s?.course || !s.kubectl) {
        return [];
    }
    const wall = s.course.ms / 1000;
    const used = Object.values(s.course.cpu).reduce((a, b) => a + b, 0);
    const kubectlWall = s.kubectl.ms / 1000;
    const target = goal * kubectlWall;
    const byProcess = Object.entries(s.course.cpu)
        .filter(([, v]) => v / r.learners >= 0.01)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / r.learners).toFixed(2)}`)
        .join(", ");
    return [
        `  bound: the machine's ${cores} cores offered ${(cores * wall).toFixed(0)} CPU-s while course up ran (${wall.toFixed(1)} s); it used ${used.toFixed(0)} ` +
            `(${(used / r.learners).toFixed(2)} CPU-s per learner: ${byProcess}). At that CPU per learner no schedule finishes under ${(used / cores).toFixed(1)} s on ${cores} cores.`,
        `  what would reach it: ${target.toFixed(1)} s (${goal}x kubectl's ${kubectlWall.toFixed(1)} s) needs at most ${((target * cores) / r.learners).toFixed(2)} CPU-s per learner here, ` +
            `or about ${Math.ceil(used / target)} cores at today's CPU per learner with kubectl's side as it is (kubectl's CPU would shrink its time too).`,
    ];
}

function instructorSide(rows: CourseRow[], hasBaseline: boolean): string[] {
    return [
        "The instructor's side: the course command's whole process tree (node, every pulumi CLI and provider, kubectl) at its peak, as the class grows",
        table(
            [
                "learners",
                "learners at once",
                "peak RSS (MiB)",
                "peak PSS (MiB)",
                "processes (most at once)",
                "open fds, whole tree",
                "open fds, the command",
                ...(hasBaseline ? ["before: peak RSS (MiB)", "before: processes"] : []),
            ],
            rows.map((r) => {
                const s = r.summary!;
                return [
                    String(r.learners),
                    String(s.concurrentLearners),
                    fmtStats(s.peakRss, "MiB"),
                    fmtStats(s.peakPss, "MiB"),
                    String(s.peakProcesses.max),
                    String(s.peakFds.max),
                    String(s.peakRootFds.max),
                    ...(hasBaseline ? [fmtStats(s.baselinePeakRss, "MiB"), String(s.baselinePeakProcesses.max)] : []),
                ];
            }),
        ),
    ];
}

/** CPU-seconds per learner by process at each class size (the median course run): linear growth keeps each row flat. */
function cpuPerLearner(rows: CourseRow[]): string[] {
    const median = rows.map((r) => ({ r, s: medianRun(r.samples.filter((x) => x.course), (x) => x.course!.ms)?.course }));
    const names = [...new Set(median.flatMap(({ s }) => Object.keys(s?.cpu ?? {})))];
    const last = median[median.length - 1]?.s?.cpu ?? {};
    names.sort((a, b) => (last[b] ?? 0) - (last[a] ?? 0));
    return [
        "CPU-seconds per learner while course up ran, by process (median run of each size; lab processes included)",
        table(
            ["process", ...median.map(({ r }) => `${r.learners} learners`)],
            [
                ...names.map((n) => [n, ...median.map(({ r, s }) => (s?.cpu[n] === undefined ? "-" : (s.cpu[n] / r.learners).toFixed(3)))]),
                ["total", ...median.map(({ r, s }) => (s ? (Object.values(s.cpu).reduce((a, b) => a + b, 0) / r.learners).toFixed(3) : "-"))],
            ],
        ),
    ];
}

function extrasReport(extras: CourseExtras[]): string[] {
    const runs = (r: Record<string, number>) =>
        Object.entries(r)
            .map(([k, v]) => `${k.replace(/^pulumi /, "")} ${v}`)
            .join(", ") || "none";
    return [
        "On the deployed class (the course side's first run): re-runs, status and check, each as a user runs it",
        table(
            ["learners", "command", "seconds", "pulumi runs", "peak RSS (MiB)", "notes"],
            extras.flatMap((e) => [
                [String(e.learners), "up again (all up to date)", secs(e.rerun.ms), runs(e.rerun.pulumiRuns), mib(e.rerun.tree.peakRssBytes), e.rerun.summary],
                [String(e.learners), `up after ${e.afterFailures.broken.length} learners failed`, secs(e.afterFailures.ms), runs(e.afterFailures.pulumiRuns), mib(e.afterFailures.tree.peakRssBytes), `${e.afterFailures.broken.join(", ")}: record gone, postgres pod deleted`],
                ...(e.refreshAll
                    ? [[String(e.learners), "up --refresh (Pulumi for everyone)", secs(e.refreshAll.ms), runs(e.refreshAll.pulumiRuns), mib(e.refreshAll.tree.peakRssBytes), e.refreshAll.summary]]
                    : []),
                [String(e.learners), "status", secs(e.status.ms), runs(e.status.pulumiRuns), mib(e.status.tree.peakRssBytes), `kubectl get pods of the class ${secs(e.status.getPodsMs)} s; pictures redrawn (${e.status.picturesWritten} files) ${secs(e.status.picturesMs)} s`],
                [String(e.learners), "check", secs(e.check.ms), runs(e.check.pulumiRuns), mib(e.check.tree.peakRssBytes), `exit ${e.check.code}; ${JSON.stringify(e.check.statuses)}`],
            ]),
        ),
    ];
}

/** Where the time of the median course run went: its phases, the processes it ran, and CPU by process beside the other sides of the same run. */
function courseBreakdown(learners: number, s: CourseRunSample): string[] {
    const c = s.course!;
    const each = stats(c.learnerMs);
    const out = [`Where the time goes: course up of ${learners} learners (run ${s.run}, the median; load ${s.load.course?.join(" ") ?? "?"})`];
    out.push(
        table(
            ["phase", "seconds"],
            [
                ["command start -> first learner started (Node start, roster, cluster access, stack list, plugin check)", secs(c.beforeFirstLearnerMs)],
                [`first learner started -> last learner done (${learners} learners, at most ${c.concurrentLearners} at once)`, secs(c.ms - c.beforeFirstLearnerMs - c.afterLastLearnerMs)],
                ["last learner done -> command exit", secs(c.afterLastLearnerMs)],
                ["total", secs(c.ms)],
                [`each learner's up (stack, recovery, pulumi up, outputs, credential, card): min / median / max; sum`, `${fmtStats(each)}; ${secs(c.learnerMs.reduce((a, b) => a + b, 0))}`],
            ],
        ),
    );
    const census = Object.entries(c.tree.census).sort((a, b) => b[1].runs - a[1].runs);
    out.push("", `Processes the course command ran (seen by polling every 200 ms: short runs may be missed; CPU-s as last seen, a lower bound)`);
    out.push(
        table(
            ["process", "runs", "per learner", "CPU-s", ...(s.baseline ? ["before: runs", "before: per learner", "before: CPU-s"] : [])],
            [...new Set([...census.map(([label]) => label), ...Object.keys(s.baseline?.tree.census ?? {})])].map((label) => {
                const v = c.tree.census[label] ?? { runs: 0, cpuSeconds: 0 };
                const b = s.baseline?.tree.census[label];
                return [
                    label,
                    String(v.runs),
                    (v.runs / learners).toFixed(1),
                    v.cpuSeconds.toFixed(1),
                    ...(s.baseline ? [String(b?.runs ?? 0), ((b?.runs ?? 0) / learners).toFixed(1), (b?.cpuSeconds ?? 0).toFixed(1)] : []),
                ];
            }),
        ),
    );
    out.push("", `CPU seconds while each side ran (same run; 2 cores give ${secs(c.ms * 2)} CPU-s during course up)`);
    const sides: [string, CpuBreakdown | undefined][] = [
        ["course up", c.cpu],
        ["kubectl apply + wait", s.kubectl?.cpu],
        ...(s.sequential ? [["one after another", s.sequential.cpu] as [string, CpuBreakdown]] : []),
        ...(s.baseline ? [["before the change", s.baseline.cpu] as [string, CpuBreakdown]] : []),
    ];
    const names = [...new Set(sides.flatMap(([, cpu]) => Object.keys(cpu ?? {})))].sort((a, b) => (c.cpu[b] ?? 0) - (c.cpu[a] ?? 0));
    out.push(
        table(
            ["process", ...sides.map(([n]) => n)],
            [...names.map((n) => [n, ...sides.map(([, cpu]) => (cpu ? cpuCell(cpu, n) : "-"))]), ["total", ...sides.map(([, cpu]) => (cpu ? total(cpu) : "-"))]],
        ),
    );
    return out;
}
