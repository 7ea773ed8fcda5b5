import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LAB_BACKEND_DIRS, LAB_PASSPHRASE, PulumiSetupError, backendOf, checkSecrets, cliVersionProblem, preparePulumi, redactUrl, sdkVersion } from "../../cli/pulumiEnv";

const HOME = "/home/ada";
const OFF = { PODLAB_KUBECONFIG: "/home/ada/.kube/config" };
const refusal = (f: () => void): string => {
    try {
        f();
    } catch (e) {
        expect(e).toBeInstanceOf(PulumiSetupError);
        return (e as Error).message;
    }
    return "accepted";
};

describe("checkSecrets off the lab (PODLAB_KUBECONFIG set)", () => {
    it("refuses a DIY backend without a passphrase, saying what to set, before anything is created", () => {
        for (const backendUrl of ["file:///srv/state", "s3://bucket/podlab", "postgres://pulumi:s3cret@db:5432/state"]) {
            const m = refusal(() => checkSecrets({ env: { ...OFF }, home: HOME, backendUrl }));
            expect(m).toContain("neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set");
            expect(m).toContain("PODLAB_SECRETS_PROVIDER");
            expect(m).toContain("nothing was created");
            expect(m).not.toContain("s3cret");
        }
    });

    it("refuses the lab's passphrase, in the variable or in a file", () => {
        expect(refusal(() => checkSecrets({ env: { ...OFF, PULUMI_CONFIG_PASSPHRASE: LAB_PASSPHRASE }, home: HOME, backendUrl: "file:///srv/state" }))).toContain("is the lab's passphrase");
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "podlab-pass-")), "pass");
        fs.writeFileSync(file, `${LAB_PASSPHRASE}\n`);
        expect(refusal(() => checkSecrets({ env: { ...OFF, PULUMI_CONFIG_PASSPHRASE_FILE: file }, home: HOME, backendUrl: "file:///srv/state" }))).toContain("_FILE holds the lab's passphrase");
    });

    it("refuses the lab's own backends, with any passphrase", () => {
        for (const dir of LAB_BACKEND_DIRS) {
            const m = refusal(() => checkSecrets({ env: { ...OFF, PULUMI_CONFIG_PASSPHRASE: "mine" }, home: HOME, backendUrl: `file://~/.local/state/podlab/${dir}` }));
            expect(m).toContain(`is the lab's own (${HOME}/.local/state/podlab/${dir})`);
        }
        expect(refusal(() => checkSecrets({ env: { ...OFF, PODLAB_STATE: "/var/podlab", PULUMI_CONFIG_PASSPHRASE: "mine" }, home: HOME, backendUrl: "file:///var/podlab/pulumi-backend-real" }))).toContain("the lab's own");
    });

    it("accepts the user's passphrase (variable or file), a KMS provider, or Pulumi Cloud's own secrets", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "podlab-pass-")), "pass");
        fs.writeFileSync(file, "correct horse\n");
        expect(refusal(() => checkSecrets({ env: { ...OFF, PULUMI_CONFIG_PASSPHRASE: "mine" }, home: HOME, backendUrl: "postgres://u:p@db/state" }))).toBe("accepted");
        expect(refusal(() => checkSecrets({ env: { ...OFF, PULUMI_CONFIG_PASSPHRASE_FILE: file }, home: HOME, backendUrl: "file:///srv/state" }))).toBe("accepted");
        expect(refusal(() => checkSecrets({ env: { ...OFF, PODLAB_SECRETS_PROVIDER: "awskms://alias/podlab" }, home: HOME, backendUrl: "s3://bucket" }))).toBe("accepted");
        expect(refusal(() => checkSecrets({ env: { ...OFF }, home: HOME, backendUrl: "file:///srv/state", stackSecretsProvider: "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k" }))).toBe("accepted");
        expect(refusal(() => checkSecrets({ env: { ...OFF }, home: HOME, backendUrl: "https://api.pulumi.com" }))).toBe("accepted");
        // On Pulumi Cloud too, a passphrase provider asked for needs the passphrase.
        expect(refusal(() => checkSecrets({ env: { ...OFF, PODLAB_SECRETS_PROVIDER: "passphrase" }, home: HOME, backendUrl: "https://api.pulumi.com" }))).toContain("neither PULUMI_CONFIG_PASSPHRASE");
    });

    it("names a passphrase file it cannot read", () => {
        expect(refusal(() => checkSecrets({ env: { ...OFF, PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/pass" }, home: HOME, backendUrl: "file:///srv/state" }))).toContain("PULUMI_CONFIG_PASSPHRASE_FILE=/nonexistent/pass cannot be read");
    });
});

describe("checkSecrets on the lab", () => {
    it("takes the lab's passphrase with a local file backend only", () => {
        const env = { PULUMI_CONFIG_PASSPHRASE: LAB_PASSPHRASE };
        expect(refusal(() => checkSecrets({ env, home: HOME, backendUrl: "file:///root/.local/state/podlab/pulumi-backend-real" }))).toBe("accepted");
        expect(refusal(() => checkSecrets({ env, home: HOME, backendUrl: "file:///tmp/podlab-e2e-x/backend" }))).toBe("accepted");
        const m = refusal(() => checkSecrets({ env, home: HOME, backendUrl: "postgres://pulumi:s3cret@127.0.0.1:5433/state" }));
        expect(m).toContain("only for the lab's local file backend, not for postgres://****:****@127.0.0.1:5433/state");
    });
});

describe("the lab's environment (lab/env) and these checks agree", () => {
    const labEnv = fs.readFileSync(path.join(__dirname, "..", "..", "lab", "env"), "utf8");
    it("on the passphrase and the backends' directories", () => {
        expect(labEnv).toContain(`\${PULUMI_CONFIG_PASSPHRASE:-${LAB_PASSPHRASE}}`);
        expect(labEnv).toContain(`backend="$PODLAB_STATE/${LAB_BACKEND_DIRS[0]}"`);
        expect(labEnv).toContain(`backend="$PODLAB_STATE/${LAB_BACKEND_DIRS[1]}"`);
    });
});

describe("the CLI version podlab needs", () => {
    const sdk = "3.276.0";
    it("is at least @pulumi/pulumi's, of the same major; the refusal names both versions and the CLI", () => {
        expect(cliVersionProblem("v3.276.0", sdk, "/usr/bin/pulumi")).toBeUndefined();
        expect(cliVersionProblem("3.280.1-dev.0", sdk, "/usr/bin/pulumi")).toBeUndefined();
        const old = cliVersionProblem("v3.200.0", sdk, "/usr/bin/pulumi")!;
        expect(old).toContain("the pulumi at /usr/bin/pulumi is v3.200.0");
        expect(old).toContain("@pulumi/pulumi 3.276.0, which needs a Pulumi CLI v3.276.0 or newer of major 3");
        expect(cliVersionProblem("v4.0.0", sdk, "/x/pulumi")).toContain("is v4.0.0");
        expect(cliVersionProblem("v3.276.0", "3.276.1", "/x/pulumi")).toContain("is v3.276.0");
        expect(cliVersionProblem(undefined, sdk, "/x/pulumi")).toContain("cannot read the version of the pulumi at /x/pulumi");
    });
});

describe("backends", () => {
    it("are told apart by scheme, and shown without credentials", () => {
        expect(backendOf("https://api.pulumi.com").kind).toBe("cloud");
        expect(backendOf("file://~/state").kind).toBe("file");
        expect(backendOf("s3://b?endpoint=127.0.0.1:9000").kind).toBe("object-store");
        expect(backendOf("postgres://u:pw@h:5432/db?sslmode=disable")).toEqual({ kind: "postgres", shown: "postgres://****:****@h:5432/db?sslmode=disable" });
        expect(redactUrl("file:///srv/state")).toBe("file:///srv/state");
    });
});

describe("preparePulumi with a stand-in pulumi on PATH", () => {
    const saved = { ...process.env };
    afterEach(() => {
        process.env = { ...saved };
    });

    /** A directory with a `pulumi` that prints `version` and answers `whoami --json` with `url`. */
    function fakePulumi(version: string, url?: string): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-fake-pulumi-"));
        const whoami = url === undefined ? "echo 'error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions' >&2; exit 255" : `echo '{"user":"ada","url":"${url}"}'`;
        fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\ncase "$1" in version) echo ${version};; whoami) ${whoami};; *) exit 3;; esac\n`, { mode: 0o755 });
        return dir;
    }

    function offLabEnv(bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "podlab-kc-")), "config");
        fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
        process.env.PATH = `${bin}${path.delimiter}/usr/bin:/bin`;
        delete process.env.PULUMI_BACKEND_URL;
        delete process.env.PULUMI_CONFIG_PASSPHRASE;
        delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
        Object.assign(process.env, { PODLAB_KUBECONFIG: kubeconfig }, extra);
        return process.env;
    }

    it("refuses a CLI older than @pulumi/pulumi, naming both versions", async () => {
        const bin = fakePulumi("v3.100.0", "file:///srv/state");
        offLabEnv(bin, { PULUMI_CONFIG_PASSPHRASE: "mine" });
        await expect(preparePulumi({ needsSecrets: true })).rejects.toThrow(`the pulumi at ${bin}/pulumi is v3.100.0; podlab's program uses @pulumi/pulumi ${sdkVersion()}`);
    });

    it("uses the backend the CLI is logged into, pins it for the run, and points kubectl and the provider at PODLAB_KUBECONFIG", async () => {
        const bin = fakePulumi(`v${sdkVersion()}`, "file:///srv/state");
        const env = offLabEnv(bin, { PULUMI_CONFIG_PASSPHRASE: "mine" });
        const setup = await preparePulumi({ needsSecrets: true });
        expect(setup.onLab).toBe(false);
        expect(setup.backend).toEqual({ kind: "file", shown: "file:///srv/state" });
        expect(env.PULUMI_BACKEND_URL).toBe("file:///srv/state");
        expect(env.KUBECONFIG).toBe(env.PODLAB_KUBECONFIG);
        expect(env.PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER).toBe("true");
    });

    it("says to log in when the CLI has no backend and PULUMI_BACKEND_URL is unset", async () => {
        offLabEnv(fakePulumi(`v${sdkVersion()}`), { PULUMI_CONFIG_PASSPHRASE: "mine" });
        await expect(preparePulumi({ needsSecrets: true })).rejects.toThrow("is logged in to no backend, and PULUMI_BACKEND_URL is not set");
    });

    it("refuses a missing passphrase before it runs any pulumi when PULUMI_BACKEND_URL names the backend", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-fake-pulumi-"));
        const ran = path.join(dir, "ran");
        fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\ntouch ${ran}\necho v${sdkVersion()}\n`, { mode: 0o755 });
        offLabEnv(dir, { PULUMI_BACKEND_URL: "postgres://u:pw@127.0.0.1:1/x" });
        await expect(preparePulumi({ needsSecrets: true })).rejects.toThrow("neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set");
        expect(fs.existsSync(ran)).toBe(false);
    });

    it("names a PODLAB_KUBECONFIG that does not exist, and a missing pulumi", async () => {
        offLabEnv(fakePulumi(`v${sdkVersion()}`, "file:///srv"), { PODLAB_KUBECONFIG: "/nonexistent/kubeconfig" });
        await expect(preparePulumi({ needsSecrets: false })).rejects.toThrow("PODLAB_KUBECONFIG=/nonexistent/kubeconfig does not exist");
        offLabEnv(fs.mkdtempSync(path.join(os.tmpdir(), "podlab-empty-")));
        process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-empty-"));
        await expect(preparePulumi({ needsSecrets: false })).rejects.toThrow("no pulumi on PATH: podlab off the lab uses your Pulumi CLI");
    });
});
