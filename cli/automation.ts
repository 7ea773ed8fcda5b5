/**
 * Runs the podlab program through the Pulumi Automation API, as an inline
 * program: the engine, the CLI and the providers are the real ones, and the
 * program runs in this Node process, precompiled, without a language host. (The
 * plain `pulumi` CLI in the project directory runs the same program through the
 * Node.js language host instead; docs/program.md.)
 *
 * Used by cli/stack.ts (the deploy command), the end-to-end suite and the benchmarks.
 */
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { LocalWorkspace, PluginInfo, PulumiCommand, Stack, StackAlreadyExistsError } from "@pulumi/pulumi/automation";
import podlab from "../index";
import { newStackSecretsProvider } from "./pulumiEnv";
import { LockHolder, StackLockedError, describeHolders, holderGone, pidAlive, releasingStaleLock } from "./stackLock";

export { pidAlive };

/** The repository root: the directory holding Pulumi.yaml. */
export const PROJECT_DIR = findProjectDir(__dirname);

/** The Pulumi project's name (Pulumi.yaml). */
export const PROJECT_NAME = "podlab";

/** The config key of the optional postgres password. */
export const PASSWORD_KEY = "podlab:postgresPassword";

/** What a command that opens many stacks knows once for all of them (each saves a CLI run per stack). */
export interface OpenStackOptions {
    /** The CLI, found once (`PulumiCommand.get()` runs `pulumi version`; every workspace runs it again otherwise). */
    pulumiCommand?: PulumiCommand;
    /**
     * Whether the stack exists (from one `stack ls`): then it is selected or
     * created directly; unknown, a new stack first costs a failed `stack select`.
     */
    exists?: boolean;
}

/**
 * Creates or selects a stack of the podlab project in `workDir` (default: the
 * repository, whose Pulumi.<stack>.yaml holds the config).
 */
export async function openStack(stackName: string, workDir: string = PROJECT_DIR, opts: OpenStackOptions = {}): Promise<Stack> {
    const args = { stackName, projectName: PROJECT_NAME, program: inlinePodlab };
    // A new stack keeps its secrets with the provider the user named (else the backend's default).
    const ws = { workDir, pulumiCommand: opts.pulumiCommand, secretsProvider: newStackSecretsProvider() };
    if (opts.exists === undefined) {
        return LocalWorkspace.createOrSelectStack(args, ws);
    }
    if (!opts.exists) {
        try {
            return await LocalWorkspace.createStack(args, ws);
        } catch (e) {
            // Created since it was listed: select it, as createOrSelect would.
            if (!(e instanceof StackAlreadyExistsError)) {
                throw e;
            }
        }
    }
    return LocalWorkspace.selectStack(args, ws);
}

/** Selects an existing stack of the podlab project in `workDir`; undefined when the backend has no such stack. */
export async function openExistingStack(stackName: string, workDir: string, pulumiCommand?: PulumiCommand): Promise<Stack | undefined> {
    const ws = await LocalWorkspace.create({ workDir, program: inlinePodlab, projectSettings: { name: PROJECT_NAME, runtime: "nodejs" }, pulumiCommand });
    const names = (await ws.listStacks()).map((s) => s.name);
    return names.includes(stackName) ? Stack.select(stackName, ws) : undefined;
}

/**
 * The podlab program as an inline program. A config error must be thrown,
 * not logged: only a program that throws makes the engine fail the update
 * before it deletes anything the program did not register.
 */
export async function inlinePodlab(): Promise<Record<string, unknown>> {
    return podlab();
}

/** True when a `random` resource provider is among the installed plugins (`pulumi plugin ls`) or on PATH. */
export function randomProviderIn(plugins: PluginInfo[]): boolean {
    if (plugins.some((p) => p.name === "random" && p.kind === "resource")) {
        return true;
    }
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, "pulumi-resource-random")));
}

/** What a caller may already know, so {@link ensurePassword} need not ask the CLI. */
export interface PasswordFacts {
    /** Whether a random provider is available (from a `plugin ls` run once for many stacks). */
    randomProvider?: boolean;
    /** The stack's config is only ever in its Pulumi.<stack>.yaml (the course writes it), so that file alone says whether the password is set. */
    configOnlyInStackFile?: boolean;
}

/**
 * Without a random provider, PostgresPod's RandomPassword cannot be created,
 * so the stack gets a generated password as a secret config value instead,
 * once: later runs keep it.
 */
export async function ensurePassword(stack: Stack, facts: PasswordFacts = {}): Promise<"configured" | "generated" | "random-provider"> {
    // Once set, the key sits in Pulumi.<stack>.yaml: reading that file spares a
    // `pulumi config --show-secrets` run and its passphrase key derivation (docs/benchmarks.md).
    const settings = await stack.workspace.stackSettings(stack.name).catch(() => undefined);
    if (settings?.config !== undefined && PASSWORD_KEY in settings.config) {
        return "configured";
    }
    if (!facts.configOnlyInStackFile && PASSWORD_KEY in (await stack.getAllConfig())) {
        return "configured";
    }
    if (facts.randomProvider ?? randomProviderIn(await stack.workspace.listPlugins())) {
        return "random-provider";
    }
    await setSecretConfig(stack, PASSWORD_KEY, randomBytes(18).toString("base64url"));
    return "generated";
}

/**
 * `pulumi config set --secret` with the value on the CLI's stdin (which it
 * reads when stdin is not a terminal). The Automation API's setConfig passes
 * the value as an argument, where any process list on the machine shows it.
 */
export async function setSecretConfig(stack: Stack, key: string, value: string): Promise<void> {
    const ws = stack.workspace as LocalWorkspace;
    const env: NodeJS.ProcessEnv = { ...process.env, ...ws.envVars };
    if (ws.pulumiHome !== undefined) {
        env.PULUMI_HOME = ws.pulumiHome;
    }
    const args = ["config", "set", key, "--secret", "--stack", stack.name, "--non-interactive"];
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(ws.pulumiCommand.command, args, { cwd: ws.workDir, env, stdio: ["pipe", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stderr }));
        child.stdin.end(value);
    });
    if (result.code !== 0) {
        throw new Error(`pulumi ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
}

/**
 * What recovery may do to a stack: an Automation API `Stack` has these, and so
 * has a stack driven through the CLI directly (cli/pulumiRun.ts directStack).
 */
export interface RecoverableStack {
    name: string;
    /** `pulumi cancel`: releases the stack's lock. */
    cancel(): Promise<unknown>;
    /** A refresh that clears pending creates. */
    refresh(opts: { clearPendingCreates: true; color: "never" }): Promise<unknown>;
    /** The stack's state (read only for a backend other than a local file). */
    exportStack(): Promise<{ deployment?: { pending_operations?: unknown[] } }>;
}

/**
 * Makes a stack usable again after a CLI run that was killed (SIGKILL, OOM,
 * power loss) on this machine, without a human: a lock whose process is gone is
 * released (`pulumi cancel`), and pending operations are resolved by a refresh
 * that clears pending creates (the next `up` then re-adopts objects it created
 * but never recorded: with server-side apply the Kubernetes provider upserts).
 * A lock held by a live process is left alone and reported. Returns what it did.
 * In a file backend, a stack with nothing to recover costs no CLI run.
 */
export async function recoverStack(stack: RecoverableStack): Promise<string[]> {
    const done: string[] = [];
    const backend = fileBackendDir();
    if (backend !== undefined) {
        // A file backend's locks are read directly; other backends' are met when an operation is refused (stackLock.ts).
        const locks = stackLocks(backend, stack.name);
        const live = locks.filter((l) => !holderGone(l));
        if (live.length > 0) {
            throw new StackLockedError(stack.name, live);
        }
        if (locks.length > 0) {
            await stack.cancel();
            done.push(`released the lock of a killed pulumi (${describeHolders(locks)})`);
        }
    }
    const pending = backend !== undefined ? pendingOperationsInFile(backend, stack.name) : ((await stack.exportStack()).deployment?.pending_operations ?? []).length;
    if (pending > 0) {
        await releasingStaleLock(stack, () => stack.refresh({ clearPendingCreates: true, color: "never" }), done);
        done.push(`resolved ${pending} pending operation(s) of an interrupted run with a refresh`);
    }
    return done;
}

/**
 * A file backend writes a blob's attributes (`<file>.attrs`: content type, an
 * MD5) by truncating the old ones before it renames the new content into place.
 * A CLI killed in between leaves an empty or cut `.attrs` beside the old, intact
 * content, and every later command that reads that blob fails with `error: EOF`
 * (`stack ls` first). Nothing in an attributes file is needed to read the blob:
 * without one, the backend reads it with default attributes. So a broken one is
 * removed. Returns what was removed; nothing for another backend.
 */
export function repairFileBackend(): string[] {
    const backend = fileBackendDir();
    const root = backend === undefined ? undefined : path.join(backend, ".pulumi");
    if (root === undefined || !fs.existsSync(root)) {
        return [];
    }
    const removed: string[] = [];
    for (const rel of fs.readdirSync(root, { recursive: true }).map(String)) {
        if (!rel.endsWith(".attrs")) {
            continue;
        }
        const file = path.join(root, rel);
        try {
            JSON.parse(fs.readFileSync(file, "utf8"));
        } catch {
            fs.rmSync(file, { force: true });
            removed.push(`removed ${rel}, the half-written attributes of a killed pulumi`);
        }
    }
    return removed;
}

/** The directory of a file backend (PULUMI_BACKEND_URL=file://...), or undefined for another backend. */
function fileBackendDir(): string | undefined {
    const url = process.env.PULUMI_BACKEND_URL;
    if (url === undefined || !url.startsWith("file://")) {
        return undefined;
    }
    return url.slice("file://".length).replace(/^~(?=\/|$)/, os.homedir());
}

/** A stack's locks in a file backend, as the CLI writes them. */
function stackLocks(backend: string, stackName: string): LockHolder[] {
    const dir = path.join(backend, ".pulumi", "locks", "organization", PROJECT_NAME, stackName);
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => {
            const content = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { pid: number; hostname: string; username?: string; timestamp?: string };
            return { pid: content.pid, host: content.hostname, user: content.username ?? "?", since: content.timestamp ?? "?" };
        });
}

/** Pending operations recorded in a stack's state file (plain or gzipped), without running the CLI. */
function pendingOperationsInFile(backend: string, stackName: string): number {
    const base = path.join(backend, ".pulumi", "stacks", PROJECT_NAME, `${stackName}.json`);
    for (const [file, read] of [
        [base, (b: Buffer) => b],
        [`${base}.gz`, (b: Buffer) => zlib.gunzipSync(b)],
    ] as const) {
        if (fs.existsSync(file)) {
            const state = JSON.parse(read(fs.readFileSync(file)).toString("utf8")) as { checkpoint?: { latest?: { pending_operations?: unknown[] } } };
            return state.checkpoint?.latest?.pending_operations?.length ?? 0;
        }
    }
    return 0;
}

/**
 * Copies the project files a stack needs into a fresh directory, so a run leaves
 * the repository untouched. `stackConfigFrom` (a Pulumi.<name>.yaml of the
 * repository) becomes the config of stack `stackName` (default: its own name).
 * With `program`, the copy is a whole project for the plain `pulumi` CLI: the
 * program's sources and the policy pack too (see {@link PROGRAM_FILES}).
 */
export function scratchProject(dir: string, stackConfigFrom?: string, stackName?: string, opts: { program?: boolean } = {}): string {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    if (stackConfigFrom !== undefined) {
        const target = stackName === undefined ? path.basename(stackConfigFrom) : `Pulumi.${stackName}.yaml`;
        fs.copyFileSync(path.join(PROJECT_DIR, stackConfigFrom), path.join(dir, target));
    }
    if (opts.program) {
        copyProgram(dir);
    }
    return dir;
}

/** What `pulumi up` and `pulumi preview --policy-pack policy` read in the project directory, besides Pulumi.yaml. */
export const PROGRAM_FILES = ["package.json", "package-lock.json", "tsconfig.json", "index.ts", "components", "policy"];

/**
 * The program and the policy pack, without build output. Their node_modules are
 * links to the repository's: `npm ci` from the same lock files installs the same trees.
 */
function copyProgram(dir: string): void {
    const skip = new Set(["node_modules", "bin"]);
    for (const f of PROGRAM_FILES) {
        fs.cpSync(path.join(PROJECT_DIR, f), path.join(dir, f), { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
    }
    for (const modules of ["node_modules", path.join("policy", "node_modules")]) {
        fs.symlinkSync(path.join(PROJECT_DIR, modules), path.join(dir, modules));
    }
}

function findProjectDir(start: string): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no Pulumi.yaml above ${start}`);
        }
    }
}
