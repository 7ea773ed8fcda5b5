import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PASSWORD_KEY } from "../../cli/automation";
import { PassphraseKeys, passphraseCrypter } from "../../cli/passphrase";
import { PulumiCli } from "../../cli/pulumiRun";
import { randomProviderInstalled, resourcePluginCached, stackFile, upStack, withPassword } from "../../cli/stackUp";
import { FakePulumi, updateEvents } from "./fakePulumi";

const PASSPHRASE = "unit-test-passphrase";
const program = async () => ({});
const OUTPUTS = { namespace: "podlab-c-ada" };

/** A stack directory whose config file holds `doc` (none when undefined), with the stand-in CLI. */
function stackDir(fake: FakePulumi, doc?: Record<string, unknown>, header = "# written by a test\n"): PulumiCli {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-ws-"));
    const cli = { command: fake.command, workDir, stack: "c-ada" };
    if (doc !== undefined) {
        fs.writeFileSync(stackFile(cli), header + yaml.dump(doc));
    }
    return cli;
}

function readDoc(cli: PulumiCli): { encryptionsalt?: string; config: Record<string, any> } {
    return yaml.load(fs.readFileSync(stackFile(cli), "utf8")) as { encryptionsalt?: string; config: Record<string, any> };
}

describe("upStack", () => {
    // One derivation for every test below, as a course shares one across its learners.
    const keys = new PassphraseKeys(PASSPHRASE);

    it("a new stack: `stack init` then `up`, two runs; the password encrypted into its config file beforehand, never on a command line or stdin", async () => {
        const fake = new FakePulumi([{}, { events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(fake, { config: { "podlab:namespace": "podlab-c-ada" } });
        const r = await upStack(cli, { exists: false, randomProvider: false, keys }, { program, refresh: true });
        expect(fake.subcommands()).toEqual(["stack init", "up"]);
        expect(r.runs).toEqual(["stack init", "up"]);
        expect(r).toMatchObject({ password: "written", created: true, outputs: { namespace: { value: "podlab-c-ada", secret: false } } });
        const doc = readDoc(cli);
        expect(doc.config["podlab:namespace"]).toBe("podlab-c-ada");
        // The CLI's own format: its salt check opens with the passphrase, the value decrypts to a generated password.
        const crypter = await passphraseCrypter(PASSPHRASE, doc.encryptionsalt);
        const password = crypter.decrypt(doc.config[PASSWORD_KEY].secure);
        expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
        for (const run of fake.runs()) {
            expect(run.args.join(" ")).not.toContain(password);
            expect(run.stdin).toBe("");
        }
        expect(fs.readFileSync(stackFile(cli), "utf8").startsWith("# written by a test\n")).toBe(true);
        expect(fs.statSync(stackFile(cli)).mode & 0o777).toBe(0o600);
    });

    it("a stack that exists and has its password: one run, `up`, and the file untouched", async () => {
        const fake = new FakePulumi([{ events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(fake, { encryptionsalt: "v1:c2FsdA==:v1:x:y", config: { [PASSWORD_KEY]: { secure: "v1:abc:def" } } });
        const before = fs.readFileSync(stackFile(cli), "utf8");
        const r = await upStack(cli, { exists: true, randomProvider: false, keys }, { program, refresh: true });
        expect(fake.subcommands()).toEqual(["up"]);
        expect(r.password).toBe("configured");
        expect(fs.readFileSync(stackFile(cli), "utf8")).toBe(before);
    });

    it("without knowing whether it exists, a salt in its config file says it does (the deploy command)", async () => {
        const fake = new FakePulumi([{ events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(fake, { encryptionsalt: "v1:c2FsdA==:v1:x:y", config: { [PASSWORD_KEY]: { secure: "v1:abc:def" } } });
        await upStack(cli, { randomProvider: false, keys }, { program });
        expect(fake.subcommands()).toEqual(["up"]);
        const fresh = new FakePulumi([{}, { events: updateEvents(OUTPUTS) }]);
        await upStack(stackDir(fresh, { config: { "podlab:namespace": "podlab-c-ada" } }), { randomProvider: false, keys }, { program });
        expect(fresh.subcommands()).toEqual(["stack init", "up"]);
    });

    it("a stack its file describes but the backend lost: the failed `up` is followed by `stack init` and `up`", async () => {
        const fake = new FakePulumi([{ code: 255, stderr: "error: no stack named 'c-ada' found\n" }, {}, { events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(fake, { encryptionsalt: "v1:c2FsdA==:v1:x:y", config: { [PASSWORD_KEY]: { secure: "v1:abc:def" } } });
        const r = await upStack(cli, { exists: true, randomProvider: false, keys }, { program });
        expect(fake.subcommands()).toEqual(["up", "stack init", "up"]);
        expect(r.created).toBe(true);
    });

    it("another secrets provider: `config set --secret` with the password on stdin, between init and up", async () => {
        const fake = new FakePulumi([{}, {}, { events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(fake, { config: {} });
        const r = await upStack(cli, { exists: false, randomProvider: false }, { program });
        expect(fake.subcommands()).toEqual(["stack init", "config set", "up"]);
        expect(r.password).toBe("config-set");
        const set = fake.runs()[1];
        expect(set.args).toEqual(["config", "set", PASSWORD_KEY, "--secret", "--stack", "c-ada", "--non-interactive"]);
        expect(set.stdin).toMatch(/^[A-Za-z0-9_-]{24}$/);
    });

    it("with a random provider, no password at all", async () => {
        const fake = new FakePulumi([{}, { events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(fake, { config: {} });
        expect((await upStack(cli, { exists: false, randomProvider: true, keys }, { program })).password).toBe("random-provider");
        expect(readDoc(cli).config).toEqual({});
    });

    it("a reset: a new password replaces the old one under the same salt, still one run for an existing stack", async () => {
        const first = new FakePulumi([{}, { events: updateEvents(OUTPUTS) }]);
        const cli = stackDir(first, { config: { "podlab:namespace": "podlab-c-ada" } });
        await upStack(cli, { exists: false, randomProvider: false, keys }, { program });
        const before = readDoc(cli);
        const again = new FakePulumi([{ events: updateEvents(OUTPUTS) }]);
        await upStack({ ...cli, command: again.command }, { exists: true, randomProvider: false, keys, newPassword: true }, { program });
        expect(again.subcommands()).toEqual(["up"]);
        const after = readDoc(cli);
        expect(after.encryptionsalt).toBe(before.encryptionsalt);
        const crypter = await passphraseCrypter(PASSPHRASE, after.encryptionsalt);
        expect(crypter.decrypt(after.config[PASSWORD_KEY].secure)).not.toBe(crypter.decrypt(before.config[PASSWORD_KEY].secure));
        expect(Object.keys(after.config).sort()).toEqual(["podlab:namespace", PASSWORD_KEY]);
    });
});

describe("withPassword", () => {
    it("edits the file as text: comments and other keys stay, the salt is added at the end", () => {
        const text = "# the lab stack\nconfig:\n  # images\n  podlab:postgres:\n    image: x\n";
        expect(withPassword(text, "v1:s:v1:n:c", "v1:a:b")).toBe("# the lab stack\nconfig:\n  podlab:postgresPassword:\n    secure: v1:a:b\n  # images\n  podlab:postgres:\n    image: x\nencryptionsalt: v1:s:v1:n:c\n");
    });

    it("replaces an existing value in place, whatever its form, and adds a config section where there is none", () => {
        expect(withPassword("config:\n    podlab:postgresPassword:\n        secure: v1:old:old\n    podlab:x: 1\n", undefined, "v1:new:new")).toBe(
            "config:\n    podlab:postgresPassword:\n      secure: v1:new:new\n    podlab:x: 1\n",
        );
        expect(withPassword("config:\n  podlab:postgresPassword: plain\n", undefined, "v1:n:n")).toBe("config:\n  podlab:postgresPassword:\n    secure: v1:n:n\n");
        expect(withPassword("", "v1:s", "v1:n:n")).toBe("config:\n  podlab:postgresPassword:\n    secure: v1:n:n\nencryptionsalt: v1:s\n");
    });

    it("gives up on a flow-style config (the CLI's config set is used then)", () => {
        expect(withPassword("config: {podlab:x: 1}\n", undefined, "v1:n:n")).toBeUndefined();
    });
});

describe("randomProviderInstalled", () => {
    it("looks in PULUMI_HOME's plugin cache and on PATH, without running the CLI", () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-home-"));
        fs.mkdirSync(path.join(home, "plugins", "resource-kubernetes-v4.25.0"), { recursive: true });
        fs.writeFileSync(path.join(home, "plugins", "resource-random-v4.21.2.lock"), "");
        expect(randomProviderInstalled({ PULUMI_HOME: home, PATH: "" })).toBe(false);
        fs.mkdirSync(path.join(home, "plugins", "resource-random-v4.21.2"));
        expect(randomProviderInstalled({ PULUMI_HOME: home, PATH: "" })).toBe(true);
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-bin-"));
        fs.writeFileSync(path.join(bin, "pulumi-resource-random"), "");
        expect(randomProviderInstalled({ PULUMI_HOME: path.join(home, "none"), PATH: bin })).toBe(true);
        expect(resourcePluginCached("kubernetes", "4.25.0", { PULUMI_HOME: home })).toBe(true);
        expect(resourcePluginCached("kubernetes", "4.25", { PULUMI_HOME: home })).toBe(false);
        fs.writeFileSync(path.join(home, "plugins", "resource-kubernetes-v4.25.0.partial"), "");
        expect(resourcePluginCached("kubernetes", "4.25.0", { PULUMI_HOME: home })).toBe(false);
    });
});
