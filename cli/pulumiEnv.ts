/**
 * Which Pulumi podlab's commands drive, where the state goes and how its
 * secrets are kept: checked once, before anything is created.
 *
 * - On the lab (PODLAB_KUBECONFIG unset; lab/env set the environment): the
 *   lab's CLI, built from Go modules, its local file backend, and, unless you
 *   set another, the lab's passphrase. That passphrase is in the repository, so
 *   it is public: it is accepted only with a local file backend on the lab.
 * - Off the lab (PODLAB_KUBECONFIG names another cluster): what a Pulumi user
 *   already has. The `pulumi` on PATH (at least the version of @pulumi/pulumi
 *   the program is built with), the backend they are logged into or
 *   PULUMI_BACKEND_URL, and their secrets provider: PULUMI_CONFIG_PASSPHRASE or
 *   PULUMI_CONFIG_PASSPHRASE_FILE, or a KMS-style provider for new stacks in
 *   PODLAB_SECRETS_PROVIDER (Pulumi Cloud keeps secrets itself). Nothing falls
 *   back to the lab's passphrase or backend (docs/own-cluster.md).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { stateDir } from "./files";

/** The passphrase lab/env sets when none is given: in the repository, hence public (a unit test keeps both equal). */
export const LAB_PASSPHRASE = "podlab-lab-passphrase";

/** The lab's file backends under the podlab state directory (lab/env: the real node's, then KWOK's). */
export const LAB_BACKEND_DIRS = ["pulumi-backend-real", "pulumi-backend"];

/** Where podlab's docs say how to run on your own cluster. */
const OWN_CLUSTER_DOC = "docs/own-cluster.md";

/** A clear refusal, before anything was created. */
export class PulumiSetupError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PulumiSetupError";
    }
}

/** Off the lab: PODLAB_KUBECONFIG points podlab at another cluster. */
export function offLab(env: NodeJS.ProcessEnv = process.env): boolean {
    return Boolean(env.PODLAB_KUBECONFIG);
}

/** The kinds of backend podlab tells apart (secrets default, recovery). */
export type BackendKind = "cloud" | "file" | "postgres" | "object-store";

export interface Backend {
    kind: BackendKind;
    /** Its URL with any credentials replaced by ****: safe to print. */
    shown: string;
}

export function backendOf(url: string): Backend {
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
    const kind: BackendKind = scheme === "https" || scheme === "http" ? "cloud" : scheme === "file" ? "file" : scheme === "postgres" || scheme === "postgresql" ? "postgres" : "object-store";
    return { kind, shown: redactUrl(url) };
}

/** A URL with its user and password (a postgres:// backend's, say) replaced by ****. */
export function redactUrl(url: string): string {
    return url.replace(/^([a-z0-9+.-]+:\/\/)[^/@]*@/i, "$1****:****@");
}

/** The directory of a file backend URL (file://~/x, file:///x), or undefined for another backend. */
export function fileBackendPath(url: string | undefined, home: string): string | undefined {
    if (url === undefined || !url.startsWith("file://")) {
        return undefined;
    }
    return path.resolve(url.slice("file://".length).replace(/^~(?=\/|$)/, home).split("?")[0]);
}

/** The secrets provider podlab creates new stacks with: PODLAB_SECRETS_PROVIDER (awskms://, gcpkms://, azurekeyvault://, hashivault://, passphrase), else the backend's default. */
export function newStackSecretsProvider(env: NodeJS.ProcessEnv = process.env): string | undefined {
    return env.PODLAB_SECRETS_PROVIDER || undefined;
}

/** What the checks below are given: the environment, and the backend URL once known. */
export interface SecretsFacts {
    env: NodeJS.ProcessEnv;
    home: string;
    /** The backend in use (PULUMI_BACKEND_URL, or the one `pulumi whoami` names). */
    backendUrl: string;
    /** A provider the stack's own config file names (`secretsprovider:`), if any. */
    stackSecretsProvider?: string;
}

/**
 * Refuses, with what to set, a secrets setup podlab must not use: off the lab,
 * the lab's passphrase or backend, or no passphrase where the stacks would need
 * one; on the lab, the lab's passphrase with any backend but a local file.
 */
export function checkSecrets(f: SecretsFacts): void {
    const backend = backendOf(f.backendUrl);
    const passphrase = f.env.PULUMI_CONFIG_PASSPHRASE;
    const passphraseFile = f.env.PULUMI_CONFIG_PASSPHRASE_FILE || undefined;
    const fromFile = passphraseFile !== undefined && passphrase === undefined ? readPassphraseFile(passphraseFile) : undefined;
    const usesLabPassphrase = passphrase === LAB_PASSPHRASE || (passphrase === undefined && fromFile === LAB_PASSPHRASE);
    if (!offLab(f.env)) {
        if (usesLabPassphrase && backend.kind !== "file") {
            throw new PulumiSetupError(
                `PULUMI_CONFIG_PASSPHRASE is the lab's passphrase, which is in the repository: it is only for the lab's local file backend, not for ${backend.shown}; set a passphrase of your own (or a KMS secrets provider, ${OWN_CLUSTER_DOC})`,
            );
        }
        return;
    }
    const labDir = labBackendDir(f.backendUrl, f.env, f.home);
    if (labDir !== undefined) {
        throw new PulumiSetupError(
            `the Pulumi backend ${backend.shown} is the lab's own (${labDir}): off the lab (PODLAB_KUBECONFIG is set) podlab keeps state in your backend; \`pulumi login\` to yours or set PULUMI_BACKEND_URL (${OWN_CLUSTER_DOC})`,
        );
    }
    if (usesLabPassphrase) {
        throw new PulumiSetupError(
            `PULUMI_CONFIG_PASSPHRASE${passphrase === undefined ? "_FILE holds" : " is"} the lab's passphrase, which is in the repository: off the lab (PODLAB_KUBECONFIG is set) it would protect nothing; set a passphrase of your own, or a KMS secrets provider in PODLAB_SECRETS_PROVIDER (${OWN_CLUSTER_DOC})`,
        );
    }
    if (passphrase !== undefined || fromFile !== undefined) {
        return;
    }
    const provider = f.stackSecretsProvider ?? newStackSecretsProvider(f.env);
    if (provider !== undefined && provider !== "passphrase" && provider !== "default") {
        return; // a KMS-style provider: no passphrase
    }
    if (backend.kind === "cloud" && provider === undefined) {
        return; // Pulumi Cloud keeps the stacks' secrets itself
    }
    throw new PulumiSetupError(
        `podlab's stacks on ${backend.shown} keep their secrets with a passphrase (${provider === undefined ? `the default on a ${backend.kind} backend` : "the secrets provider named"}), and neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set. ` +
            `Set one (your own; podlab never falls back to the lab's off the lab), or name a KMS secrets provider in PODLAB_SECRETS_PROVIDER (awskms://..., gcpkms://..., azurekeyvault://..., hashivault://...); nothing was created (${OWN_CLUSTER_DOC})`,
    );
}

function readPassphraseFile(file: string): string {
    try {
        return fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
        throw new PulumiSetupError(`PULUMI_CONFIG_PASSPHRASE_FILE=${file} cannot be read: ${(e as Error).message}`);
    }
}

/** The lab backend directory a file backend URL is (or is inside), if it is one. */
function labBackendDir(url: string, env: NodeJS.ProcessEnv, home: string): string | undefined {
    const dir = fileBackendPath(url, home);
    if (dir === undefined) {
        return undefined;
    }
    return LAB_BACKEND_DIRS.map((d) => path.join(stateDir(env, home), d)).find((lab) => dir === lab || dir.startsWith(lab + path.sep));
}

/**
 * The CLI must be at least as new as the @pulumi/pulumi the program is built
 * with (its engine speaks what that SDK asks), and of the same major. Returns
 * the refusal, or undefined when it fits.
 */
export function cliVersionProblem(cliVersion: string | undefined, sdkVersion: string, where: string): string | undefined {
    const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1).map(Number);
    const cli = cliVersion === undefined ? undefined : parse(cliVersion);
    const sdk = parse(sdkVersion)!;
    const needs = `podlab's program uses @pulumi/pulumi ${sdkVersion}, which needs a Pulumi CLI v${sdkVersion} or newer of major ${sdk[0]}`;
    if (cli === undefined) {
        return `cannot read the version of the pulumi at ${where} (\`pulumi version\` printed ${JSON.stringify(cliVersion ?? "")}); ${needs}`;
    }
    const older = cli[0] < sdk[0] || (cli[0] === sdk[0] && (cli[1] < sdk[1] || (cli[1] === sdk[1] && cli[2] < sdk[2])));
    if (cli[0] !== sdk[0] || older) {
        return `the pulumi at ${where} is v${cli.join(".")}; ${needs}: install one (https://www.pulumi.com/docs/install/) and put it first on PATH`;
    }
    return undefined;
}

/** The first `pulumi` on PATH, or undefined. */
export function pulumiOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const names = process.platform === "win32" ? ["pulumi.exe", "pulumi.cmd"] : ["pulumi"];
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "")) {
        for (const name of names) {
            const file = path.join(dir, name);
            try {
                fs.accessSync(file, fs.constants.X_OK);
                return file;
            } catch {
                // not here
            }
        }
    }
    return undefined;
}

/** The version of @pulumi/pulumi the program is built with (what npm installed from the lock). */
export function sdkVersion(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/** What a command learns once: the CLI it drives and the backend it uses. */
export interface PulumiSetup {
    onLab: boolean;
    pulumi: PulumiCommand;
    backend: Backend;
}

export interface PrepareOptions {
    /** Whether the command reads or writes stack state (then secrets must be set up); `course status` only lists stacks. */
    needsSecrets: boolean;
    /** A provider the stack's own config file names (the stack command's). */
    stackSecretsProvider?: string;
}

/**
 * Checks and fixes podlab's Pulumi setup for this process and every CLI it
 * starts: the kubeconfig (off the lab, PODLAB_KUBECONFIG), the CLI and its
 * version, the backend (pinned in PULUMI_BACKEND_URL for the run, so a
 * `pulumi login` elsewhere meanwhile changes nothing), the secrets; and lets a
 * workspace that lacks a stack's config use the secrets provider the stack's
 * state names (another instructor's stack, say). Throws {@link PulumiSetupError}.
 */
export async function preparePulumi(opts: PrepareOptions, env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): Promise<PulumiSetup> {
    const onLab = !offLab(env);
    if (!onLab) {
        const kubeconfig = path.resolve(env.PODLAB_KUBECONFIG!.replace(/^~(?=\/|$)/, home));
        if (!fs.existsSync(kubeconfig)) {
            throw new PulumiSetupError(`PODLAB_KUBECONFIG=${env.PODLAB_KUBECONFIG} does not exist; point it at the kubeconfig of the cluster to use`);
        }
        env.KUBECONFIG = kubeconfig;
    }
    env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER ??= "true";
    const where = pulumiOnPath(env);
    if (where === undefined) {
        throw new PulumiSetupError(
            onLab
                ? "no pulumi on PATH: the lab's is built by bash lab/toolchain.sh and put on PATH by lab/env (npm run course and npm run stack do that)"
                : `no pulumi on PATH: podlab off the lab uses your Pulumi CLI (v${sdkVersion()} or newer); install it (https://www.pulumi.com/docs/install/)`,
        );
    }
    // Early, without any CLI run: a backend named in the environment that needs a passphrase nobody set.
    if (opts.needsSecrets && env.PULUMI_BACKEND_URL) {
        checkSecrets({ env, home, backendUrl: env.PULUMI_BACKEND_URL, stackSecretsProvider: opts.stackSecretsProvider });
    }
    const pulumi = await PulumiCommand.get({ skipVersionCheck: true });
    const problem = cliVersionProblem(pulumi.version?.version, sdkVersion(), where);
    if (problem !== undefined) {
        throw new PulumiSetupError(problem);
    }
    const backendUrl = env.PULUMI_BACKEND_URL || (await loggedInBackend(where, env));
    if (opts.needsSecrets) {
        checkSecrets({ env, home, backendUrl, stackSecretsProvider: opts.stackSecretsProvider });
    }
    env.PULUMI_BACKEND_URL = backendUrl;
    return { onLab, pulumi, backend: backendOf(backendUrl) };
}

/** The backend `pulumi login` chose, from `pulumi whoami`. */
async function loggedInBackend(where: string, env: NodeJS.ProcessEnv): Promise<string> {
    const whoami = await new Promise<string>((resolve) =>
        execFile(where, ["whoami", "--json", "--non-interactive"], { env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeout: 60_000 }, (err, stdout) => resolve(err ? "" : stdout)),
    );
    try {
        const url = (JSON.parse(whoami) as { url?: string }).url;
        if (url) {
            return url;
        }
    } catch {
        // not logged in: said below
    }
    throw new PulumiSetupError(
        `the pulumi at ${where} is logged in to no backend, and PULUMI_BACKEND_URL is not set: \`pulumi login\` (Pulumi Cloud, s3://, gs://, azblob://, file://, postgres://) or set PULUMI_BACKEND_URL (${OWN_CLUSTER_DOC})`,
    );
}
