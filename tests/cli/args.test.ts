import { SubcommandSpec, UsageError, countFlag, parseCommandLine, parseFlags } from "../../cli/args";

const SUBCOMMANDS: Record<string, SubcommandSpec> = {
    up: {
        summary: "bring it up",
        flags: {
            out: { type: "string", valueName: "DIR", description: "where files go" },
            pack: { type: "string", multiple: true, valueName: "DIR", description: "a pack" },
            quiet: { type: "boolean", description: "say less" },
        },
        positionals: "LEARNER...",
    },
    status: { summary: "show it", flags: {} },
};

function parse(...argv: string[]) {
    return parseCommandLine("podlab", SUBCOMMANDS, argv);
}

describe("parseCommandLine", () => {
    it("returns the subcommand, its flag values and positionals", () => {
        expect(parse("up", "--out", "/tmp/x", "--pack", "a", "--pack", "b", "--quiet", "ada", "grace")).toEqual({
            subcommand: "up",
            values: { out: "/tmp/x", pack: ["a", "b"], quiet: true },
            positionals: ["ada", "grace"],
        });
    });

    it("gives help for the command and for every subcommand", () => {
        const top = parse("--help");
        expect(top.help).toContain("usage: podlab <up|status> [flags]");
        const up = parse("up", "--help");
        expect(up.help).toContain("usage: podlab up [flags] [LEARNER...]");
        expect(up.help).toMatch(/--out DIR\s+where files go/);
        expect(up.help).toMatch(/--pack DIR\s+a pack \(repeatable\)/);
        expect(parse("status", "-h").help).toContain("usage: podlab status [flags]");
    });

    it("names an unknown flag, subcommand or stray argument", () => {
        expect(() => parse("up", "--outt", "x")).toThrow(/podlab up: Unknown option '--outt'/);
        expect(() => parse("frob")).toThrow(/unknown subcommand "frob"/);
        expect(() => parse("status", "ada")).toThrow(/podlab status: unexpected argument "ada"/);
        expect(() => parse("up", "--out")).toThrow(UsageError);
        expect(() => parse()).toThrow(/no subcommand given/);
    });
});

describe("parseFlags", () => {
    const BENCH: SubcommandSpec = { summary: "measure it", flags: { runs: { type: "string", valueName: "N", description: "how often" }, quick: { type: "boolean", description: "less" } } };

    it("parses a command without subcommands with the same table, help and errors", () => {
        expect(parseFlags("bench", BENCH, ["--runs", "2", "--quick"])).toEqual({ values: { runs: "2", quick: true }, positionals: [] });
        expect((parseFlags("bench", BENCH, ["--help"]) as { help: string }).help).toContain("usage: bench [flags]\n\nmeasure it");
        expect(() => parseFlags("bench", BENCH, ["--rnus", "2"])).toThrow("bench: Unknown option '--rnus'");
        expect(() => parseFlags("bench", BENCH, ["stray"])).toThrow('bench: unexpected argument "stray"');
    });
});

describe("countFlag", () => {
    it("takes a whole number in range, the default when absent, and names the flag and value otherwise", () => {
        expect(countFlag("runs", "3", 2)).toBe(3);
        expect(countFlag("runs", undefined, 2)).toBe(2);
        expect(countFlag("learners", "60", 20, 60)).toBe(60);
        expect(() => countFlag("learners", "61", 20, 60)).toThrow(new UsageError('--learners takes a whole number in 1-60; got "61"'));
        expect(() => countFlag("runs", "0", 2)).toThrow('--runs takes a whole number in 1-...; got "0"');
        expect(() => countFlag("runs", "2.5", 2)).toThrow('--runs takes a whole number in 1-...; got "2.5"');
        expect(() => countFlag("runs", true, 2)).toThrow("--runs takes a whole number in 1-...; got true");
    });
});
