/**
 * `up` of one podlab stack in as few Pulumi CLI processes as it needs:
 *
 * - a stack that exists and whose config file holds its password: one
 *   (`pulumi up`, refresh included when asked, outputs read from its events);
 * - a new stack: two (`pulumi stack init`, `pulumi up`). The generated
 *   password is encrypted into the stack's config file beforehand, when the
 *   stack's secrets provider is the passphrase (cli/passphrase.ts); `stack init`
 *   keeps that file's salt. Any other secrets provider costs a third run,
 *   `pulumi config set --secret` with the value on stdin.
 *
 * Used by the course for every learner and by the deploy command (cli/stack.ts).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PASSWORD_KEY } from "./automation";
import { PassphraseKeys } from "./passphrase";
import { OperationResult, PulumiCli, PulumiRunError, UpOptions, initStack, runPulumi, upInline } from "./pulumiRun";
import { writeFileAtomic } from "./files";
import { StackFile, readStackFile } from "./stackWorkspace";

/** How the stack got its postgres password this time. */
export type PasswordOutcome =
    /** Its config file already holds one. */
    | "configured"
    /** The random provider makes one (PostgresPod's RandomPassword). */
    | "random-provider"
    /** A new one, encrypted into the config file here. */
    | "written"
    /** A new one, set with `pulumi config set --secret` (another secrets provider). */
    | "config-set";

/** The stack config file of `cli`'s stack. */
export function stackFile(cli: PulumiCli): string {
    return path.join(cli.workDir, `Pulumi.${cli.stack}.yaml`);
}

/**
 * Whether a resource plugin (of a version, or any) is in the plugin cache under
 * PULUMI_HOME, the directory `pulumi plugin ls` lists; read from disk, without a CLI run.
 */
export function resourcePluginCached(name: string, version?: string, env: NodeJS.ProcessEnv = process.env): boolean {
    const plugins = path.join(env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "plugins");
    const dir = version === undefined ? new RegExp(`^resource-${name}-v\\d[^/]*$`) : new RegExp(`^resource-${name}-v${version.replace(/\./g, "\\.")}$`);
    // A download in progress or cut short leaves a .lock or .partial beside the directory.
    return fs.existsSync(plugins) && fs.readdirSync(plugins).some((d) => dir.test(d) && !/\.(lock|partial)$/.test(d) && !fs.existsSync(path.join(plugins, `${d}.partial`)) && fs.statSync(path.join(plugins, d)).isDirectory());
}

/** Whether a `random` resource provider is installed (plugin cache or PATH), without a CLI run. */
export function randomProviderInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
    return resourcePluginCached("random", undefined, env) || (env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, "pulumi-resource-random")));
}

/** What {@link upStack} knows beforehand. */
export interface StackUpFacts {
    /** Whether the stack exists in the backend; undefined: guessed from its config file (a salt or a provider there means it was initialised). */
    exists?: boolean;
    /** Whether a random provider is there (then no password is generated). */
    randomProvider: boolean;
    /** The passphrase keys, when new stacks use the passphrase provider (cli/passphrase.ts passphraseBackend); undefined: `config set` instead. */
    keys?: PassphraseKeys;
    /** Generate a new password even if the stack has one (a reset). */
    newPassword?: boolean;
}

export interface StackUpResult extends OperationResult {
    password: PasswordOutcome;
    /** Whether this run created the stack. */
    created: boolean;
    /** The CLI runs it took, in order, by subcommand ("stack init", "config set", "up"). */
    runs: string[];
}

/**
 * Brings the stack up: its password in place, the stack created if it is not
 * there, then one `pulumi up` of the inline program. The stack's config file
 * must be written already (the caller's config).
 */
export async function upStack(cli: PulumiCli, facts: StackUpFacts, opts: UpOptions): Promise<StackUpResult> {
    const runs: string[] = [];
    // Read before the password is written: a salt or a provider in the file means `stack init` ran for it.
    const file = readStackFile(stackFile(cli));
    let exists = facts.exists ?? (file?.encryptionsalt !== undefined || file?.secretsprovider !== undefined);
    const password = await preparePassword(cli, facts);
    let created = false;
    const init = async () => {
        runs.push("stack init");
        created = (await initStack(cli)).created;
        exists = true;
    };
    if (!exists) {
        await init();
    }
    if (password === "config-set") {
        runs.push("config set");
        await runPulumi(cli, ["config", "set", PASSWORD_KEY, "--secret"], { input: newPassword() });
    }
    const up = () => {
        runs.push("up");
        return upInline(cli, opts);
    };
    try {
        return { ...(await up()), password, created, runs };
    } catch (e) {
        // The backend lost the stack its config file describes (removed by hand): create it and go on.
        if (!(e instanceof PulumiRunError && e.stackNotFound) || created) {
            throw e;
        }
        await init();
        return { ...(await up()), password, created, runs };
    }
}

function newPassword(): string {
    return randomBytes(18).toString("base64url");
}

/**
 * Puts the stack's postgres password in place without a CLI run where it can
 * (see {@link PasswordOutcome}); "config-set" means the caller must still run
 * `config set` once the stack exists.
 */
export async function preparePassword(cli: PulumiCli, facts: StackUpFacts): Promise<PasswordOutcome> {
    const file = stackFile(cli);
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    const doc = (yaml.load(text) ?? {}) as StackFile;
    const config = doc.config ?? {};
    if (!facts.newPassword && PASSWORD_KEY in config) {
        return "configured";
    }
    if (facts.randomProvider) {
        if (PASSWORD_KEY in config) {
            // A reset with the random provider: its RandomPassword is made anew, unless a configured password wins over it.
            return "config-set";
        }
        return "random-provider";
    }
    if (facts.keys === undefined || doc.secretsprovider !== undefined || doc.encryptedkey !== undefined || doc.environment !== undefined) {
        return "config-set";
    }
    const crypter = await facts.keys.forState(doc.encryptionsalt);
    const secure = crypter.encrypt(newPassword());
    const edited = withPassword(text, doc.encryptionsalt === undefined ? crypter.state : undefined, secure);
    // The file is edited as text, so comments and layout stay; if the edit does not read back as meant, the CLI sets it instead.
    const expected = { ...doc, encryptionsalt: crypter.state, config: { ...config, [PASSWORD_KEY]: { secure } } };
    if (edited === undefined || !sameYaml(yaml.load(edited), expected)) {
        return "config-set";
    }
    writeFileAtomic(file, edited, 0o600);
    return "written";
}

/**
 * The stack file's text with `encryptionsalt` added (when `salt` is given) and
 * the password's `secure:` value set: replaced where the key is, else the
 * first entry under `config:`. Undefined when the layout is not one it knows.
 */
export function withPassword(text: string, salt: string | undefined, secure: string): string | undefined {
    let out = text === "" || text.endsWith("\n") ? text : `${text}\n`;
    const entry = (indent: string) => `${indent}${PASSWORD_KEY}:\n${indent}  secure: ${secure}\n`;
    const existing = new RegExp(`^( +)${PASSWORD_KEY}:[^\\n]*\\n(?:\\1 +secure:[^\\n]*\\n)?`, "m");
    const m = existing.exec(out);
    if (m) {
        out = out.slice(0, m.index) + entry(m[1]) + out.slice(m.index + m[0].length);
    } else if (/^config:\s*$/m.test(out)) {
        const at = out.search(/^config:\s*$/m);
        const lineEnd = out.indexOf("\n", at) + 1;
        const indent = /^( +)\S/m.exec(out.slice(lineEnd))?.[1] ?? "  ";
        out = out.slice(0, lineEnd) + entry(indent) + out.slice(lineEnd);
    } else if (!/^config:/m.test(out)) {
        out += `config:\n${entry("  ")}`;
    } else {
        return undefined; // config: {} or another flow style
    }
    return salt === undefined ? out : `${out}encryptionsalt: ${salt}\n`;
}

function sameYaml(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

/** A value with every object's keys in sorted order, so two parses of one document compare equal whatever the order written. */
export function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(sortKeys);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}
