/**
 * How each of podlab's commands starts and ends (the course, the deploy
 * command, the docs generator): its main's number is the exit status, and any
 * error is printed one way, `<command>: <message>`, exit 2 for a command line
 * that cannot be run and 1 for everything else. Process-wide handlers are
 * installed here, by the command that runs, never by importing a module.
 */
import { PodlabConfigError } from "../components/validation";
import { UsageError } from "./args";

/**
 * A throw from an inline program (cli/automation.ts) also leaves rejected
 * promises inside the Pulumi runtime (the root stack's outputs) that nobody
 * awaits. The engine has already reported a config error as the update's
 * failure, so such a rejection is only its echo; a process that runs inline
 * programs drops those echoes (the end-to-end suite too) and nothing else.
 */
export function isConfigErrorEcho(reason: unknown): boolean {
    return reason instanceof PodlabConfigError;
}

/** The line a command prints for an error, and its exit status. */
export function commandFailure(command: string, err: unknown): { line: string; exitCode: number } {
    const message = err instanceof Error ? err.message : String(err);
    return { line: `${command}: ${message}`, exitCode: err instanceof UsageError ? 2 : 1 };
}

/** Runs `main` as command `command`, then exits with its status (0 when it returns none). */
export function runMain(command: string, main: () => Promise<number | void>): void {
    const fail = (err: unknown): never => {
        const { line, exitCode } = commandFailure(command, err);
        console.error(line);
        process.exit(exitCode);
    };
    process.on("unhandledRejection", (reason) => {
        if (!isConfigErrorEcho(reason)) {
            fail(reason);
        }
    });
    main().then((code) => process.exit(code ?? 0), fail);
}
