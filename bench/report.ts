/** The benchmark's results: their JSON shape and the tables printed from them. */
import { CourseResults, courseReport, summarizeCourse } from "./courseReport";
import { KubectlSample, PulumiSample, PulumiSettings } from "./measure";
import { Stats, cpuCell, fmtStats, medianRun, secs, stats, table, total } from "./stats";

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
    course?: CourseResults;
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
    summarizeCourse(res.course);
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
        out.push("", ...courseReport(res.course, res.meta.host.cores));
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

