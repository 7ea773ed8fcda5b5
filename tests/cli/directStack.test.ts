/**
 * How podlab drives the Pulumi CLI directly around an update: what it runs,
 * in what order and what it reads back, when a stack is new, when a killed run left a lock or pending operations, when
 * another run holds the stack, and when a workspace's config comes from the
 * backend. A stand-in `pulumi` records each run (tests/cli/fakePulumi.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_NAME, recoverStack } from "../../cli/automation";
import { PassphraseKeys } from "../../cli/passphrase";
import { PulumiCli, directStack, initStack, refreshConfig, upInline } from "../../cli/pulumiRun";
import { StackLockedError, releasingStaleLock } from "../../cli/stackLock";
import { stackFile, upStack } from "../../cli/stackUp";
import { FakePulumi, updateEvents } from "./fakePulumi";

const program = async () => ({});
const OUTPUTS = { namespace: "podlab-c-ada" };
const DEAD_PID = 2 ** 22 + 7; // above Linux's pid_max: no such process
const lockError = (pid: number, host = os.hostname()) =>
    `error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.\n  file:///b/.pulumi/locks/organization/podlab/c-ada/x.json: created by root@${host} (pid ${pid}) at 2026-12-05T00:00:00Z\n`;

function cliFor(fake: FakePulumi, doc?: Record<string, unknown>): PulumiCli {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-ws-"));
    const cli = { command: fake.command, workDir, stack: "c-ada" };
    if (doc !== undefined) {
        fs.writeFileSync(stackFile(cli), yaml.dump(doc));
    }
    return cli;
}

/** Runs `f` with these environment variables set, then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
    const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    const set = (v: Record<string, string | undefined>) => Object.entries(v).forEach(([k, x]) => (x === undefined ? delete process.env[k] : (process.env[k] = x)));
    set(vars);
    try {
        return await f();
    } finally {
        set(old);
    }
}

describe("a new learner's stack", () => {
    it("is created, then updated: two runs (the password encrypted into its config file beforehand)", async () => {
        const fake = new FakePulumi([{}, { events: updateEvents(OUTPUTS) }]);
        const cli = cliFor(fake, { config: { "podlab:namespace": "podlab-c-ada" } });
        const r = await upStack(cli, { exists: false, randomProvider: false, keys: new PassphraseKeys("p") }, { program, refresh: true });
        expect(fake.subcommands()).toEqual(["stack init", "up"]);
        expect(r.runs).toEqual(["stack init", "up"]);
        expect(r.created).toBe(true);
    });

    it("an existing stack is one run, and a stack init that finds the stack there (another run made it) goes on to the update", async () => {
        const existing = new FakePulumi([{ events: updateEvents(OUTPUTS) }]);
        await upStack(cliFor(existing, { config: {} }), { exists: true, randomProvider: true }, { program });
        expect(existing.subcommands()).toEqual(["up"]);
        const raced = new FakePulumi([{ code: 255, stderr: "error: stack 'c-ada' already exists\n" }, { events: updateEvents(OUTPUTS) }]);
        const r = await upStack(cliFor(raced, { config: {} }), { exists: false, randomProvider: true }, { program });
        expect(raced.subcommands()).toEqual(["stack init", "up"]);
        expect(r.created).toBe(false);
    });

    it("gets the secrets provider named for new stacks (PODLAB_SECRETS_PROVIDER) at stack init", async () => {
        const fake = new FakePulumi([{}]);
        await withEnv({ PODLAB_SECRETS_PROVIDER: "awskms://alias/podlab" }, () => initStack(cliFor(fake)));
        expect(fake.runs()[0].args).toEqual(["stack", "init", "c-ada", "--no-select", "--secrets-provider", "awskms://alias/podlab", "--non-interactive"]);
    });
});

describe("refreshConfig", () => {
    it("config refresh says whether there was a deployment to restore from", async () => {
        const fake = new FakePulumi([{}, { code: 255, stderr: "error: no previous deployment found for stack c-ada\n" }, { code: 255, stderr: "error: permission denied\n" }]);
        const cli = cliFor(fake);
        expect(await refreshConfig(cli)).toBe(true);
        expect(await refreshConfig(cli)).toBe(false);
        await expect(refreshConfig(cli)).rejects.toThrow("permission denied");
        expect(fake.runs().map((r) => r.args)).toEqual([
            ["config", "refresh", "--force", "--stack", "c-ada", "--non-interactive"],
            ["config", "refresh", "--force", "--stack", "c-ada", "--non-interactive"],
            ["config", "refresh", "--force", "--stack", "c-ada", "--non-interactive"],
        ]);
    });
});

describe("a lock met by an update (any backend)", () => {
    it("left by a killed pulumi of this machine: `pulumi cancel`, then the update once more, and a note", async () => {
        const fake = new FakePulumi([{ code: 255, stderr: lockError(DEAD_PID) }, {}, { events: updateEvents(OUTPUTS) }]);
        const cli = cliFor(fake, { config: {} });
        const notes: string[] = [];
        const r = await releasingStaleLock(directStack(cli), () => upInline(cli, { program }), notes);
        expect(fake.subcommands()).toEqual(["up", "cancel", "up"]);
        expect(fake.runs()[1].args).toEqual(["cancel", "--yes", "--stack", "c-ada", "--non-interactive"]);
        expect(notes).toEqual([`released the lock of a killed pulumi (pid ${DEAD_PID} on ${os.hostname()} (user root) since 2026-12-05T00:00:00Z)`]);
        expect(r.outputs.namespace.value).toBe("podlab-c-ada");
    });

    it("held by a live pulumi, or one on another machine: refused naming it, nothing cancelled", async () => {
        for (const stderr of [lockError(process.pid), lockError(DEAD_PID, "elsewhere.example")]) {
            const fake = new FakePulumi([{ code: 255, stderr }]);
            const cli = cliFor(fake, { config: {} });
            await expect(releasingStaleLock(directStack(cli), () => upInline(cli, { program }), [])).rejects.toThrow(StackLockedError);
            expect(fake.subcommands()).toEqual(["up"]);
        }
    });
});

describe("recoverStack driving the CLI directly", () => {
    /** A file backend holding a lock of `pid` and `pending` pending operations for c-ada. */
    function fileBackend(pid: number | undefined, pending: number): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-backend-"));
        const stacks = path.join(dir, ".pulumi", "stacks", PROJECT_NAME);
        fs.mkdirSync(stacks, { recursive: true });
        const ops = Array.from({ length: pending }, (_, i) => ({ type: "creating", resource: { urn: `urn:x${i}` } }));
        fs.writeFileSync(path.join(stacks, "c-ada.json"), JSON.stringify({ version: 3, checkpoint: { latest: { pending_operations: ops } } }));
        if (pid !== undefined) {
            const locks = path.join(dir, ".pulumi", "locks", "organization", PROJECT_NAME, "c-ada");
            fs.mkdirSync(locks, { recursive: true });
            fs.writeFileSync(path.join(locks, "l.json"), JSON.stringify({ pid, hostname: os.hostname(), username: "root", timestamp: "2026-12-05T00:00:00Z" }));
        }
        return `file://${dir}`;
    }

    it("in a file backend with nothing to recover: no CLI run at all", async () => {
        const fake = new FakePulumi([]);
        expect(await withEnv({ PULUMI_BACKEND_URL: fileBackend(undefined, 0) }, () => recoverStack(directStack(cliFor(fake))))).toEqual([]);
        expect(fake.runs()).toEqual([]);
    });

    it("a killed run's lock and pending creates: `cancel`, then `refresh --clear-pending-creates`", async () => {
        const fake = new FakePulumi([{}, { events: updateEvents(OUTPUTS, { same: 3 }) }]);
        const notes = await withEnv({ PULUMI_BACKEND_URL: fileBackend(DEAD_PID, 2) }, () => recoverStack(directStack(cliFor(fake))));
        expect(fake.subcommands()).toEqual(["cancel", "refresh"]);
        expect(fake.runs()[1].args).toEqual(["refresh", "--yes", "--skip-preview", "--color", "never", "--clear-pending-creates", "--json", "--stack", "c-ada", "--non-interactive"]);
        expect(notes).toEqual([expect.stringMatching(/^released the lock of a killed pulumi \(pid \d+/), "resolved 2 pending operation(s) of an interrupted run with a refresh"]);
    });

    it("a live holder's lock in a file backend: refused before any run", async () => {
        const fake = new FakePulumi([]);
        await expect(withEnv({ PULUMI_BACKEND_URL: fileBackend(process.pid, 0) }, () => recoverStack(directStack(cliFor(fake))))).rejects.toThrow(StackLockedError);
        expect(fake.runs()).toEqual([]);
    });

    it("another backend: the state read with one `stack export`; pending operations resolved", async () => {
        const state = (n: number) => JSON.stringify({ version: 3, deployment: { pending_operations: Array.from({ length: n }, () => ({ type: "creating" })) } });
        const clean = new FakePulumi([{ stdout: state(0) }]);
        expect(await withEnv({ PULUMI_BACKEND_URL: "postgres://u:p@127.0.0.1/db" }, () => recoverStack(directStack(cliFor(clean))))).toEqual([]);
        expect(clean.runs().map((r) => r.args)).toEqual([["stack", "export", "--stack", "c-ada", "--non-interactive"]]);
        const pending = new FakePulumi([{ stdout: state(1) }, { events: updateEvents(OUTPUTS) }]);
        expect(await withEnv({ PULUMI_BACKEND_URL: "postgres://u:p@127.0.0.1/db" }, () => recoverStack(directStack(cliFor(pending))))).toEqual([
            "resolved 1 pending operation(s) of an interrupted run with a refresh",
        ]);
        expect(pending.subcommands()).toEqual(["stack export", "refresh"]);
    });

    it("another backend: a state larger than the tail of output kept for error messages is read whole", async () => {
        const big = JSON.stringify({ version: 3, deployment: { resources: Array.from({ length: 2000 }, (_, i) => ({ urn: `urn:pulumi:c-ada::podlab::kubernetes:core/v1:Pod::pod-${i}`, outputs: { padding: "x".repeat(40) } })), pending_operations: [] } }, null, 4);
        expect(big.length).toBeGreaterThan(64 * 1024);
        const fake = new FakePulumi([{ stdout: big }]);
        expect(await withEnv({ PULUMI_BACKEND_URL: "postgres://u:p@127.0.0.1/db" }, () => recoverStack(directStack(cliFor(fake))))).toEqual([]);
    });
});
