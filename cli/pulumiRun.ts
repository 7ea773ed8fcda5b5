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
import { newStackSecretsProvider } from "./pulumiEnv";

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
 * {@link PulumiRunError} on a non-zero exit; a run that lost the race to
 * create a new PostgreSQL backend's table is run again
 * ({@link runAgainAfterBackendRace}). `wholeStdout`: keep all of stdout (a
 * document to parse, such as `stack export`), not only its last
 * {@link KEEP_STDOUT} characters.
 */
export async function runPulumi(cli: PulumiCli, args: string[], opts: RunOptions = {}): Promise<PulumiOutput> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await runPulumiOnce(cli, args, opts);
        } catch (e) {
            if (!(e instanceof PulumiRunError && (await runAgainAfterBackendRace(e.output.stderr, attempt)))) {
                throw e;
            }
        }
    }
}

type RunOptions = { input?: string; onStdout?: (text: string) => void; stackFlag?: boolean; wholeStdout?: boolean };

/**
 * Pulumi's PostgreSQL backend creates its table when a CLI first opens a new
 * database, and PostgreSQL's CREATE TABLE IF NOT EXISTS is not atomic: of two
 * CLIs opening it at once, one can fail ("type \"pulumi_state\" already
 * exists", or a duplicate key in pg_type) before it has done anything. Such a
 * run is started again (at most {@link BACKEND_OPEN_ATTEMPTS} runs in all):
 * by then the table is there. Resolves whether to run again, after a pause.
 */
export async function runAgainAfterBackendRace(stderr: string, attempt: number): Promise<boolean> {
    if (attempt >= BACKEND_OPEN_ATTEMPTS || !/failed to create table \S+: pq: .*(already exists|duplicate key value violates unique constraint)/.test(stderr)) {
        return false;
    }
    await new Promise((r) => setTimeout(r, BACKEND_OPEN_RETRY_MS));
    return true;
}
export const BACKEND_OPEN_ATTEMPTS = 3;
const BACKEND_OPEN_RETRY_MS = 300;

function runPulumiOnce(cli: PulumiCli, args: string[], opts: RunOptions): Promise<PulumiOutput> {
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
            stdout = opts.wholeStdout ? stdout + text : (stdout + text).slice(-KEEP_STDOUT);
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
        // A new stack keeps its secrets with the provider the user named (else the backend's default), as cli/automation.ts openStack.
        const provider = newStackSecretsProvider();
        await runPulumi(cli, ["stack", "init", cli.stack, "--no-select", ...(provider !== undefined ? ["--secrets-provider", provider] : [])], { stackFlag: false });
        return { created: true };
    } catch (e) {
        if (e instanceof PulumiRunError && e.stackExists) {
            return { created: false };
        }
        throw e;
    }
}

/**
 * `pulumi config refresh --force`: the stack's config file becomes the config
 * and secrets settings of its last deployment. False when it has none yet (a
 * stack created but never deployed: nothing to restore).
 */
export async function refreshConfig(cli: PulumiCli): Promise<boolean> {
    try {
        await runPulumi(cli, ["config", "refresh", "--force"]);
        return true;
    } catch (e) {
        if (e instanceof PulumiRunError && /no previous deployment/i.test(e.output.stderr)) {
            return false;
        }
        throw e;
    }
}

/**
 * The stack as recovery and lock release act on it (cli/automation.ts
 * recoverStack, cli/stackLock.ts), each operation one CLI run: `cancel`,
 * `refresh --clear-pending-creates`, `stack export`.
 */
export function directStack(cli: PulumiCli): { name: string; cancel(): Promise<unknown>; refresh(opts: { clearPendingCreates: true }): Promise<unknown>; exportStack(): Promise<{ deployment?: { pending_operations?: unknown[] } }> } {
    return {
        name: cli.stack,
        cancel: () => runPulumi(cli, ["cancel", "--yes"]),
        refresh: () => withEvents(cli, ["refresh", "--yes", "--skip-preview", "--color", "never", "--clear-pending-creates"], {}),
        exportStack: async () => JSON.parse((await runPulumi(cli, ["stack", "export"], { wholeStdout: true })).stdout) as { deployment?: { pending_operations?: unknown[] } },
    };
}

/** How an engine operation reports its events (and so its outputs and summary) back. */
export interface EventOptions {
    /**
     * "json" (default): `--json`, every engine event a JSON line on stdout
     * instead of the progress display (nothing for a person to read, and the
     * least work for the engine); "text": the CLI's usual display on stdout
     * (`onOutput`) and the events through `--event-log` in a private temporary file.
     */
    display?: "json" | "text";
    /** Each engine event as it arrives. */
    onEvent?: (e: EngineEvent) => void;
    /** The CLI's display as it is printed (display "text"). */
    onOutput?: (text: string) => void;
}

/** Options of {@link upInline}. */
export interface UpOptions extends EventOptions {
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
}

/** What an operation returns, read from its own engine events. */
export interface OperationResult extends PulumiOutput {
    /** The stack's outputs after the update (secret ones, which events mask, marked secret with no value). */
    outputs: OutputMap;
    /** Resource operations by kind ("create", "same", ...), from the engine's summary. */
    changes: Record<string, number>;
}

/**
 * `pulumi up` of the inline program, as one CLI process: `--yes
 * --skip-preview`, the program served over `--client`, the outputs and the
 * summary read from the run's own events.
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
        const result = await withEvents(cli, args, opts);
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
export function destroyStack(cli: PulumiCli, opts: EventOptions & { remove?: boolean } = {}): Promise<OperationResult> {
    return withEvents(cli, ["destroy", "--yes", "--skip-preview", "--color", "never", ...(opts.remove ? ["--remove"] : [])], opts);
}

/**
 * Runs an engine operation, hands each event to `onEvent` while it runs, and
 * returns the outputs and summary the events report. A failed run's error
 * carries the error diagnostics its events reported (with `--json` they are
 * not on stderr).
 */
async function withEvents(cli: PulumiCli, args: string[], opts: EventOptions): Promise<OperationResult> {
    const events = new EventCollector(opts.onEvent);
    const failed = (e: unknown) => {
        if (e instanceof PulumiRunError) {
            throw new PulumiRunError(e.args, e.code, { stdout: e.output.stdout, stderr: [...events.errors.map((m) => `error: ${m}`), e.output.stderr].join("\n") });
        }
        throw e;
    };
    if ((opts.display ?? "json") === "json") {
        const lines = new LineSplitter((line) => events.line(line));
        const out = await runPulumi(cli, [...args, "--json"], { onStdout: (t) => lines.feed(t) }).catch(failed);
        lines.end();
        return { ...out, ...events.result() };
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-events-"));
    const file = path.join(dir, "events.jsonl");
    const tail = new FileTail(file, (line) => events.line(line));
    try {
        const out = await runPulumi(cli, [...args, "--event-log", file], { onStdout: opts.onOutput })
            .finally(() => tail.stop())
            .catch(failed);
        return { ...out, ...events.result() };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Splits text that arrives in chunks into whole lines. */
class LineSplitter {
    private partial = "";

    constructor(private readonly onLine: (line: string) => void) {}

    feed(text: string): void {
        const lines = (this.partial + text).split("\n");
        this.partial = lines.pop() ?? "";
        for (const line of lines) {
            this.onLine(line);
        }
    }

    end(): void {
        if (this.partial !== "") {
            this.onLine(this.partial);
            this.partial = "";
        }
    }
}

/** Reads a file's lines while another process writes it (the engine's `--event-log`). */
class FileTail {
    private offset = 0;
    private readonly timer: NodeJS.Timeout;
    private readonly lines: LineSplitter;

    constructor(
        private readonly file: string,
        onLine: (line: string) => void,
        intervalMs = 200,
    ) {
        this.lines = new LineSplitter(onLine);
        this.timer = setInterval(() => this.poll(), intervalMs);
    }

    /** Reads the rest of the file and stops polling. */
    stop(): void {
        clearInterval(this.timer);
        this.poll();
        this.lines.end();
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
                this.lines.feed(chunk.subarray(0, n).toString("utf8"));
            }
        } finally {
            fs.closeSync(fd);
        }
    }
}

/**
 * Engine events, one JSON object a line, keeping only what the result needs:
 * the root stack's outputs, the summary and the error diagnostics.
 */
export class EventCollector {
    private outputs: OutputMap = {};
    private changes: Record<string, number> = {};
    /** Error diagnostics, in order. */
    readonly errors: string[] = [];

    constructor(private readonly onEvent?: (e: EngineEvent) => void) {}

    line(text: string): void {
        if (text.trim() === "") {
            return;
        }
        let event: EngineEvent;
        try {
            event = JSON.parse(text) as EngineEvent;
        } catch {
            return; // not an event: a warning the CLI printed on stdout
        }
        this.take(event);
        this.onEvent?.(event);
    }

    result(): { outputs: OutputMap; changes: Record<string, number> } {
        return { outputs: this.outputs, changes: this.changes };
    }

    private take(e: EngineEvent): void {
        const done = e.resOutputsEvent;
        if (done && !done.planning && done.metadata.type === "pulumi:pulumi:Stack") {
            const outputs = (done.metadata.new?.outputs ?? {}) as Record<string, unknown>;
            // Events never carry a secret's value: "[secret]" stands in its place.
            this.outputs = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v === "[secret]" ? { value: undefined, secret: true } : { value: v, secret: false }]));
        }
        if (e.summaryEvent) {
            this.changes = Object.fromEntries(Object.entries(e.summaryEvent.resourceChanges ?? {}).map(([k, v]) => [k, Number(v)]));
        }
        if (e.diagnosticEvent?.severity === "error") {
            this.errors.push(e.diagnosticEvent.message.trim());
        }
    }
}
