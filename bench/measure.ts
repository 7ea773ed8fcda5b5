/**
 * One measurement each: `pulumi up` of the dev stack until every pod is Ready
 * (with a phase breakdown from the engine's events), `kubectl apply` + `kubectl
 * wait` of the same rendered objects, a no-change `pulumi up`, a `pulumi
 * preview`, the unit suite, and what TypeScript compilation would add.
 */
import * as path from "path";
import { EngineEvent, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../cli/automation";
import { BenchStack, DependencyGraph, Rendered, deleteNamespace, dependencyGraph, devStack, forgetStack, manifestsFor, readyPods } from "./lab";
import { CpuBreakdown, CpuSampler, mustRun, runCommand } from "./proc";

/** Engine settings of the Pulumi side: `--parallel` and environment variables for the CLI. */
export interface PulumiSettings {
    parallel?: number;
    envVars: Record<string, string>;
    /**
     * Stream engine events to the benchmark (default: yes) for the phase
     * breakdown. The event stream is work of its own for the engine and this
     * process; --what-if measures `up` without it too.
     */
    events?: boolean;
}

/** Where one `pulumi up` spent its time, in milliseconds from the moment `stack.up()` was called. */
export interface UpPhases {
    /** The engine's prelude event: the CLI has started, read the stack and config, and begins the update. */
    prelude: number;
    /** The inline program ran (it registers every resource synchronously) from .. to. */
    programStart: number;
    programEnd: number;
    /** The default Kubernetes provider was loaded and configured (its step ended). */
    providerReady: number;
    /** First and last Kubernetes object step (namespace, access, fences, secrets, configmap, pods): create plus await. */
    firstObjectStart: number;
    lastObjectEnd: number;
    /** First pod step start, last pod step end, and each pod step's duration (create + await Ready). */
    firstPodStart: number;
    lastPodEnd: number;
    podStepMs: number[];
    /** Most pod steps in flight at once. */
    maxPodsInFlight: number;
    /** Most steps of any kind in flight at once. */
    maxStepsInFlight: number;
    /** The engine's summary event: the update is done. */
    summary: number;
    /** The `pulumi up` CLI process exited. */
    cliExit: number;
    /** `stack.up()` returned (after the Automation API's `stack output` and `stack history` calls). */
    returned: number;
}

export interface PulumiUpResult {
    ms: number;
    phases: UpPhases;
    cpu: CpuBreakdown;
    /** Resource operations the engine reported. */
    changes: Record<string, number>;
    /** Pods Ready when `up` returned, out of the pods in the namespace. */
    ready: { total: number; ready: number };
    /** Every CLI invocation `stack.up()` made, with its wall time. */
    cliCalls: { command: string; ms: number }[];
}

/** Every Kubernetes object (the provider itself is `pulumi:providers:kubernetes`). */
const K8S_OBJECT = /^kubernetes:/;

/** Wraps the workspace's CLI runner to time each invocation. */
function timeCli(stack: Stack, t0: number): { calls: { command: string; start: number; end: number }[] } {
    // PulumiCommand.run is how every Automation API operation starts the CLI; it is internal, hence the cast.
    const cmd = stack.workspace.pulumiCommand as unknown as { run: (args: string[], ...rest: unknown[]) => Promise<unknown> };
    const record = { calls: [] as { command: string; start: number; end: number }[] };
    const original = cmd.run.bind(cmd);
    cmd.run = async (args: string[], ...rest: unknown[]) => {
        const start = performance.now() - t0;
        try {
            return await original(args, ...rest);
        } finally {
            const firstFlag = args.findIndex((a) => a.startsWith("-"));
            record.calls.push({ command: args.slice(0, firstFlag < 0 ? args.length : firstFlag).join(" "), start, end: performance.now() - t0 });
        }
    };
    return record;
}

/** Runs `up` on a stack and takes its time apart. */
export async function timedUp(s: BenchStack, settings: PulumiSettings, extra: Partial<UpOptions> = {}): Promise<PulumiUpResult> {
    const events: { t: number; e: EngineEvent }[] = [];
    const sampler = new CpuSampler();
    const t0 = performance.now();
    const cli = timeCli(s.stack, t0);
    sampler.start();
    const onEvent = settings.events === false ? undefined : (e: EngineEvent) => events.push({ t: performance.now() - t0, e });
    const result = await s.stack.up({ ...extra, parallel: settings.parallel, onEvent });
    const ms = performance.now() - t0;
    const cpu = sampler.stop();
    const upCall = cli.calls.find((c) => c.command === "up");
    const phases = phasesFrom(events, s, t0);
    phases.cliExit = Math.round(upCall?.end ?? NaN);
    phases.returned = Math.round(ms);
    return {
        ms,
        phases,
        cpu,
        changes: (result.summary.resourceChanges ?? {}) as Record<string, number>,
        ready: await readyPods(s.namespace),
        cliCalls: cli.calls.map((c) => ({ command: c.command, ms: Math.round(c.end - c.start) })),
    };
}

function phasesFrom(events: { t: number; e: EngineEvent }[], s: BenchStack, t0: number): UpPhases {
    const starts = new Map<string, number>();
    const steps: { type: string; start: number; end: number }[] = [];
    let prelude = NaN;
    let summary = NaN;
    for (const { t, e } of events) {
        if (e.preludeEvent) {
            prelude = t;
        } else if (e.summaryEvent) {
            summary = t;
        } else if (e.resourcePreEvent && !e.resourcePreEvent.planning) {
            starts.set(e.resourcePreEvent.metadata.urn, t);
        } else if (e.resOutputsEvent && !e.resOutputsEvent.planning) {
            const m = e.resOutputsEvent.metadata;
            steps.push({ type: m.type, start: starts.get(m.urn) ?? t, end: t });
        }
    }
    const objects = steps.filter((x) => K8S_OBJECT.test(x.type));
    const pods = steps.filter((x) => x.type === "kubernetes:core/v1:Pod");
    const provider = steps.find((x) => x.type === "pulumi:providers:kubernetes");
    const r = Math.round;
    return {
        prelude: r(prelude),
        programStart: r((s.program.start ?? NaN) - t0),
        programEnd: r((s.program.end ?? NaN) - t0),
        providerReady: r(provider?.end ?? NaN),
        firstObjectStart: r(Math.min(...objects.map((x) => x.start))),
        lastObjectEnd: r(Math.max(...objects.map((x) => x.end))),
        firstPodStart: r(Math.min(...pods.map((x) => x.start))),
        lastPodEnd: r(Math.max(...pods.map((x) => x.end))),
        podStepMs: pods.map((x) => r(x.end - x.start)),
        maxPodsInFlight: maxInFlight(pods),
        maxStepsInFlight: maxInFlight(steps),
        summary: r(summary),
        cliExit: NaN,
        returned: NaN,
    };
}

function maxInFlight(intervals: { start: number; end: number }[]): number {
    const edges = intervals.flatMap((x) => [
        { t: x.start, d: 1 },
        { t: x.end, d: -1 },
    ]);
    edges.sort((a, b) => a.t - b.t || a.d - b.d);
    let cur = 0;
    let max = 0;
    for (const e of edges) {
        cur += e.d;
        max = Math.max(max, cur);
    }
    return max;
}

export interface PulumiSample {
    up: PulumiUpResult;
    /** The deployed resource graph (first run of each count only). */
    graph?: DependencyGraph;
    /** `pulumi up` again with nothing to change, and `pulumi preview`: the fixed cost of any podlab command on this stack. */
    noChangeUpMs: number;
    previewMs: number;
    /** The same no-change `up` through podlab's deploy command (`node bin/cli/stack.js up`), a new Node process as a user runs it. */
    deployCommandMs: number;
    /** The same stack through the plain `pulumi` CLI in its project directory (absent with --skip cli). */
    projectDir?: ProjectDirTimes;
    /** Cleanup, outside every timed region. */
    cleanupMs: number;
}

/**
 * Commands on a deployed stack through the plain `pulumi` CLI in the project
 * directory, as a user types them: the Node.js language host runs index.ts
 * through ts-node (a new Node process per program run; `pulumi up` runs the
 * program twice, for its preview and for the update).
 */
export interface ProjectDirTimes {
    /** The first no-change `pulumi up --yes` there: ts-node's cache is empty, so the program is compiled, as after an edit. */
    firstUpMs: number;
    /** `pulumi up --yes` again: the compiled program comes from ts-node's cache. */
    noChangeUpMs: number;
    /** `pulumi preview`, cached too. */
    previewMs: number;
}

/** A fresh dev stack with `count` postgres pods: `up` until every pod is Ready, a no-change `up`, a `preview`; then removed. */
export async function pulumiSample(
    root: string,
    stackName: string,
    namespace: string,
    count: number,
    settings: PulumiSettings,
    opts: { graph?: boolean; projectDir?: boolean } = {},
): Promise<PulumiSample> {
    const s = await devStack(root, stackName, { namespace, count, envVars: settings.envVars });
    try {
        const up = await timedUp(s, settings);
        if (up.ready.ready !== count + 1 || up.ready.total !== count + 1) {
            throw new Error(`after pulumi up of ${count} postgres pods, ${up.ready.ready} of ${up.ready.total} pods are Ready in ${namespace}`);
        }
        const graph = opts.graph ? await dependencyGraph(s.stack) : undefined;
        let t = performance.now();
        const again = await s.stack.up({ parallel: settings.parallel });
        const noChangeUpMs = performance.now() - t;
        const changed = Object.keys(again.summary.resourceChanges ?? {}).filter((k) => k !== "same");
        if (changed.length > 0) {
            throw new Error(`a second pulumi up changed something: ${JSON.stringify(again.summary.resourceChanges)}`);
        }
        t = performance.now();
        await s.stack.preview({ parallel: settings.parallel });
        const previewMs = performance.now() - t;
        const deploy = await mustRun(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "stack.js"), "up", "--stack", stackName, "--workdir", s.stack.workspace.workDir], {
            env: { ...process.env, ...settings.envVars },
        });
        const projectDir = opts.projectDir ? await projectDirSample(s, settings) : undefined;
        t = performance.now();
        await cleanup(s);
        return { up, graph, noChangeUpMs, previewMs, deployCommandMs: deploy.ms, projectDir, cleanupMs: performance.now() - t };
    } catch (e) {
        await cleanup(s).catch(() => undefined);
        throw e;
    }
}

/** {@link ProjectDirTimes} of a deployed bench stack; every command must find nothing to change. */
async function projectDirSample(s: BenchStack, settings: PulumiSettings): Promise<ProjectDirTimes> {
    const dir = s.stack.workspace.workDir;
    // A cache of this directory's own starts empty (ts-node keys it by file path and content).
    const env = { ...process.env, ...settings.envVars, TS_NODE_CACHE_DIRECTORY: path.join(dir, ".ts-node-cache") };
    const parallel = settings.parallel === undefined ? [] : ["--parallel", String(settings.parallel)];
    const pulumi = (...args: string[]) => mustRun("pulumi", [...args, "--expect-no-changes", "--stack", s.stack.name, "--non-interactive", ...parallel], { cwd: dir, env });
    const firstUp = await pulumi("up", "--yes");
    const again = await pulumi("up", "--yes");
    const preview = await pulumi("preview");
    return { firstUpMs: firstUp.ms, noChangeUpMs: again.ms, previewMs: preview.ms };
}

/** Deleting the namespace deletes every object; the stack's state is then forgotten. Cheaper than `destroy`, and outside the timed regions. */
async function cleanup(s: BenchStack): Promise<void> {
    await deleteNamespace(s.namespace);
    await forgetStack(s);
}

export interface KubectlSample {
    /** `kubectl apply -f` of the rendered stream plus `kubectl wait --for=condition=Ready` on every pod. */
    ms: number;
    applyMs: number;
    waitMs: number;
    cpu: CpuBreakdown;
    cleanupMs: number;
}

/**
 * kubectl's apply flags: `default` is plain `kubectl apply`; `lean` skips
 * kubectl's client-side schema validation (which costs kubectl about 0.1 CPU-s
 * per object here) and applies server-side, as the Kubernetes provider does:
 * about the least a client can ask of the API server.
 */
export const KUBECTL_APPLY = {
    default: ["apply", "-f", "-"],
    lean: ["apply", "--server-side", "--validate=false", "-f", "-"],
} as const;

/** `kubectl apply` of the rendered objects into `namespace`, then `kubectl wait` until every pod is Ready; then the namespace is deleted. */
export async function kubectlSample(rendered: Rendered, namespace: string, flavour: keyof typeof KUBECTL_APPLY = "default"): Promise<KubectlSample> {
    const manifests = manifestsFor(rendered, namespace);
    const sampler = new CpuSampler();
    try {
        sampler.start();
        const apply = await mustRun("kubectl", [...KUBECTL_APPLY[flavour]], { input: manifests });
        const wait = await mustRun("kubectl", ["wait", "--for=condition=Ready", "pod", "--all", "-n", namespace, "--timeout=600s"]);
        const cpu = sampler.stop();
        const ready = await readyPods(namespace);
        if (ready.ready !== rendered.kinds.Pod || ready.total !== rendered.kinds.Pod) {
            throw new Error(`after kubectl apply/wait, ${ready.ready} of ${ready.total} pods are Ready in ${namespace}`);
        }
        const t = performance.now();
        await deleteNamespace(namespace);
        return { ms: apply.ms + wait.ms, applyMs: apply.ms, waitMs: wait.ms, cpu, cleanupMs: performance.now() - t };
    } catch (e) {
        sampler.stop();
        await deleteNamespace(namespace).catch(() => undefined);
        throw e;
    }
}

/** Wall time of the mocked unit suite, `npx jest`, as a developer runs it. */
export async function unitSuiteMs(): Promise<{ ms: number; tests: string }> {
    const r = await runCommand("npx", ["jest"], { cwd: PROJECT_DIR, env: { ...process.env, CI: "true" } });
    if (r.code !== 0) {
        throw new Error(`npx jest failed (${r.code}):\n${r.stderr.slice(-2000)}`);
    }
    const tests = /^Tests:\s+(.*)$/m.exec(r.stderr)?.[1]?.trim() ?? "";
    return { ms: r.ms, tests };
}

/**
 * What TypeScript compilation costs a program start: the podlab program loaded
 * in a fresh Node process three ways, each timed from process start until the
 * program's module has loaded:
 * - `js`: the precompiled bin/index.js (what the lab's Automation API driver runs);
 * - `ts-transpile`: index.ts through ts-node without type checking (`PULUMI_NODEJS_TRANSPILE_ONLY=true`,
 *   what lab/env sets for the Node.js language host);
 * - `ts-typecheck`: index.ts through ts-node with type checking, which is what
 *   the Node language host does for a `runtime: nodejs, typescript: true` project by default.
 * The ts-node is the one @pulumi/pulumi vendors (7.0.1), with the project's TypeScript and tsconfig.json,
 * without its cache: the cost of the first run after an edit (later runs of unchanged files read the cache).
 */
export async function programLoadMs(mode: "js" | "ts-transpile" | "ts-typecheck"): Promise<number> {
    const tsNode = path.join(PROJECT_DIR, "node_modules", "@pulumi", "pulumi", "vendor", "ts-node@7.0.1");
    const script =
        mode === "js"
            ? `require(${JSON.stringify(path.join(PROJECT_DIR, "bin", "index.js"))});`
            : `require(${JSON.stringify(tsNode)}).register({ compiler: "typescript", transpileOnly: ${mode === "ts-transpile"}, ` +
              `project: "tsconfig.json", compilerOptions: { target: "ES2020", module: "commonjs", moduleResolution: "node", sourceMap: "true" } });` +
              `require(${JSON.stringify(path.join(PROJECT_DIR, "index.ts"))});`;
    const r = await mustRun(process.execPath, ["-e", script], { cwd: PROJECT_DIR, env: { ...process.env, TS_NODE_CACHE: "false" } });
    return r.ms;
}
