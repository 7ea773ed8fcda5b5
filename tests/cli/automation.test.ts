import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { PASSWORD_KEY, ensurePassword, randomProviderIn, repairFileBackend } from "../../cli/automation";

/**
 * A stand-in `pulumi` for `config set`: it records its arguments and its stdin,
 * so a test sees what a process list would have shown.
 */
function recordingPulumi(): { command: string; record: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-fake-pulumi-"));
    const record = path.join(dir, "record");
    const command = path.join(dir, "pulumi");
    fs.writeFileSync(command, `#!/bin/sh\nprintf 'args: %s\\n' "$*" >> "${record}"\nprintf 'stdin: %s\\n' "$(cat)" >> "${record}"\n`, { mode: 0o755 });
    return { command, record };
}

/** A stack whose workspace answers from the given config file and plugins, recording every CLI-backed call. */
function fakeStack(fileConfig: Record<string, unknown> | undefined, plugins: { name: string; kind: string }[] = []) {
    const calls: string[] = [];
    const cli = recordingPulumi();
    const stack = {
        name: "c-ada",
        workspace: {
            workDir: os.tmpdir(),
            envVars: {},
            pulumiCommand: { command: cli.command },
            stackSettings: async () => (fileConfig === undefined ? Promise.reject(new Error("no file")) : { config: fileConfig }),
            listPlugins: async () => {
                calls.push("plugin ls");
                return plugins;
            },
        },
        getAllConfig: async () => {
            calls.push("config --show-secrets");
            return {};
        },
    };
    /** Every CLI run: the recorded ones and the `config set`s the stand-in pulumi saw. */
    const runs = (): string[] => {
        const recorded = fs.existsSync(cli.record) ? fs.readFileSync(cli.record, "utf8") : "";
        const sets = recorded.split("\n").filter((line) => line.startsWith("args: config set ")).map((line) => line.slice("args: ".length).split(" --stack")[0]);
        return [...calls, ...sets];
    };
    return { stack: stack as unknown as Stack, runs, record: cli.record };
}

describe("ensurePassword", () => {
    it("asks the CLI for the config and the plugins when it knows nothing, then sets a secret password", async () => {
        const { stack, runs } = fakeStack({});
        expect(await ensurePassword(stack)).toBe("generated");
        expect(runs()).toEqual(["config --show-secrets", "plugin ls", `config set ${PASSWORD_KEY} --secret`]);
    });

    it("with what the course knows (config only in the stack file, no random provider), runs only the config set", async () => {
        const { stack, runs } = fakeStack({ "podlab:namespace": "podlab-c-ada" });
        expect(await ensurePassword(stack, { randomProvider: false, configOnlyInStackFile: true })).toBe("generated");
        expect(runs()).toEqual([`config set ${PASSWORD_KEY} --secret`]);
    });

    it("hands the generated password to pulumi on stdin, never as an argument", async () => {
        const { stack, record } = fakeStack({}, []);
        await ensurePassword(stack, { randomProvider: false, configOnlyInStackFile: true });
        const lines = fs.readFileSync(record, "utf8").trim().split("\n");
        expect(lines[0]).toBe(`args: config set ${PASSWORD_KEY} --secret --stack c-ada --non-interactive`);
        expect(lines[1]).toMatch(/^stdin: [A-Za-z0-9_-]{24}$/);
    });

    it("keeps a password the stack file has, without any CLI run", async () => {
        const { stack, runs } = fakeStack({ [PASSWORD_KEY]: { secure: "v1:abc" } });
        expect(await ensurePassword(stack)).toBe("configured");
        expect(runs()).toEqual([]);
    });

    it("sets nothing when a random provider is known to be there", async () => {
        const { stack, runs } = fakeStack({}, [{ name: "random", kind: "resource" }]);
        expect(await ensurePassword(stack, { configOnlyInStackFile: true })).toBe("random-provider");
        expect(runs()).toEqual(["plugin ls"]);
    });
});

describe("randomProviderIn", () => {
    it("finds an installed random resource plugin, not a kubernetes one", () => {
        expect(randomProviderIn([{ name: "random", kind: "resource" } as never])).toBe(true);
        const saved = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            expect(randomProviderIn([{ name: "kubernetes", kind: "resource" } as never])).toBe(false);
        } finally {
            process.env.PATH = saved;
        }
    });
});

describe("repairFileBackend", () => {
    const saved = process.env.PULUMI_BACKEND_URL;
    afterEach(() => {
        process.env.PULUMI_BACKEND_URL = saved;
    });

    it("removes the empty or cut attributes a killed pulumi left, and keeps whole ones and every blob", () => {
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-backend-"));
        const stacks = path.join(backend, ".pulumi", "stacks", "podlab");
        fs.mkdirSync(stacks, { recursive: true });
        const whole = '{"user.content_type":"text/plain; charset=utf-8","md5":"XxrSoUPeLGzWUBavAIckEA=="}\n';
        fs.writeFileSync(path.join(stacks, "c-ada.json"), "{}");
        fs.writeFileSync(path.join(stacks, "c-ada.json.attrs"), whole);
        fs.writeFileSync(path.join(stacks, "c-grace.json"), "{}");
        fs.writeFileSync(path.join(stacks, "c-grace.json.attrs"), "");
        fs.writeFileSync(path.join(backend, ".pulumi", "meta.yaml.attrs"), whole.slice(0, 20));
        process.env.PULUMI_BACKEND_URL = `file://${backend}`;

        expect(repairFileBackend().sort()).toEqual([
            "removed meta.yaml.attrs, the half-written attributes of a killed pulumi",
            "removed stacks/podlab/c-grace.json.attrs, the half-written attributes of a killed pulumi",
        ]);
        expect(fs.readdirSync(stacks).sort()).toEqual(["c-ada.json", "c-ada.json.attrs", "c-grace.json"]);
        expect(repairFileBackend()).toEqual([]);
    });

    it("leaves another backend alone", () => {
        process.env.PULUMI_BACKEND_URL = "https://api.pulumi.com";
        expect(repairFileBackend()).toEqual([]);
    });
});

describe("importing cli/automation.ts", () => {
    it("installs no process-wide handler: each command's entry point does (cli/runMain.ts)", () => {
        const before = process.listeners("unhandledRejection").length;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        jest.isolateModules(() => require("../../cli/automation"));
        expect(process.listeners("unhandledRejection")).toHaveLength(before);
    });
});
