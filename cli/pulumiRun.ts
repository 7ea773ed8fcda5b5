/**
 * Drives the Pulumi CLI directly for the operations podlab repeats for every
 * stack (a course's learners, the deploy command): one CLI process per
 * operation, nothing before or after it.
 *
 * The Automation API's `stack.up()` starts three more CLI processes after the
 * update (`stack output`, `stack output --show-secrets`, `stack history`), and
 * opening a stack costs a `stack select`. Here the CLI runs the same way the
 * Automation API runs it (`--non-interactive`, the inline program served to the
 * engine by the Automation API's own language server over `--client`), and what
 * the caller needs afterwards (the stack's outputs, the change summary) is read
 * from the engine's event log of that same run. The engine, the providers and
 * the backend are the real ones.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, OutputMap } from "@pulumi/pulumi/automation";
import { inlineProgramServer } from "./inlineProgram";

/** Where and how to run the CLI for one stack. */
export interface PulumiCli {
    /** The `pulumi` executable: a name looked up on PATH, or a path. */
    command: string;
    /** The stack's project directory (Pulumi.yaml and Pulumi.<stack>.yaml); one per stack, never shared. */
    workDir: string;
    /** The stack's name. */
    stack: string;
    /** Environment for the CLI on top of this process's own. */
    env?: Record<string, string>;
}

/** What a CLI run printed. */
export interface PulumiOutput {
    stdout: string;
    stderr: string;
}

/** At most this much of a run's stdout is kept (the tail), so a hundred runs at once hold little memory. */
const KEEP_STDOUT = 64 * 1024;

/** A CLI run that exited non-zero: its arguments (never a secret: those go on stdin), exit status and output. */
export class PulumiRunError extends Error {
    constructor(
        readonly args: string[],
        readonly code: number | null,
        readonly output: PulumiOutput,
    ) {
        super(`pulumi ${args.join(" ")} failed (exit ${code}):\n${output.stderr.trim() || output.stdout.trim().split("\n").slice(-20).join("\n")}`);
        this.name = "PulumiRunError";
    }

    /** The stack does not exist in the backend. */
    get stackNotFound(): boolean {
        return /no stack named .* found/.test(this.output.stderr);
    }

    /** `stack init` of a stack that exists already. */
    get stackExists(): boolean {
        return /stack .* already exists/.test(this.output.stderr);
    }

    /** Another CLI run holds the stack's lock (or one that was killed left it). */
    get locked(): boolean {
        return /the stack is currently locked/.test(this.output.stderr);
    }
}

/**
 * Runs `pulumi ARGS --stack STACK --non-interactive` in the stack's directory
 * (without `--stack` when `stackFlag` is false: `stack init` names its stack
 * as an argument and refuses both). `input` goes to the CLI's stdin (how a
 * secret reaches `config set` without appearing in any process list). Throws
 * {@link PulumiRunError} on a non-zero exit.
 */
export function runPulumi(cli: PulumiCli, args: string[], opts: { input?: string; onStdout?: (text: string) => void; stackFlag?: boolean } = {}): Promise<PulumiOutput> {
    const full = [...args, ...(opts.stackFlag === false ? [] : ["--stack", cli.stack]), "--non-interactive"];
    // As the Automation API runs it: PULUMI_DEBUG_COMMANDS unhides --event-log.
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_AUTOMATION_API: "true", PULUMI_DEBUG_COMMANDS: "true", ...cli.env };
    if (path.isAbsolute(cli.command)) {
        // As the Automation API does: plugins bundled beside the CLI come first.
        env.PATH = `${path.dirname(cli.command)}${path.delimiter}${env.PATH ?? ""}`;
    }
    return new Promise((resolve, reject) => {
        const child = spawn(cli.command, full, { cwd: cli.workDir, env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
            const text = chunk.toString();
            opts.onStdout?.(text);
            stdout = (stdout + text).slice(-KEEP_STDOUT);
        });
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", (e) => reject(new Error(`cannot run ${cli.command}: ${e.message}`)));
        child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new PulumiRunError(full, code, { stdout, stderr }))));
        child.stdin.on("error", () => undefined); // a CLI that exits before reading its stdin
        child.stdin.end(opts.input ?? "");
    });
}

/**
 * Creates the stack (`pulumi stack init`), without selecting it: the
 * workspace's "current stack" file is never written. A stack that exists
 * already is not an error: `exists` tells the caller which it was. A stack
 * config file already in place keeps its config and its secrets salt.
 */
export async function initStack(cli: PulumiCli): Promise<{ created: boolean }> {
    try {
        await runPulumi(cli, ["stack", "init", cli.stack, "--no-select"], { stackFlag: false });
        return { created: true };
    } catch (e) {
        if (e instanceof PulumiRunError && e.stackExists) {
            return { created: false };
        }
        throw e;
    }
}

/** Options of {@link upInline}. */
export interface UpOptions {
    /** The program, run in this Node process (the Automation API's inline program). */
    program: () => Promise<Record<string, unknown> | void>;
    /**
     * Refresh every resource in the same run (`--refresh --run-program`): the
     * program runs once and each resource is read from the cluster as it is
     * registered, so whatever changed or was deleted behind the stack's back is
     * put back by this update.
     */
    refresh?: boolean;
    policyPacks?: string[];
    policyPackConfigs?: string[];
    parallel?: number;
    /** Each engine event as it arrives. */
    onEvent?: (e: EngineEvent) => void;
    /** The CLI's progress output as it is printed. */
    onOutput?: (text: string) => void;
}

/** What an operation returns, read from its own engine events. */
export interface OperationResult extends PulumiOutput {
    /** The stack's outputs after the update (secret ones, which the event log masks, marked secret with no value). */
    outputs: OutputMap;
    /** Resource operations by kind ("create", "same", ...), from the engine's summary. */
    changes: Record<string, number>;
}

/**
 * `pulumi up` of the inline program, as one CLI process: `--yes
 * --skip-preview`, the program served over `--client`, the event log read for
 * the outputs and the summary.
 */
export async function upInline(cli: PulumiCli, opts: UpOptions): Promise<OperationResult> {
    const server = await inlineProgramServer(opts.program);
    const args = ["up", "--yes", "--skip-preview", "--color", "never", `--client=${server.address}`, "--exec-kind", "auto.inline"];
    if (opts.refresh) {
        args.push("--refresh", "--run-program=true");
    }
    for (const p of opts.policyPacks ?? []) {
        args.push("--policy-pack", p);
    }
    for (const c of opts.policyPackConfigs ?? []) {
        args.push("--policy-pack-config", c);
    }
    if (opts.parallel !== undefined) {
        args.push("--parallel", String(opts.parallel));
    }
    let failed = true;
    try {
        const result = await withEventLog(cli, args, opts);
        failed = false;
        return result;
    } finally {
        server.close(failed);
    }
}

/**
 * `pulumi destroy` as one CLI process (the program does not run: the state
 * says what to delete). With `remove`, the stack and its config file go too
 * (`--remove`), in the same process.
 */
export function destroyStack(cli: PulumiCli, opts: { remove?: boolean; onEvent?: (e: EngineEvent) => void; onOutput?: (text: string) => void } = {}): Promise<OperationResult> {
    return withEventLog(cli, ["destroy", "--yes", "--skip-preview", "--color", "never", ...(opts.remove ? ["--remove"] : [])], opts);
}

/**
 * Runs an engine operation with `--event-log` in a private temporary
 * directory, hands each event to `onEvent` while it runs (the file is read as
 * it grows), and returns the outputs and summary the events report.
 */
async function withEventLog(cli: PulumiCli, args: string[], opts: { onEvent?: (e: EngineEvent) => void; onOutput?: (text: string) => void }): Promise<OperationResult> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-events-"));
    const file = path.join(dir, "events.jsonl");
    const reader = new EventLogReader(file, opts.onEvent);
    try {
        const out = await runPulumi(cli, [...args, "--event-log", file], { onStdout: opts.onOutput }).finally(() => reader.stop());
        return { ...out, ...reader.result() };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Reads an engine event log (one JSON event per line) while the CLI writes it,
 * keeping only what the result needs: the root stack's outputs and the summary.
 */
export class EventLogReader {
    private offset = 0;
    private partial = "";
    private timer?: NodeJS.Timeout;
    private outputs: OutputMap = {};
    private changes: Record<string, number> = {};

    constructor(
        private readonly file: string,
        private readonly onEvent?: (e: EngineEvent) => void,
        intervalMs = 200,
    ) {
        this.timer = setInterval(() => this.poll(), intervalMs);
    }

    /** Reads the rest of the file and stops polling. */
    stop(): void {
        clearInterval(this.timer);
        this.poll();
    }

    result(): { outputs: OutputMap; changes: Record<string, number> } {
        return { outputs: this.outputs, changes: this.changes };
    }

    private poll(): void {
        let fd: number;
        try {
            fd = fs.openSync(this.file, "r");
        } catch {
            return; // not created yet, or the CLI failed before its first event
        }
        try {
            const chunk = Buffer.alloc(1 << 16);
            for (;;) {
                const n = fs.readSync(fd, chunk, 0, chunk.length, this.offset);
                if (n === 0) {
                    break;
                }
                this.offset += n;
                this.feed(chunk.subarray(0, n).toString("utf8"));
            }
        } finally {
            fs.closeSync(fd);
        }
    }

    private feed(text: string): void {
        const lines = (this.partial + text).split("\n");
        this.partial = lines.pop() ?? "";
        for (const line of lines) {
            if (line.trim() === "") {
                continue;
            }
            const event = JSON.parse(line) as EngineEvent;
            this.take(event);
            this.onEvent?.(event);
        }
    }

    private take(e: EngineEvent): void {
        const done = e.resOutputsEvent;
        if (done && !done.planning && done.metadata.type === "pulumi:pulumi:Stack") {
            const outputs = (done.metadata.new?.outputs ?? {}) as Record<string, unknown>;
            // The event log never carries a secret's value: it prints "[secret]" in its place.
            this.outputs = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v === "[secret]" ? { value: undefined, secret: true } : { value: v, secret: false }]));
        }
        if (e.summaryEvent) {
            this.changes = Object.fromEntries(Object.entries(e.summaryEvent.resourceChanges ?? {}).map(([k, v]) => [k, Number(v)]));
        }
    }
}
