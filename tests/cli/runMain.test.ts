import { UsageError } from "../../cli/args";
import { commandFailure, isConfigErrorEcho, runMain } from "../../cli/runMain";
import { PodlabConfigError } from "../../components/validation";

describe("a command's failure", () => {
    it("is printed as '<command>: <message>', exit 2 for a usage error and 1 for anything else", () => {
        expect(commandFailure("course", new UsageError("unknown flag --rooster"))).toEqual({ line: "course: unknown flag --rooster", exitCode: 2 });
        expect(commandFailure("stack", new Error("no such stack"))).toEqual({ line: "stack: no such stack", exitCode: 1 });
        expect(commandFailure("docs", "a thrown string")).toEqual({ line: "docs: a thrown string", exitCode: 1 });
    });

    it("drops only a config error's echo among unhandled rejections", () => {
        expect(isConfigErrorEcho(new PodlabConfigError("podlab:postgres.count must be an integer"))).toBe(true);
        expect(isConfigErrorEcho(new Error("ECONNREFUSED"))).toBe(false);
    });
});

describe("runMain", () => {
    let exits: Array<number | undefined>;
    let printed: string[];
    let listenersBefore: NodeJS.UnhandledRejectionListener[];
    beforeEach(() => {
        exits = [];
        printed = [];
        listenersBefore = process.listeners("unhandledRejection");
        jest.spyOn(console, "error").mockImplementation((line: unknown) => void printed.push(String(line)));
        jest.spyOn(process, "exit").mockImplementation(((code?: number) => void exits.push(code)) as never);
    });
    afterEach(() => {
        jest.restoreAllMocks();
        for (const l of process.listeners("unhandledRejection")) {
            if (!listenersBefore.includes(l)) {
                process.off("unhandledRejection", l);
            }
        }
    });
    /** Runs a command's main and waits until it has exited. */
    async function run(command: string, main: () => Promise<number | void>): Promise<void> {
        runMain(command, main);
        for (let i = 0; i < 10 && exits.length === 0; i++) {
            await new Promise((r) => setImmediate(r));
        }
    }
    /** The unhandledRejection handler the command installed. */
    function handler(): (reason: unknown) => void {
        return process.listeners("unhandledRejection").find((l) => !listenersBefore.includes(l)) as (reason: unknown) => void;
    }

    it("exits with main's status, 0 when it returns none", async () => {
        await run("course", async () => 3);
        await run("stack", async () => undefined);
        expect(exits).toEqual([3, 0]);
        expect(printed).toEqual([]);
    });

    it("prints a rejected main as '<command>: <message>' and exits with its status", async () => {
        await run("stack", async () => {
            throw new Error("no such stack");
        });
        await run("course", async () => {
            throw new UsageError("unknown flag --rooster");
        });
        expect(printed).toEqual(["stack: no such stack", "course: unknown flag --rooster"]);
        expect(exits).toEqual([1, 2]);
    });

    it("installs its unhandledRejection handler when it runs, not on import: it drops a config error's echo and reports anything else", async () => {
        await run("stack", () => new Promise<number>(() => undefined));
        handler()(new PodlabConfigError("podlab:postgres.count must be an integer"));
        expect(exits).toEqual([]);
        handler()(new Error("lost"));
        expect(printed).toEqual(["stack: lost"]);
        expect(exits).toEqual([1]);
    });
});
