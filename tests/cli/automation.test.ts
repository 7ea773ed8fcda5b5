import { Stack } from "@pulumi/pulumi/automation";
import { PASSWORD_KEY, ensurePassword, randomProviderIn } from "../../cli/automation";

/** A stack whose workspace answers from the given config file and plugins, recording every CLI-backed call. */
function fakeStack(fileConfig: Record<string, unknown> | undefined, plugins: { name: string; kind: string }[] = []) {
    const calls: string[] = [];
    const stack = {
        name: "c-ada",
        workspace: {
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
        setConfig: async (key: string, value: { value: string; secret?: boolean }) => {
            calls.push(`config set ${key}${value.secret ? " --secret" : ""}`);
        },
    };
    return { stack: stack as unknown as Stack, calls };
}

describe("ensurePassword", () => {
    it("asks the CLI for the config and the plugins when it knows nothing, then sets a secret password", async () => {
        const { stack, calls } = fakeStack({});
        expect(await ensurePassword(stack)).toBe("generated");
        expect(calls).toEqual(["config --show-secrets", "plugin ls", `config set ${PASSWORD_KEY} --secret`]);
    });

    it("with what the course knows (config only in the stack file, no random provider), runs only the config set", async () => {
        const { stack, calls } = fakeStack({ "podlab:namespace": "podlab-c-ada" });
        expect(await ensurePassword(stack, { randomProvider: false, configOnlyInStackFile: true })).toBe("generated");
        expect(calls).toEqual([`config set ${PASSWORD_KEY} --secret`]);
    });

    it("keeps a password the stack file has, without any CLI run", async () => {
        const { stack, calls } = fakeStack({ [PASSWORD_KEY]: { secure: "v1:abc" } });
        expect(await ensurePassword(stack)).toBe("configured");
        expect(calls).toEqual([]);
    });

    it("sets nothing when a random provider is known to be there", async () => {
        const { stack, calls } = fakeStack({}, [{ name: "random", kind: "resource" }]);
        expect(await ensurePassword(stack, { configOnlyInStackFile: true })).toBe("random-provider");
        expect(calls).toEqual(["plugin ls"]);
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
