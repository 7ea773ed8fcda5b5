/**
 * podlab's deploy command: `pulumi up` (and friends) for one stack, through
 * the Automation API (see cli/automation.ts for why).
 *
 *   npm run stack -- <up|preview|refresh|destroy|outputs> [--stack NAME] [--workdir DIR] [--policy-pack DIR [--policy-pack-config FILE]] [--expect-no-changes]
 *   npm run stack -- show [--stack NAME] [--workdir DIR] [--out FILE]
 *   npm run stack -- <subcommand> --help
 *
 * On the lab the environment comes from `eval "$(bash lab/env)"` (npm run stack
 * runs it under lab/with-env); off the lab (PODLAB_KUBECONFIG set) it is the
 * user's own Pulumi: CLI, backend and secrets provider (cli/pulumiEnv.ts).
 * Without --stack (or PODLAB_STACK) it deploys the lab stack (Pulumi.lab.yaml,
 * the lab's own images) to the lab, and the dev stack (Pulumi.dev.yaml, the
 * public images) when PODLAB_KUBECONFIG points at another cluster.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { FlagSpec, SubcommandSpec, parseCommandLine } from "./args";
import { PROJECT_DIR, ensurePassword, inlinePodlab, openExistingStack, openStack, repairFileBackend } from "./automation";
import { PassphraseKeys, configPassphrase, passphraseBackend } from "./passphrase";
import { defaultStackPicture, writeStackPicture } from "./picture/live";
import { preparePulumi } from "./pulumiEnv";
import { PulumiCli, initStack, refreshConfig } from "./pulumiRun";
import { randomProviderInstalled, stackFile, upStack } from "./stackUp";
import { defaultStackWorkspace, openWorkspaceStack, writeStackConfig } from "./stackWorkspace";
import { runMain } from "./runMain";

const COMMAND = "npm run stack --";

/** Flags every subcommand takes. */
const COMMON: Record<string, FlagSpec> = {
    stack: { type: "string", valueName: "NAME", description: 'the stack (default: PODLAB_STACK, else "dev" with PODLAB_KUBECONFIG, else "lab")' },
    workdir: {
        type: "string",
        valueName: "DIR",
        description: "directory with Pulumi.yaml and the stack's config file, used as it is (default: a workspace of the stack's own outside the repository, its config from the repository's Pulumi.<stack>.yaml)",
    },
};
const POLICY: Record<string, FlagSpec> = {
    "policy-pack": { type: "string", multiple: true, valueName: "DIR", description: "run this policy pack" },
    "policy-pack-config": { type: "string", multiple: true, valueName: "FILE", description: "config of the policy pack at the same position" },
};
const EXPECT_NO_CHANGES: FlagSpec = { type: "boolean", description: "fail if anything would change" };

const SUBCOMMANDS: Record<string, SubcommandSpec> = {
    up: { summary: "deploy the stack and print its outputs", flags: { ...COMMON, ...POLICY } },
    preview: { summary: "show what up would change", flags: { ...COMMON, ...POLICY, "expect-no-changes": EXPECT_NO_CHANGES } },
    refresh: { summary: "read the cluster's state into the stack", flags: { ...COMMON, "expect-no-changes": EXPECT_NO_CHANGES } },
    destroy: { summary: "delete everything the stack created", flags: COMMON },
    outputs: { summary: "print the stack's outputs (secrets masked)", flags: COMMON },
    show: {
        summary: "draw the stack's pods from the live cluster (IPs, containers, ports, sandboxes) and the lesson's commands as a self-contained HTML page; prints its path",
        flags: { ...COMMON, out: { type: "string", valueName: "FILE", description: "where to write the page (default: <state>/pictures/<stack>.html, the state directory being PODLAB_STATE or ~/.local/state/podlab)" } },
    },
};

interface Options {
    command: string;
    stack: string;
    workDir?: string;
    policyPacks: string[];
    policyPackConfigs: string[];
    expectNoChanges: boolean;
    /** Where `show` writes its page. */
    out?: string;
}

function options(argv: string[]): Options | string {
    const parsed = parseCommandLine(COMMAND, SUBCOMMANDS, argv);
    if (parsed.help !== undefined) {
        return parsed.help;
    }
    const v = parsed.values;
    const list = (x: unknown) => ((x as string[] | undefined) ?? []).map((p) => path.resolve(p));
    return {
        command: parsed.subcommand,
        stack: (v.stack as string | undefined) ?? process.env.PODLAB_STACK ?? (process.env.PODLAB_KUBECONFIG ? "dev" : "lab"),
        workDir: v.workdir === undefined ? undefined : path.resolve(v.workdir as string),
        policyPacks: list(v["policy-pack"]),
        policyPackConfigs: list(v["policy-pack-config"]),
        expectNoChanges: v["expect-no-changes"] === true,
        out: v.out === undefined ? undefined : path.resolve(v.out as string),
    };
}

async function main(): Promise<void> {
    const opts = options(process.argv.slice(2));
    if (typeof opts === "string") {
        console.log(opts);
        return;
    }
    await preparePulumi({ needsSecrets: true, stackSecretsProvider: stackFileSecretsProvider(opts) });
    if (opts.command === "show") {
        await show(opts);
        return;
    }
    for (const note of repairFileBackend()) {
        console.log(`podlab: backend: ${note}`);
    }
    const onOutput = (s: string) => process.stdout.write(s);
    if (opts.command === "up" && !importsEnvironment(opts)) {
        printOutputs(await up(opts, onOutput));
        return;
    }
    const stack = await openCommandStack(opts);
    // `up` returns the outputs it already read; the other commands need a separate `stack output` (two CLI runs).
    let outputs: OutputMap | undefined;
    switch (opts.command) {
        case "up": {
            // The stack's config imports an environment, which may hold the password: the Automation API reads the whole config.
            reportPassword(opts.stack, await ensurePassword(stack));
            outputs = (await stack.up({ onOutput, policyPacks: opts.policyPacks, policyPackConfigs: opts.policyPackConfigs })).outputs;
            break;
        }
        case "preview":
            await ensurePassword(stack);
            await stack.preview({ onOutput, policyPacks: opts.policyPacks, policyPackConfigs: opts.policyPackConfigs, expectNoChanges: opts.expectNoChanges });
            break;
        case "refresh":
            await stack.refresh({ onOutput, expectNoChanges: opts.expectNoChanges });
            break;
        case "destroy":
            await stack.destroy({ onOutput });
            break;
    }
    if (opts.command !== "destroy") {
        printOutputs(outputs ?? (await stack.outputs()));
    }
}

/**
 * `up` through the CLI directly (cli/stackUp.ts), in the stack's workspace
 * (see {@link openCommandStack}): one `pulumi up` where the workspace knows
 * the stack, outputs from the update's own events; `stack init` first for a
 * new stack; for a workspace new to an existing stack (another machine's),
 * its secrets settings and password from its last deployment first (`config refresh`).
 */
async function up(opts: Options, onOutput: (s: string) => void): Promise<OutputMap> {
    const cli: PulumiCli = { command: "pulumi", workDir: opts.workDir ?? defaultStackWorkspace(opts.stack), stack: opts.stack };
    let exists: boolean | undefined;
    if (opts.workDir === undefined) {
        const known = fs.existsSync(stackFile(cli));
        const tracked = writeCommandWorkspace(opts, cli.workDir);
        if (!known) {
            exists = !(await initStack(cli)).created;
            if (exists && (await refreshConfig(cli))) {
                writeStackConfig(stackFile(cli), tracked.config, tracked.header);
                console.log(`podlab: stack ${opts.stack}: its secrets settings and config came from its last deployment (a new workspace, ${cli.workDir})`);
            }
        }
    }
    const keys = passphraseBackend() ? new PassphraseKeys(configPassphrase()!) : undefined;
    const r = await upStack(cli, { exists, randomProvider: randomProviderInstalled(), keys }, { program: inlinePodlab, policyPacks: opts.policyPacks, policyPackConfigs: opts.policyPackConfigs, display: "text", onOutput });
    reportPassword(cli.stack, r.password === "written" || r.password === "config-set" ? "generated" : r.password);
    return r.outputs;
}

/** Whether the stack's config file imports an ESC environment (`environment:`), whose values only the CLI can read. */
function importsEnvironment(opts: Options): boolean {
    const file = path.join(opts.workDir ?? defaultStackWorkspace(opts.stack), `Pulumi.${opts.stack}.yaml`);
    const tracked = path.join(PROJECT_DIR, `Pulumi.${opts.stack}.yaml`);
    return [file, ...(opts.workDir === undefined ? [tracked] : [])].some((f) => fs.existsSync(f) && (yaml.load(fs.readFileSync(f, "utf8")) as { environment?: unknown } | null)?.environment !== undefined);
}

function reportPassword(stack: string, password: string): void {
    if (password === "generated") {
        console.log(`podlab: no random provider here, so stack ${stack} got a generated postgres password (secret config podlab:postgresPassword)`);
    }
}

function printOutputs(outputs: OutputMap): void {
    const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
    console.log(JSON.stringify(plain, null, 2));
}

/**
 * The stack in --workdir as it is; by default in its own workspace outside the
 * repository (defaultStackWorkspace), with the config of the repository's
 * Pulumi.<stack>.yaml: what Pulumi writes there (the secrets provider's salt,
 * a generated password) stays in that workspace, and the tree stays clean.
 */
async function openCommandStack(opts: Options): Promise<Stack> {
    if (opts.workDir !== undefined) {
        return openStack(opts.stack, opts.workDir);
    }
    const tracked = trackedConfig(opts);
    const workDir = defaultStackWorkspace(opts.stack);
    const { stack, restored } = await openWorkspaceStack(workDir, opts.stack, tracked.config, { header: tracked.header, keptFrom: tracked.file });
    if (restored) {
        console.log(`podlab: stack ${opts.stack}: its secrets settings and config came from its last deployment (a new workspace, ${workDir})`);
    }
    return stack;
}

/** The repository's Pulumi.<stack>.yaml: its config, and the header of the workspace's copy. */
function trackedConfig(opts: Options): { file: string; config: Record<string, unknown>; header: string } {
    const file = path.join(PROJECT_DIR, `Pulumi.${opts.stack}.yaml`);
    const config = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined)?.config ?? {}) : {};
    const header = `Written by npm run stack: the config of ${fs.existsSync(file) ? file : "no tracked file"}, and what Pulumi keeps itself (secrets settings, a generated password). Edit the tracked file.`;
    return { file, config, header };
}

/** Writes the stack's own workspace (Pulumi.yaml, and its config file from the tracked one, keeping what Pulumi keeps there). */
function writeCommandWorkspace(opts: Options, dir: string): { config: Record<string, unknown>; header: string } {
    const tracked = trackedConfig(opts);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeStackConfig(path.join(dir, `Pulumi.${opts.stack}.yaml`), tracked.config, tracked.header, tracked.file);
    return tracked;
}

/** Draws an existing stack's namespace, as the cluster has it now. */
async function show(opts: Options): Promise<void> {
    const workDir = opts.workDir ?? defaultStackWorkspace(opts.stack);
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const stack = await openExistingStack(opts.stack, workDir);
    if (stack === undefined) {
        throw new Error(`no stack named ${opts.stack} in ${process.env.PULUMI_BACKEND_URL ?? "the Pulumi backend"}; deploy it first (npm run stack -- up --stack ${opts.stack})`);
    }
    const namespace = (await stack.outputs()).namespace?.value;
    if (typeof namespace !== "string") {
        throw new Error(`stack ${opts.stack} has no namespace output; deploy it first (npm run stack -- up --stack ${opts.stack})`);
    }
    const file = opts.out ?? defaultStackPicture(opts.stack);
    await writeStackPicture(opts.stack, namespace, file);
    console.log(file);
}

/** The `secretsprovider` the stack's config file names (awskms://... for a stack that keeps secrets in a KMS), if any. */
function stackFileSecretsProvider(opts: Options): string | undefined {
    const dirs = opts.workDir !== undefined ? [opts.workDir] : [defaultStackWorkspace(opts.stack), PROJECT_DIR];
    for (const file of dirs.map((d) => path.join(d, `Pulumi.${opts.stack}.yaml`)).filter((f) => fs.existsSync(f))) {
        const provider = (yaml.load(fs.readFileSync(file, "utf8")) as { secretsprovider?: string } | undefined)?.secretsprovider;
        if (provider !== undefined) {
            return provider;
        }
    }
    return undefined;
}

runMain("stack", main);
