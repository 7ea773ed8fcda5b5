/**
 * Process helpers for the benchmark: run a command and time it, sample CPU
 * time per process from /proc, read the load average. Linux only, like the lab.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    /** Wall time from spawn to exit, in milliseconds. */
    ms: number;
}

export interface CommandOptions {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    input?: string;
    /** Called once the process is spawned, with its pid (to sample its process tree). */
    onSpawn?: (pid: number) => void;
    /** Called with each chunk of stderr as it arrives (to timestamp progress lines). */
    onStderr?: (text: string) => void;
}

/** Runs a command to completion without blocking the event loop (the CPU sampler keeps ticking). */
export function runCommand(command: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
        if (child.pid !== undefined) {
            opts.onSpawn?.(child.pid);
        }
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => {
            stderr += d.toString();
            opts.onStderr?.(d.toString());
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
        child.stdin.end(opts.input ?? "");
    });
}

/** Like {@link runCommand}, but a non-zero exit is an error carrying the command's stderr. */
export async function mustRun(command: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
    const r = await runCommand(command, args, opts);
    if (r.code !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return r;
}

/** The 1-, 5- and 15-minute load averages, rounded to two decimals. */
export function loadAverage(): [number, number, number] {
    const [a, b, c] = os.loadavg().map((x) => Math.round(x * 100) / 100);
    return [a, b, c];
}

const CLOCK_TICKS_PER_SECOND = 100;

interface ProcStat {
    pid: number;
    comm: string;
    ppid: number;
    /** utime + stime, in clock ticks. */
    ticks: number;
    /** cutime + cstime: CPU of children this process has waited for, in clock ticks. */
    childTicks: number;
}

function readStat(pid: number | "self"): ProcStat | undefined {
    let text: string;
    try {
        text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return undefined;
    }
    // comm is in parentheses and may itself hold spaces or parentheses.
    const open = text.indexOf("(");
    const close = text.lastIndexOf(")");
    const fields = text.slice(close + 2).split(" ");
    // fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
    return {
        pid: Number(text.slice(0, open).trim()),
        comm: text.slice(open + 1, close),
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        childTicks: Number(fields[13]) + Number(fields[14]),
    };
}

/** Child pids of a process: the union of its threads' `children` lists (any thread may fork). */
export function childPids(pid: number): number[] {
    const out: number[] = [];
    let tasks: string[];
    try {
        tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
        return out;
    }
    for (const tid of tasks) {
        try {
            const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
            if (text !== "") {
                out.push(...text.split(" ").map(Number));
            }
        } catch {
            // the thread exited
        }
    }
    return out;
}

/** Kills a process and all its descendants (SIGKILL), children first found, so none is left orphaned and running. */
export function killTree(pid: number): void {
    const all: number[] = [];
    const queue = [pid];
    while (queue.length > 0) {
        const p = queue.pop()!;
        all.push(p);
        queue.push(...childPids(p));
    }
    for (const p of all) {
        try {
            process.kill(p, "SIGKILL");
        } catch {
            // already gone
        }
    }
}

/** Long-lived processes to account for by name, e.g. the lab's control plane from its pid files. */
export function labProcesses(): Record<string, number> {
    const dir = path.join(process.env.PODLAB_STATE ?? path.join(os.homedir(), ".local", "state", "podlab"), "lab", "pids");
    const out: Record<string, number> = {};
    if (!fs.existsSync(dir)) {
        return out;
    }
    for (const f of fs.readdirSync(dir)) {
        if (f.endsWith(".pid")) {
            const pid = Number(fs.readFileSync(path.join(dir, f), "utf8").trim());
            if (Number.isInteger(pid) && readStat(pid)) {
                out[f.slice(0, -4)] = pid;
            }
        }
    }
    return out;
}

/** CPU seconds per process group over a timed region. */
export type CpuBreakdown = Record<string, number>;

/**
 * Samples CPU time while a region runs:
 * - this Node process (the inline program, the Pulumi SDK, the Automation API);
 * - its short-lived descendants, by command name (the `pulumi` CLI, the
 *   Kubernetes provider `pulumi-resource-kubernetes`, `kubectl`), polled every
 *   `intervalMs` (250) since they exit before the region ends; the total of all of
 *   them is exact (this process's cutime/cstime), so whatever the polls missed
 *   is attributed to "other children";
 * - long-lived processes given by pid (the lab's API server, etcd, ...), read at start and end.
 */
export class CpuSampler {
    private readonly seen = new Map<number, { comm: string; start: number; last: number }>();
    private timer?: NodeJS.Timeout;
    private selfStart?: ProcStat;
    private fixedStart: Record<string, number> = {};

    constructor(
        private readonly fixed: Record<string, number> = labProcesses(),
        private readonly intervalMs = 250,
    ) {}

    start(): void {
        this.selfStart = readStat("self");
        for (const [name, pid] of Object.entries(this.fixed)) {
            this.fixedStart[name] = readStat(pid)?.ticks ?? 0;
        }
        this.poll();
        // Children alive already (none, normally) count from now on.
        for (const e of this.seen.values()) {
            e.start = e.last;
        }
        this.timer = setInterval(() => this.poll(), this.intervalMs);
    }

    private poll(): void {
        // Walk down from this process only: far cheaper than reading every /proc/<pid>/stat.
        const queue = childPids(process.pid);
        while (queue.length > 0) {
            const pid = queue.pop()!;
            const s = readStat(pid);
            if (!s) {
                continue;
            }
            const entry = this.seen.get(pid);
            if (entry) {
                entry.last = s.ticks;
                // A child first seen between fork and exec still had its parent's name.
                entry.comm = s.comm;
            } else {
                // A process first seen mid-run started after the previous poll: count all its time.
                this.seen.set(pid, { comm: s.comm, start: 0, last: s.ticks });
            }
            queue.push(...childPids(pid));
        }
    }

    /** Stops sampling and returns CPU seconds by process name. */
    stop(): CpuBreakdown {
        if (this.timer) {
            clearInterval(this.timer);
        }
        const self = readStat("self")!;
        const out: CpuBreakdown = {};
        const add = (k: string, ticks: number) => (out[k] = (out[k] ?? 0) + ticks / CLOCK_TICKS_PER_SECOND);
        add("node (program, SDK, Automation API)", self.ticks - this.selfStart!.ticks);
        const childTotal = self.childTicks - this.selfStart!.childTicks;
        let attributed = 0;
        for (const e of this.seen.values()) {
            const ticks = e.last - e.start;
            attributed += ticks;
            add(childName(e.comm), ticks);
        }
        if (childTotal - attributed > 0) {
            add("other children (exited between polls)", childTotal - attributed);
        }
        for (const [name, pid] of Object.entries(this.fixed)) {
            add(name, (readStat(pid)?.ticks ?? 0) - this.fixedStart[name]);
        }
        for (const k of Object.keys(out)) {
            out[k] = Math.round(out[k] * 100) / 100;
        }
        return out;
    }
}

function childName(comm: string): string {
    // Node 24 names its main thread, and so the process's comm, "MainThread".
    if (comm === "MainThread" || comm === "node") {
        return "node (a podlab command)";
    }
    if (comm === "pulumi") {
        return "pulumi CLI (engine)";
    }
    if (comm.startsWith("pulumi-resource")) {
        return "kubernetes provider";
    }
    return comm;
}

/** Milliseconds since `t0` (a performance.now() value), rounded. */
export function since(t0: number): number {
    return Math.round(performance.now() - t0);
}

/** How many file descriptors a process has open (0 once it is gone). */
function openFds(pid: number): number {
    try {
        return fs.readdirSync(`/proc/${pid}/fd`).length;
    } catch {
        return 0;
    }
}

/** Resident and proportional set size of a process, in bytes (PSS splits shared pages among their users). */
function memoryOf(pid: number): { rss: number; pss: number } | undefined {
    try {
        const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
        const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) * 1024;
        return { rss: kb("Rss"), pss: kb("Pss") };
    } catch {
        return undefined;
    }
}

/**
 * What a process in the tree is, for the census: the `pulumi` CLI by its
 * subcommand (`pulumi stack output --show-secrets`), kubectl by its verb and
 * resource, the Kubernetes provider, anything else by command name.
 */
export function commandLabel(comm: string, argv: string[]): string {
    const words = (n: number) => argv.slice(1).filter((a) => !a.startsWith("-")).slice(0, n);
    if (comm === "pulumi") {
        const firstFlag = argv.findIndex((a, i) => i > 0 && a.startsWith("-"));
        const sub = argv.slice(1, firstFlag < 0 ? argv.length : firstFlag).slice(0, 2);
        return ["pulumi", ...sub, ...(argv.includes("--show-secrets") ? ["--show-secrets"] : [])].join(" ");
    }
    if (comm === "kubectl") {
        return ["kubectl", ...words(2)].join(" ");
    }
    return childName(comm);
}

/** Peak memory of a process tree and the processes that ran in it. */
export interface TreeSample {
    /** Highest sum over the tree at one poll, in bytes. */
    peakRssBytes: number;
    peakPssBytes: number;
    /** At the poll with the highest RSS: processes and RSS bytes by kind. */
    atPeak: Record<string, { processes: number; rssBytes: number }>;
    /** Most processes of each kind alive at one poll. */
    mostAtOnce: Record<string, number>;
    /** Most processes in the tree at one poll, and most open file descriptors summed over the tree (/proc/PID/fd). */
    peakProcesses: number;
    peakFds: number;
    /** The command's own process: most open file descriptors (sockets, pipes to its children, files). */
    peakRootFds: number;
    /**
     * Every process seen, by {@link commandLabel}: how many, and the CPU seconds
     * each had used when last seen (a lower bound: a run shorter than a poll may be missed).
     */
    census: Record<string, { runs: number; cpuSeconds: number }>;
    polls: number;
}

/** Resident set size of a process from /proc/PID/statm, in bytes: cheap enough to read on every poll. */
function rssOf(pid: number): number | undefined {
    try {
        return Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE_BYTES;
    } catch {
        return undefined;
    }
}

const PAGE_BYTES = 4096;
/** PSS (smaps_rollup walks every mapping) and open fds are read on every this-many-th poll only: the sampler's own CPU is part of what the bench measures. */
const DEEP_POLL_EVERY = 5;

/**
 * Samples a process tree (a command the benchmark started, and everything it
 * starts) every `intervalMs`: RSS summed over the tree, and a census of the
 * processes by what they run; every {@link DEEP_POLL_EVERY}th poll also PSS
 * (smaps_rollup) and open file descriptors.
 */
export class ProcessTreeSampler {
    private readonly seen = new Map<number, { label: string; comm: string; ticks: number }>();
    private timer?: NodeJS.Timeout;
    private readonly result: TreeSample = { peakRssBytes: 0, peakPssBytes: 0, atPeak: {}, mostAtOnce: {}, peakProcesses: 0, peakFds: 0, peakRootFds: 0, census: {}, polls: 0 };

    constructor(
        private readonly rootPid: number,
        private readonly intervalMs = 200,
    ) {
        this.poll();
        this.timer = setInterval(() => this.poll(), this.intervalMs);
    }

    private poll(): void {
        const byKind: Record<string, { processes: number; rssBytes: number }> = {};
        const deep = this.result.polls % DEEP_POLL_EVERY === 0;
        let rss = 0;
        let pss = 0;
        let processes = 0;
        let fds = 0;
        const queue = [this.rootPid];
        while (queue.length > 0) {
            const pid = queue.pop()!;
            const stat = readStat(pid);
            const mem = deep ? memoryOf(pid) : { rss: rssOf(pid), pss: 0 };
            if (!stat || mem?.rss === undefined) {
                continue;
            }
            let entry = this.seen.get(pid);
            // A child first seen between fork and exec had its parent's name and command line: label it again once it changed.
            if (!entry || entry.comm !== stat.comm) {
                let argv: string[] = [];
                try {
                    argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
                } catch {
                    // it exited
                }
                entry = { label: pid === this.rootPid ? `${stat.comm} (the command)` : commandLabel(stat.comm, argv), comm: stat.comm, ticks: 0 };
                this.seen.set(pid, entry);
            }
            entry.ticks = stat.ticks;
            const kind = pid === this.rootPid ? entry.label : childName(stat.comm);
            byKind[kind] = { processes: (byKind[kind]?.processes ?? 0) + 1, rssBytes: (byKind[kind]?.rssBytes ?? 0) + mem.rss };
            rss += mem.rss;
            pss += mem.pss;
            processes++;
            if (deep) {
                const open = openFds(pid);
                fds += open;
                if (pid === this.rootPid) {
                    this.result.peakRootFds = Math.max(this.result.peakRootFds, open);
                }
            }
            queue.push(...childPids(pid));
        }
        this.result.polls++;
        this.result.peakProcesses = Math.max(this.result.peakProcesses, processes);
        this.result.peakFds = Math.max(this.result.peakFds, fds);
        for (const [k, v] of Object.entries(byKind)) {
            this.result.mostAtOnce[k] = Math.max(this.result.mostAtOnce[k] ?? 0, v.processes);
        }
        if (rss > this.result.peakRssBytes) {
            this.result.peakRssBytes = rss;
            this.result.atPeak = byKind;
        }
        this.result.peakPssBytes = Math.max(this.result.peakPssBytes, pss);
    }

    /** Stops sampling (call once the command has exited). */
    stop(): TreeSample {
        clearInterval(this.timer);
        for (const { label, ticks } of this.seen.values()) {
            const c = (this.result.census[label] ??= { runs: 0, cpuSeconds: 0 });
            c.runs++;
            c.cpuSeconds = Math.round((c.cpuSeconds + ticks / CLOCK_TICKS_PER_SECOND) * 100) / 100;
        }
        return this.result;
    }
}
