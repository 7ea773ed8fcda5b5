/** The benchmark's results: their JSON shape and the tables printed from them. */
import { CourseSide, CourseUpSample, KubectlCourseSample } from "./course";
import { KubectlSample, PulumiSample, PulumiSettings } from "./measure";
import { CpuBreakdown } from "./proc";
import { Stats, fmtStats, mib, secs, stats } from "./stats";

export interface PairSample {
    run: number;
    /** Which side ran first in this pair (alternates between runs). */
    first: "pulumi" | "kubectl";
    pulumi: PulumiSample;
    /** Absent with --skip kubectl. */
    kubectl?: KubectlSample;
    /** `kubectl apply --server-side --validate=false` + the same wait, right after `kubectl`: the API server and await floor. */
    kubectlLean?: KubectlSample;
    /** pulumi up / (kubectl apply + wait), this pair. */
    ratio: number;
    /** Load average just before the pair. */
    load: [number, number, number];
}

export interface DeployRow {
    count: number;
    /** Kubernetes objects per deployment, by kind (the same for both sides). */
    objects: Record<string, number>;
    renderMs: number;
    samples: PairSample[];
    summary?: {
        pulumiUp: Stats;
        kubectl: Stats;
        kubectlApply: Stats;
        kubectlWait: Stats;
        ratio: Stats;
        kubectlLean: Stats;
        noChangeUp: Stats;
        deployCommand: Stats;
        preview: Stats;
        projectDirFirstUp: Stats;
        projectDirNoChangeUp: Stats;
        projectDirPreview: Stats;
    };
}

export interface WhatIfRow {
    name: string;
    count: number;
    settings: PulumiSettings;
    samples: PulumiSample[];
    summary?: { pulumiUp: Stats; noChangeUp: Stats; preview: Stats };
}

/** One run of one class size: the three sides, in the order they ran. */
export interface CourseRunSample {
    run: number;
    order: CourseSide[];
    /** Load average just before each side. */
    load: Partial<Record<CourseSide, [number, number, number]>>;
    course?: CourseUpSample;
    kubectl?: KubectlCourseSample;
    sequential?: CourseUpSample;
    /** The course command of the --course-baseline build, run the same way. */
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
        sequentialPeakRss: Stats;
        baseline: Stats;
        vsBaseline: Stats;
        baselinePeakRss: Stats;
    };
}

/** The goal issue 11 sets for the course command (printed, never asserted). */
export const COURSE_GOAL = { learners: 20, maxRatio: 2, minSpeedup: 4 } as const;

export interface Results {
    meta: {
        label: string;
        startedAt: string;
        finishedAt?: string;
        totalSeconds?: number;
        complete: boolean;
        options: Record<string, unknown>;
        settings: PulumiSettings & { effectiveParallel: string; workspaceEnv?: Record<string, string>; pulumiEnv?: Record<string, string> };
        host: { cores: number; loadStart: number[]; loadEnd?: number[]; node: string };
        versions: Record<string, string>;
        git: { commit: string; dirty: string[] };
        apiServer: string;
    };
    deploy: DeployRow[];
    unit?: { samples: { ms: number; tests: string }[]; summary: Stats };
    programLoad?: Record<string, { samples: number[]; summary: Stats }>;
    whatIf: WhatIfRow[];
    course?: { renderMs: number; concurrencyFlag?: number; /** The --course-baseline tree, if any. */ baseline?: string; rows: CourseRow[] };
}

export function summarize(res: Results): void {
    for (const row of res.deploy) {
        const p = row.samples.map((s) => s.pulumi);
        const k = row.samples.flatMap((s) => (s.kubectl ? [s.kubectl] : []));
        row.summary = {
            pulumiUp: stats(p.map((x) => x.up.ms)),
            kubectl: stats(k.map((x) => x.ms)),
            kubectlApply: stats(k.map((x) => x.applyMs)),
            kubectlWait: stats(k.map((x) => x.waitMs)),
            ratio: stats(row.samples.map((s) => s.ratio)),
            kubectlLean: stats(row.samples.flatMap((s) => (s.kubectlLean ? [s.kubectlLean.ms] : []))),
            noChangeUp: stats(p.map((x) => x.noChangeUpMs)),
            deployCommand: stats(p.map((x) => x.deployCommandMs)),
            preview: stats(p.map((x) => x.previewMs)),
            ...projectDirSummary(p),
        };
    }
    for (const row of res.course?.rows ?? []) {
        const pick = <T>(f: (s: CourseRunSample) => T | undefined) => row.samples.flatMap((s) => (f(s) === undefined ? [] : [f(s)!]));
        const course = pick((s) => s.course);
        const sequential = pick((s) => s.sequential);
        row.summary = {
            course: stats(course.map((c) => c.ms)),
            kubectl: stats(pick((s) => s.kubectl?.ms)),
            sequential: stats(sequential.map((c) => c.ms)),
            ratio: stats(row.samples.map((s) => s.ratio)),
            speedup: stats(row.samples.map((s) => s.speedup)),
            concurrentLearners: Math.max(0, ...course.map((c) => c.concurrentLearners)),
            peakRss: stats(course.map((c) => c.tree.peakRssBytes)),
            peakPss: stats(course.map((c) => c.tree.peakPssBytes)),
            peakRssPerLearner: stats(course.map((c) => c.peakRssPerLearnerBytes)),
            sequentialPeakRss: stats(sequential.map((c) => c.tree.peakRssBytes)),
            baseline: stats(pick((s) => s.baseline?.ms)),
            vsBaseline: stats(pick((s) => s.vsBaseline)),
            baselinePeakRss: stats(pick((s) => s.baseline?.tree.peakRssBytes)),
        };
    }
    for (const w of res.whatIf) {
        w.summary = {
            pulumiUp: stats(w.samples.map((x) => x.up.ms)),
            noChangeUp: stats(w.samples.map((x) => x.noChangeUpMs)),
            preview: stats(w.samples.map((x) => x.previewMs)),
        };
    }
}

function projectDirSummary(samples: PulumiSample[]): Pick<NonNullable<DeployRow["summary"]>, "projectDirFirstUp" | "projectDirNoChangeUp" | "projectDirPreview"> {
    const d = samples.flatMap((x) => (x.projectDir ? [x.projectDir] : []));
    return {
        projectDirFirstUp: stats(d.map((x) => x.firstUpMs)),
        projectDirNoChangeUp: stats(d.map((x) => x.noChangeUpMs)),
        projectDirPreview: stats(d.map((x) => x.previewMs)),
    };
}

function table(head: string[], rows: string[][]): string {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** The run of a row whose pulumi up time is the median (the lower middle one for an even count). */
export function medianRun<T>(samples: T[], key: (s: T) => number): T | undefined {
    const sorted = [...samples].sort((a, b) => key(a) - key(b));
    return sorted[(sorted.length - 1) >> 1];
}

export function render(res: Results): string {
    const out: string[] = [];
    const m = res.meta;
    out.push(
        `podlab benchmark "${m.label}": ${m.startedAt}, ${m.host.cores} cores, load average ${m.host.loadStart.join(" ")} at start` +
            (m.host.loadEnd ? `, ${m.host.loadEnd.join(" ")} at end` : "") +
            (m.totalSeconds ? `; took ${Math.round(m.totalSeconds)} s` : ""),
    );
    out.push(
        `pulumi ${m.versions.pulumi}, kubernetes provider ${m.versions.kubernetesProvider}, kubectl/API server ${m.versions.kubernetes}, node ${m.host.node}; ` +
            `engine parallel: ${m.settings.effectiveParallel}` +
            envNote("--env", m.settings.envVars) +
            envNote("openStack's workspace env", m.settings.workspaceEnv ?? {}) +
            envNote("PULUMI_* in the environment", m.settings.pulumiEnv ?? {}),
    );
    out.push(`seconds as min / median / max over the runs; ratio = pulumi up / (kubectl apply + wait), pair by pair`);
    out.push(`lean kubectl = kubectl apply --server-side --validate=false (no client-side schema validation), the same wait: the API server and await floor`);

    const rows = res.deploy.filter((r) => r.summary && r.samples.length > 0);
    if (rows.length > 0) {
        out.push("", "Deploy the dev stack until every pod is Ready");
        out.push(
            table(
                ["postgres pods", "objects", "runs", "pulumi up", "kubectl apply + wait", "(apply)", "(wait)", "ratio", "lean kubectl + wait"],
                rows.map((r) => [
                    String(r.count),
                    String(Object.values(r.objects).reduce((a, b) => a + b, 0)),
                    String(r.samples.length),
                    fmtStats(r.summary!.pulumiUp),
                    fmtStats(r.summary!.kubectl),
                    fmtStats(r.summary!.kubectlApply),
                    fmtStats(r.summary!.kubectlWait),
                    fmtStats(r.summary!.ratio, "x"),
                    fmtStats(r.summary!.kubectlLean),
                ]),
            ),
        );
        out.push("", "Fixed overhead: commands on a deployed stack with nothing to change");
        out.push("Automation API: in this process, inline program (`up` skips its preview); project directory: the plain pulumi CLI through the Node.js language host (`up --yes` previews, then updates)");
        out.push(
            table(
                [
                    "postgres pods",
                    "no-change up (Automation API)",
                    "the same via the deploy command",
                    "preview (Automation API)",
                    "pulumi up, project dir, 1st after an edit",
                    "pulumi up, project dir",
                    "pulumi preview, project dir",
                ],
                rows.map((r) => [
                    String(r.count),
                    fmtStats(r.summary!.noChangeUp),
                    fmtStats(r.summary!.deployCommand),
                    fmtStats(r.summary!.preview),
                    fmtStats(r.summary!.projectDirFirstUp),
                    fmtStats(r.summary!.projectDirNoChangeUp),
                    fmtStats(r.summary!.projectDirPreview),
                ]),
            ),
        );
    }
    if (res.course && res.course.rows.some((r) => r.samples.length > 0)) {
        out.push("", ...courseReport(res.course));
    }
    if (res.unit) {
        out.push("", "Unit suite");
        out.push(table(["command", "runs", "wall time", "tests"], [["npx jest", String(res.unit.samples.length), fmtStats(res.unit.summary), res.unit.samples[0]?.tests ?? ""]]));
    }
    if (res.programLoad) {
        out.push("", "Program load in a fresh Node process (what TypeScript compilation adds to a program run through the language host when ts-node's cache misses, as after an edit)");
        out.push(
            table(
                ["program", "runs", "wall time"],
                Object.entries(res.programLoad).map(([k, v]) => [PROGRAM_LOAD_LABELS[k] ?? k, String(v.samples.length), fmtStats(v.summary)]),
            ),
        );
    }
    const slowest = rows[rows.length - 1];
    if (slowest) {
        out.push("", ...phaseReport(slowest));
    }
    if (res.whatIf.length > 0) {
        out.push("", `What-if: engine settings at ${res.whatIf[0].count} postgres pods`);
        const base =
            slowest && slowest.count === res.whatIf[0].count
                ? [
                      [
                          "(this run's settings, from the table above)",
                          fmtStats(slowest.summary!.pulumiUp),
                          fmtStats(slowest.summary!.noChangeUp),
                          fmtStats(slowest.summary!.preview),
                          String(Math.max(...slowest.samples.map((s) => s.pulumi.up.phases.maxPodsInFlight))),
                          `${medianCpu(slowest.samples.map((s) => s.pulumi), ENGINE)} / ${medianCpu(slowest.samples.map((s) => s.pulumi), NODE)}`,
                      ],
                  ]
                : [];
        out.push(
            table(
                ["variant", "pulumi up", "no-change up", "preview", "pods in flight (max)", "CPU-s engine / node (median)"],
                [
                    ...base,
                    ...res.whatIf
                        .filter((w) => w.summary)
                        .map((w) => [
                            w.name,
                            fmtStats(w.summary!.pulumiUp),
                            fmtStats(w.summary!.noChangeUp),
                            fmtStats(w.summary!.preview),
                            w.settings.events === false ? "-" : String(Math.max(...w.samples.map((s) => s.up.phases.maxPodsInFlight))),
                            `${medianCpu(w.samples, ENGINE)} / ${medianCpu(w.samples, NODE)}`,
                        ]),
                ],
            ),
        );
    }
    return out.join("\n");
}

const PROGRAM_LOAD_LABELS: Record<string, string> = {
    js: "precompiled bin/index.js (the lab's Automation API path)",
    "ts-transpile": "index.ts via ts-node, transpile only",
    "ts-typecheck": "index.ts via ts-node with type checking (language host default)",
};

function phaseReport(row: DeployRow): string[] {
    const pair = medianRun(row.samples, (s) => s.pulumi.up.ms)!;
    const up = pair.pulumi.up;
    const p = up.phases;
    const k = pair.kubectl ?? { ms: NaN, applyMs: NaN, waitMs: NaN, cpu: {}, cleanupMs: NaN };
    const podSteps = stats(p.podStepMs);
    const span = (a: number, b: number) => secs(b - a);
    const out = [`Where the time goes: pulumi up of ${row.count} postgres pods (run ${pair.run}, the median; load ${pair.load.join(" ")})`];
    out.push(
        table(
            ["phase", "from (s)", "to (s)", "seconds"],
            [
                ["CLI start, stack and config read (until the engine's prelude)", "0.0", secs(p.prelude), span(0, p.prelude)],
                ["prelude -> Kubernetes provider loaded and configured", secs(p.prelude), secs(p.providerReady), span(p.prelude, p.providerReady)],
                ["  meanwhile: the program registers every resource (in this Node process)", secs(p.programStart), secs(p.programEnd), span(p.programStart, p.programEnd)],
                ["provider ready -> first Kubernetes object step", secs(p.providerReady), secs(p.firstObjectStart), span(p.providerReady, p.firstObjectStart)],
                ["object steps: namespace, access, fences, secrets, configmap, pods (create + await)", secs(p.firstObjectStart), secs(p.lastObjectEnd), span(p.firstObjectStart, p.lastObjectEnd)],
                ["  of which pod steps, first start -> last Ready", secs(p.firstPodStart), secs(p.lastPodEnd), span(p.firstPodStart, p.lastPodEnd)],
                ["last step -> engine summary", secs(p.lastObjectEnd), secs(p.summary), span(p.lastObjectEnd, p.summary)],
                ["summary -> `pulumi up` process exit", secs(p.summary), secs(p.cliExit), span(p.summary, p.cliExit)],
                ["Automation API after up: " + up.cliCalls.filter((c) => c.command !== "up").map((c) => `${c.command} ${secs(c.ms)}`).join(", "), secs(p.cliExit), secs(p.returned), span(p.cliExit, p.returned)],
                ["total: stack.up()", "0.0", secs(p.returned), secs(p.returned)],
                ["for comparison: kubectl apply + wait, same objects (same pair)", "", "", `${secs(k.applyMs)} + ${secs(k.waitMs)} = ${secs(k.ms)}`],
            ],
        ),
    );
    out.push(
        `pod steps (create + await Ready): ${podSteps.n} pods, each ${fmtStats(podSteps)} s; at most ${p.maxPodsInFlight} pods and ${p.maxStepsInFlight} steps in flight at once`,
    );
    const graph = row.samples.find((s) => s.pulumi.graph)?.pulumi.graph;
    if (graph) {
        out.push(
            `resource graph: ${graph.resources} resources in the state; longest dependency chain ${graph.longestChain.join(" -> ")}; ` +
                `pods that wait for another pod: ${graph.podsWaitingForPods}; e.g. pod ${Object.keys(graph.podDependencies)[0]} waits for ${Object.values(graph.podDependencies)[0]?.join(", ")}`,
        );
    }
    out.push("", `CPU seconds used while each side ran (same pair; 2 cores give ${secs(up.ms * 2)} CPU-s during pulumi up, ${secs(k.ms * 2)} during kubectl)`);
    const names = [...new Set([...Object.keys(up.cpu), ...Object.keys(k.cpu)])].sort((a, b) => (up.cpu[b] ?? 0) - (up.cpu[a] ?? 0));
    out.push(table(["process", "pulumi up", "kubectl apply + wait"], [...names.map((n) => [n, cpuCell(up.cpu, n), cpuCell(k.cpu, n)]), ["total", total(up.cpu), total(k.cpu)]]));
    return out;
}

function envNote(what: string, env: Record<string, string>): string {
    const entries = Object.entries(env);
    return entries.length === 0 ? "" : `; ${what}: ${entries.map(([k, v]) => `${k}=${v}`).join(" ")}`;
}

const ENGINE = "pulumi CLI (engine)";
const NODE = "node (program, SDK, Automation API)";

function medianCpu(samples: PulumiSample[], name: string): string {
    return stats(samples.map((s) => s.up.cpu[name] ?? NaN)).median.toFixed(1);
}

function cpuCell(cpu: CpuBreakdown, name: string): string {
    return cpu[name] === undefined ? "-" : cpu[name].toFixed(2);
}

function total(cpu: CpuBreakdown): string {
    return Object.values(cpu)
        .reduce((a, b) => a + b, 0)
        .toFixed(2);
}

function courseReport(course: NonNullable<Results["course"]>): string[] {
    const rows = course.rows.filter((r) => r.summary && r.samples.length > 0);
    const concurrency = course.concurrencyFlag !== undefined ? `--concurrency ${course.concurrencyFlag}` : "its default concurrency";
    const out = [`Course up until every learner is done (pods Ready, credential, card), as a user runs it (${concurrency}), against kubectl and one learner after another`];
    const baseline = rows.some((r) => r.summary!.baseline.n > 0);
    out.push(
        table(
            [
                "learners",
                "objects",
                "runs",
                "course up",
                "kubectl apply + wait",
                "one after another (--concurrency 1)",
                "course / kubectl",
                "one after another / course",
                ...(baseline ? ["baseline course up", "course / baseline"] : []),
            ],
            rows.map((r) => [
                String(r.learners),
                String(r.learners * Object.values(r.objectsPerLearner).reduce((a, b) => a + b, 0)),
                String(r.samples.length),
                fmtStats(r.summary!.course),
                fmtStats(r.summary!.kubectl),
                fmtStats(r.summary!.sequential),
                fmtStats(r.summary!.ratio, "x"),
                fmtStats(r.summary!.speedup, "x"),
                ...(baseline ? [fmtStats(r.summary!.baseline), fmtStats(r.summary!.vsBaseline, "x")] : []),
            ]),
        ),
    );
    if (baseline) {
        out.push(`baseline: the course command of ${course.baseline ?? "another build"}, run the same way in the same runs`);
    }
    const goal = rows.find((r) => r.learners === COURSE_GOAL.learners);
    if (goal) {
        const ratio = goal.summary!.ratio.median;
        const speedup = goal.summary!.speedup.median;
        const parts = [
            ...(Number.isFinite(ratio) ? [`within ${COURSE_GOAL.maxRatio}x of kubectl: median ${ratio.toFixed(2)}x, ${ratio <= COURSE_GOAL.maxRatio ? "met" : "missed"}`] : []),
            ...(Number.isFinite(speedup) ? [`at least ${COURSE_GOAL.minSpeedup}x faster than one after another: median ${speedup.toFixed(2)}x, ${speedup >= COURSE_GOAL.minSpeedup ? "met" : "missed"}`] : []),
        ];
        if (parts.length > 0) {
            out.push(`goal (issue 11; printed, not asserted): ${COURSE_GOAL.learners} learners ${parts.join("; ")}`);
        }
    }
    out.push("", "Peak memory of the course command's process tree (node, every pulumi CLI and provider, kubectl), in MiB");
    out.push(
        table(
            [
                "learners",
                "learners at once",
                "peak RSS",
                "peak PSS",
                "peak RSS / learners at once",
                "one after another: peak RSS",
                "each learner at once beyond the first adds (RSS, medians)",
                ...(baseline ? ["baseline: peak RSS"] : []),
            ],
            rows.map((r) => {
                const s = r.summary!;
                const beyond = s.concurrentLearners > 1 ? mib((s.peakRss.median - s.sequentialPeakRss.median) / (s.concurrentLearners - 1)) : "-";
                return [
                    String(r.learners),
                    String(s.concurrentLearners),
                    fmtStats(s.peakRss, "MiB"),
                    fmtStats(s.peakPss, "MiB"),
                    fmtStats(s.peakRssPerLearner, "MiB"),
                    fmtStats(s.sequentialPeakRss, "MiB"),
                    beyond,
                    ...(baseline ? [fmtStats(s.baselinePeakRss, "MiB")] : []),
                ];
            }),
        ),
    );
    const largest = rows[rows.length - 1];
    const pair = largest && medianRun(largest.samples.filter((s) => s.course), (s) => s.course!.ms);
    if (pair?.course) {
        out.push("", ...courseBreakdown(largest.learners, pair));
    }
    return out;
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
    const seq = s.sequential;
    const census = Object.entries(c.tree.census).sort((a, b) => b[1].runs - a[1].runs);
    out.push("", `Processes the course command ran (seen by polling every 200 ms: short runs may be missed; CPU-s as last seen, a lower bound)`);
    out.push(
        table(
            ["process", "runs", "per learner", "CPU-s", "one after another: runs", ...(s.baseline ? ["baseline: runs", "baseline: CPU-s"] : [])],
            [...new Set([...census.map(([label]) => label), ...Object.keys(s.baseline?.tree.census ?? {})])].map((label) => {
                const v = c.tree.census[label] ?? { runs: 0, cpuSeconds: 0 };
                const b = s.baseline?.tree.census[label];
                return [
                    label,
                    String(v.runs),
                    (v.runs / learners).toFixed(1),
                    v.cpuSeconds.toFixed(1),
                    String(seq?.tree.census[label]?.runs ?? "-"),
                    ...(s.baseline ? [String(b?.runs ?? 0), (b?.cpuSeconds ?? 0).toFixed(1)] : []),
                ];
            }),
        ),
    );
    const k = s.kubectl;
    out.push("", `CPU seconds while each side ran (same run; 2 cores give ${secs(c.ms * 2)} CPU-s during course up)`);
    const sides: [string, CpuBreakdown | undefined][] = [
        ["course up", c.cpu],
        ["one after another", seq?.cpu],
        ["kubectl apply + wait", k?.cpu],
        ...(s.baseline ? [["baseline course up", s.baseline.cpu] as [string, CpuBreakdown]] : []),
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
