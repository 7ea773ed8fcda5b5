import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { BACKEND_OPEN_ATTEMPTS, PulumiCli, PulumiRunError, destroyStack, initStack, runPulumi, upInline } from "../../cli/pulumiRun";
import { failureReason } from "../../cli/course/environment";
import { FakePulumi, updateEvents } from "./fakePulumi";

function cliFor(fake: FakePulumi): PulumiCli {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-ws-"));
    return { command: fake.command, workDir, stack: "c-ada" };
}

const program = async () => ({});

describe("upInline", () => {
    it("runs one `pulumi up` of the inline program with refresh in the same run, in the stack's directory, and nothing after it", async () => {
        const fake = new FakePulumi([{ events: updateEvents({ namespace: "podlab-c-ada", access: { serviceAccount: "learner" } }) }]);
        const cli = cliFor(fake);
        await upInline(cli, { program, refresh: true });
        const runs = fake.runs();
        expect(runs).toHaveLength(1);
        const args = runs[0].args;
        const client = args.find((a) => a.startsWith("--client="))!;
        expect(args).toEqual([
            "up",
            "--yes",
            "--skip-preview",
            "--color",
            "never",
            client,
            "--exec-kind",
            "auto.inline",
            "--refresh",
            "--run-program=true",
            "--json",
            "--stack",
            "c-ada",
            "--non-interactive",
        ]);
        expect(client).toMatch(/^--client=127\.0\.0\.1:\d+$/);
        expect(runs[0].cwd).toBe(cli.workDir);
        // The real CLI knows --event-log only with PULUMI_DEBUG_COMMANDS set.
        expect(runs[0].debugCommands).toBe("true");
        // The language server answered while the CLI ran, and is gone once it has exited.
        expect(runs[0].clientAnswered).toBe(true);
        const [host, port] = client.slice("--client=".length).split(":");
        const refused = await new Promise<boolean>((resolve) => {
            const s = net.connect(Number(port), host);
            s.on("connect", () => (s.destroy(), resolve(false)));
            s.on("error", () => resolve(true));
        });
        expect(refused).toBe(true);
    });

    it("with the CLI's own display for a person (the deploy command): the display on stdout, the events through a private --event-log file", async () => {
        const fake = new FakePulumi([{ events: updateEvents({ namespace: "podlab-dev" }) }]);
        const shown: string[] = [];
        const r = await upInline(cliFor(fake), { program, display: "text", onOutput: (t) => shown.push(t) });
        const args = fake.runs()[0].args;
        expect(args).not.toContain("--json");
        const log = args[args.indexOf("--event-log") + 1];
        expect(shown.join("")).toBe("Updating (display text)\n");
        expect(r.outputs).toEqual({ namespace: { value: "podlab-dev", secret: false } });
        // The event log lived in a private temporary directory, removed afterwards.
        expect(fs.existsSync(path.dirname(log))).toBe(false);
    });

    it("reads the stack's outputs and the change summary back from the run's own events, a secret output without its value", async () => {
        const events = updateEvents({ namespace: "podlab-c-ada", access: { serviceAccount: "learner" }, token: "[secret]" }, { same: 12, update: 1 });
        const fake = new FakePulumi([{ events }]);
        const seen: EngineEvent[] = [];
        const r = await upInline(cliFor(fake), { program, onEvent: (e) => seen.push(e) });
        expect(r.outputs).toEqual({
            namespace: { value: "podlab-c-ada", secret: false },
            access: { value: { serviceAccount: "learner" }, secret: false },
            token: { value: undefined, secret: true },
        });
        expect(r.changes).toEqual({ same: 12, update: 1 });
        expect(seen.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
        // No refresh asked: no --refresh; parallelism and policy packs passed through.
        const again = new FakePulumi([{ events }]);
        await upInline(cliFor(again), { program, parallel: 16, policyPacks: ["/p"], policyPackConfigs: ["/c.json"] });
        const args = again.runs()[0].args;
        expect(args).not.toContain("--refresh");
        expect(args.join(" ")).toContain("--policy-pack /p --policy-pack-config /c.json --parallel 16");
    });

    it("fails with the CLI's exit status and error; a locked stack is recognised and reported by its error line", async () => {
        const stderr = "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  file:///b/.pulumi/locks/organization/podlab/c-ada/x.json: created by root@lab (pid 4242) at 2026-12-05T10:00:00Z\n";
        const fake = new FakePulumi([{ code: 255, stderr }]);
        const e = await upInline(cliFor(fake), { program, refresh: true }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(PulumiRunError);
        const err = e as PulumiRunError;
        expect(err.code).toBe(255);
        expect(err.locked).toBe(true);
        expect(err.stackNotFound).toBe(false);
        expect(failureReason(err)).toBe("the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.");
        // The language server is shut down after a failed run too.
        const client = fake.runs()[0].args.find((a) => a.startsWith("--client="))!.slice("--client=".length);
        const refused = await new Promise<boolean>((resolve) => {
            const s = net.connect(Number(client.split(":")[1]), "127.0.0.1");
            s.on("connect", () => (s.destroy(), resolve(false)));
            s.on("error", () => resolve(true));
        });
        expect(refused).toBe(true);
    });

    it("a program error reported only as an engine event (with --json nothing is on stderr but 'update failed') is in the failure's reason", async () => {
        const diagnostic = { sequence: 2, timestamp: 2, diagnosticEvent: { message: "podlab:postgres.count must be an integer in 1-100; got 0\n", color: "never", severity: "error" } };
        const fake = new FakePulumi([{ code: 255, stderr: "error: update failed\n", events: [diagnostic] as never }]);
        const e = await upInline(cliFor(fake), { program }).catch((x: unknown) => x);
        expect(failureReason(e)).toBe("podlab:postgres.count must be an integer in 1-100; got 0");
    });
});

describe("initStack, destroyStack, runPulumi", () => {
    it("creates a stack without selecting it; one that exists already is no error", async () => {
        const fake = new FakePulumi([{}, { code: 255, stderr: "error: stack 'c-ada' already exists\n" }]);
        const cli = cliFor(fake);
        expect(await initStack(cli)).toEqual({ created: true });
        expect(await initStack(cli)).toEqual({ created: false });
        // The name as its argument only: the real CLI refuses `--stack` beside it.
        expect(fake.runs()[0].args).toEqual(["stack", "init", "c-ada", "--no-select", "--non-interactive"]);
    });

    it("destroys in one run, removing the stack with it when asked", async () => {
        const fake = new FakePulumi([{ events: updateEvents({}, { delete: 14 }) }]);
        const r = await destroyStack(cliFor(fake), { remove: true });
        expect(r.changes).toEqual({ delete: 14 });
        const args = fake.runs()[0].args;
        expect(args.slice(0, 6)).toEqual(["destroy", "--yes", "--skip-preview", "--color", "never", "--remove"]);
        expect(args.some((a) => a.startsWith("--client"))).toBe(false);
    });

    it("hands a value to the CLI on stdin, never in its arguments", async () => {
        const fake = new FakePulumi([{}]);
        await runPulumi(cliFor(fake), ["config", "set", "podlab:postgresPassword", "--secret"], { input: "s3cret-value" });
        const run = fake.runs()[0];
        expect(run.stdin).toBe("s3cret-value");
        expect(run.args.join(" ")).not.toContain("s3cret-value");
    });

    it("runs again a CLI that lost the race to create a new PostgreSQL backend's table (what PostgreSQL 15 printed), and no other failure", async () => {
        const lost = 'error: unable to open state database "postgres://pulumi:[credential]@127.0.0.1:43711/postgres?sslmode=disable": failed to create table pulumi_state: pq: type "pulumi_state" already exists (42710)\n';
        const lostOnIndex = 'error: failed to create table pulumi_state: pq: duplicate key value violates unique constraint "pg_type_typname_nsp_index"\n';
        const fake = new FakePulumi([{ code: 255, stderr: lost }, { code: 255, stderr: lostOnIndex }, { stdout: "[]" }]);
        expect((await runPulumi(cliFor(fake), ["stack", "ls", "--json"], { stackFlag: false })).stdout).toBe("[]");
        expect(fake.runs()).toHaveLength(3);

        // At most BACKEND_OPEN_ATTEMPTS runs, then the CLI's own error.
        const always = new FakePulumi(Array(BACKEND_OPEN_ATTEMPTS + 1).fill({ code: 255, stderr: lost }));
        await expect(runPulumi(cliFor(always), ["stack", "ls"], { stackFlag: false })).rejects.toThrow('type "pulumi_state" already exists');
        expect(always.runs()).toHaveLength(BACKEND_OPEN_ATTEMPTS);

        // Any other failure (here, a lock) is the caller's: one run.
        const locked = new FakePulumi([{ code: 255, stderr: "error: the stack is currently locked by 1 lock(s)\n" }, {}]);
        await expect(runPulumi(cliFor(locked), ["up"])).rejects.toThrow("currently locked");
        expect(locked.runs()).toHaveLength(1);
    });

    it("says which executable could not be started", async () => {
        const cli = { command: "/nonexistent/pulumi", workDir: os.tmpdir(), stack: "s" };
        await expect(runPulumi(cli, ["version"])).rejects.toThrow("cannot run /nonexistent/pulumi");
    });
});
