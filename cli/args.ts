/**
 * Command-line parsing for podlab's commands (`npm run stack`, `npm run course`, `npm run bench`),
 * on Node's own `util.parseArgs`: one table of subcommands and flags, `--help`
 * on every subcommand, and an error that names any unknown flag or subcommand.
 */
import { parseArgs } from "util";

/** One flag of a subcommand. */
export interface FlagSpec {
    type: "string" | "boolean";
    /** May be given more than once (the value becomes a list). */
    multiple?: boolean;
    /** Placeholder shown in the help, for string flags: `--out DIR`. */
    valueName?: string;
    description: string;
}

/** A subcommand: its flags and whether it takes positional arguments. */
export interface SubcommandSpec {
    summary: string;
    flags: Record<string, FlagSpec>;
    /** Name of the positional arguments in the help (e.g. `LEARNER...`); none are accepted without it. */
    positionals?: string;
}

/** A command line that cannot be run; the message says why and how to get help. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

export type ParsedArgs =
    | { help: string }
    | { help?: undefined; subcommand: string; values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

/** Usage text of the whole command: one line per subcommand. */
export function commandHelp(command: string, subcommands: Record<string, SubcommandSpec>): string {
    const width = Math.max(...Object.keys(subcommands).map((s) => s.length));
    const lines = Object.entries(subcommands).map(([name, s]) => `  ${name.padEnd(width)}  ${s.summary}`);
    return [`usage: ${command} <${Object.keys(subcommands).join("|")}> [flags]`, "", ...lines, "", `${command} <subcommand> --help shows its flags.`].join("\n");
}

/** Usage text of one subcommand (or of a command without subcommands: name ""), with every flag. */
export function subcommandHelp(command: string, name: string, spec: SubcommandSpec): string {
    const flagText = (flag: string, f: FlagSpec) => `--${flag}${f.type === "string" ? ` ${f.valueName ?? "VALUE"}` : ""}`;
    const entries = Object.entries(spec.flags).map(([flag, f]) => [flagText(flag, f), f.description + (f.multiple ? " (repeatable)" : "")]);
    entries.push(["--help", "show this help"]);
    const width = Math.max(...entries.map(([f]) => f.length));
    return [
        `usage: ${name === "" ? command : `${command} ${name}`} [flags]${spec.positionals ? ` [${spec.positionals}]` : ""}`,
        "",
        spec.summary,
        "",
        ...entries.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    ].join("\n");
}

/**
 * Parses `argv` (without the node and script paths) against the table.
 * Returns the help text when `--help` was asked for; throws a
 * {@link UsageError} naming an unknown subcommand, flag or stray argument.
 */
export function parseCommandLine(command: string, subcommands: Record<string, SubcommandSpec>, argv: string[]): ParsedArgs {
    const [subcommand, ...rest] = argv;
    if (subcommand === "--help" || subcommand === "-h" || subcommand === "help") {
        return { help: commandHelp(command, subcommands) };
    }
    if (subcommand === undefined) {
        throw new UsageError(`no subcommand given\n${commandHelp(command, subcommands)}`);
    }
    const spec = Object.prototype.hasOwnProperty.call(subcommands, subcommand) ? subcommands[subcommand] : undefined;
    if (spec === undefined) {
        throw new UsageError(`unknown subcommand ${JSON.stringify(subcommand)}\n${commandHelp(command, subcommands)}`);
    }
    const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = { help: { type: "boolean", short: "h" } };
    for (const [flag, f] of Object.entries(spec.flags)) {
        options[flag] = f.multiple ? { type: f.type, multiple: true } : { type: f.type };
    }
    const who = subcommand === "" ? command : `${command} ${subcommand}`;
    let parsed: ReturnType<typeof parseArgs>;
    try {
        parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (e) {
        // Node's messages name the flag ("Unknown option '--outt'"); add where the help is.
        throw new UsageError(`${who}: ${(e as Error).message.split(". To specify")[0]}\n(${who} --help lists its flags)`);
    }
    if (parsed.values.help === true) {
        return { help: subcommandHelp(command, subcommand, spec) };
    }
    if (parsed.positionals.length > 0 && spec.positionals === undefined) {
        throw new UsageError(`${who}: unexpected argument ${JSON.stringify(parsed.positionals[0])}\n(${who} --help lists its flags)`);
    }
    const values = { ...parsed.values } as Record<string, string | boolean | string[] | undefined>;
    delete values.help;
    return { subcommand, values, positionals: parsed.positionals };
}

/** A command without subcommands (`npm run bench -- [flags]`): the same table and errors, one spec. */
export function parseFlags(command: string, spec: SubcommandSpec, argv: string[]): { help: string } | { help?: undefined; values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
    const parsed = parseCommandLine(command, { "": spec }, ["", ...argv]);
    return parsed.help !== undefined ? { help: parsed.help } : { values: parsed.values, positionals: parsed.positionals };
}

/** A flag's whole number in [1, max] (`--runs 3`), or the default when the flag is absent; a UsageError names the flag and the value. */
export function countFlag(flag: string, value: string | boolean | string[] | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
    if (value === undefined) {
        return fallback;
    }
    const n = typeof value === "string" ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > max) {
        throw new UsageError(`--${flag} takes a whole number in 1-${max === Number.MAX_SAFE_INTEGER ? "..." : max}; got ${JSON.stringify(value)}`);
    }
    return n;
}

