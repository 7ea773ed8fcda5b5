/**
 * A stack's workspace outside the repository: Pulumi.yaml and
 * Pulumi.<stack>.yaml. Its config is what podlab gives the stack (a tracked
 * config file, a roster's learner) plus what Pulumi keeps there itself: the
 * secrets provider's settings (encryptionsalt, secretsprovider, encryptedkey)
 * and a generated password, which a rewrite must never lose (a new password
 * would no longer match the database). The backend is the truth: a workspace
 * that lacks a stack's config (another machine's stack, a lost directory) is
 * restored from the stack's last deployment (`pulumi config refresh`).
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PASSWORD_KEY, PROJECT_DIR, PROJECT_NAME, openStack } from "./automation";
import { stateDir } from "./files";
import { runAgainAfterBackendRace } from "./pulumiRun";

/** The settings of a stack's config file that the secrets provider writes. */
export const SECRETS_SETTINGS = ["encryptionsalt", "secretsprovider", "encryptedkey"] as const;

/** The keys Pulumi keeps in a stack's config file (Pulumi.<stack>.yaml) that podlab reads. */
export interface StackFile {
    encryptionsalt?: string;
    secretsprovider?: string;
    encryptedkey?: string;
    environment?: unknown;
    config?: Record<string, unknown>;
}

/** A stack's config file, parsed; undefined when there is none. */
export function readStackFile(file: string): StackFile | undefined {
    return fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as StackFile) : undefined;
}

/**
 * Writes a stack's config file: `config` (keys with their namespace,
 * "podlab:namespace") plus what Pulumi keeps there, taken from the file as it
 * is, else from `keptFrom` (a tracked file that already holds them).
 */
export function writeStackConfig(file: string, config: Record<string, unknown>, header: string, keptFrom?: string): void {
    const old = readStackFile(file) ?? (keptFrom === undefined ? undefined : readStackFile(keptFrom)) ?? {};
    const settings = Object.fromEntries(SECRETS_SETTINGS.filter((k) => old[k] !== undefined).map((k) => [k, old[k]]));
    const kept = Object.fromEntries(Object.entries(old.config ?? {}).filter(([k]) => k === PASSWORD_KEY));
    const doc = { ...settings, config: { ...config, ...kept } };
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `# ${header}\n${yaml.dump(doc)}`, { mode: 0o600 });
    fs.renameSync(tmp, file);
}

/** Where the stack command keeps a stack's workspace: on the lab beside its backend (lab/env), else under the state directory, per backend. */
export function defaultStackWorkspace(stack: string, env: NodeJS.ProcessEnv = process.env): string {
    if (env.PODLAB_STACK_WORKSPACES) {
        return path.join(env.PODLAB_STACK_WORKSPACES, stack);
    }
    const backend = createHash("sha256").update(env.PULUMI_BACKEND_URL ?? "").digest("hex").slice(0, 12);
    return path.join(stateDir(env), "workspaces", backend, stack);
}

export interface WorkspaceStackOptions {
    /** The first line of the config file, saying who writes it. */
    header: string;
    pulumiCommand?: PulumiCommand;
    /** Whether the backend has the stack (unknown: asked with one `stack ls` when the workspace is new). */
    exists?: boolean;
    /** Restore the config from the backend first (default: when the workspace has no config file for the stack yet). */
    restore?: boolean;
    /** A tracked config file whose secrets settings and password a new workspace starts from. */
    keptFrom?: string;
}

/**
 * Writes the workspace of a stack in `dir` and opens the stack; an existing
 * stack the workspace does not know yet gets its secrets settings and
 * password from its last deployment first. Returns the stack and whether that happened.
 */
export async function openWorkspaceStack(dir: string, stackName: string, config: Record<string, unknown>, opts: WorkspaceStackOptions): Promise<{ stack: Stack; restored: boolean }> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const file = path.join(dir, `Pulumi.${stackName}.yaml`);
    const restore = opts.restore ?? !fs.existsSync(file);
    let exists = opts.exists;
    if (restore && exists === undefined) {
        const ws = await LocalWorkspace.create({ workDir: dir, projectSettings: { name: PROJECT_NAME, runtime: "nodejs" }, pulumiCommand: opts.pulumiCommand });
        exists = (await ws.listStacks()).some((s) => s.name === stackName);
    }
    if (restore && exists) {
        fs.rmSync(file, { force: true }); // the backend's, not a stale local copy
        writeStackConfig(file, config, opts.header);
    } else {
        writeStackConfig(file, config, opts.header, opts.keptFrom);
    }
    const stack = await openStack(stackName, dir, { pulumiCommand: opts.pulumiCommand, exists });
    if (!(restore && exists)) {
        return { stack, restored: false };
    }
    const restored = await refreshConfigFromBackend(stack);
    writeStackConfig(file, config, opts.header);
    return { stack, restored };
}

/**
 * `pulumi config refresh --force`: the stack's config file becomes the config
 * and secrets provider of its last deployment. False when it has none yet (a
 * stack created but never deployed: nothing to restore).
 */
export async function refreshConfigFromBackend(stack: Stack): Promise<boolean> {
    const r = await runPulumiIn(stack, ["config", "refresh", "--force", "--stack", stack.name, "--non-interactive"]);
    if (r.code === 0) {
        return true;
    }
    if (/no previous deployment/i.test(r.stderr)) {
        return false;
    }
    throw new Error(`pulumi config refresh --stack ${stack.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** Runs the stack's CLI in its workspace, with the workspace's environment; `input` goes to its stdin (never an argument). */
export function runPulumiIn(stack: Stack, args: string[], input = ""): Promise<PulumiRun> {
    const ws = stack.workspace as LocalWorkspace;
    const env: NodeJS.ProcessEnv = { ...process.env, ...ws.envVars };
    if (ws.pulumiHome !== undefined) {
        env.PULUMI_HOME = ws.pulumiHome;
    }
    return runPulumi(ws.pulumiCommand, ws.workDir, args, env, input);
}

export interface PulumiRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a CLI command in `cwd` (a directory with Pulumi.yaml); `input` goes to its stdin. A run that lost the race to create a new PostgreSQL backend's table is run again (pulumiRun.ts). */
export async function runPulumi(pulumi: PulumiCommand, cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input = ""): Promise<PulumiRun> {
    for (let attempt = 1; ; attempt++) {
        const r = await runPulumiOnce(pulumi, cwd, args, env, input);
        if (r.code === 0 || !(await runAgainAfterBackendRace(r.stderr, attempt))) {
            return r;
        }
    }
}

function runPulumiOnce(pulumi: PulumiCommand, cwd: string, args: string[], env: NodeJS.ProcessEnv, input: string): Promise<PulumiRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(pulumi.command, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input);
    });
}
