/**
 * A stand-in `pulumi` executable for unit tests of how podlab drives the CLI:
 * it records every run (arguments, stdin, working directory, whether the
 * `--client` address answered), writes the engine events it is given to
 * `--event-log`, and exits as told. One planned answer per run, in order.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";

/** How the stand-in answers one run. */
export interface FakeRun {
    /** Exit status (default 0). */
    code?: number;
    stderr?: string;
    /** Printed on stdout as it is (`stack export`'s state, say). */
    stdout?: string;
    /** Events, one JSON line each: on stdout with `--json`, in the file with `--event-log`. */
    events?: Partial<EngineEvent>[];
}

/** What the stand-in saw of one run. */
export interface RecordedRun {
    args: string[];
    stdin: string;
    cwd: string;
    /** With `--client=host:port`: whether a TCP connection to it succeeded while the run was going on. */
    clientAnswered?: boolean;
    /** PULUMI_DEBUG_COMMANDS as the run saw it (the real CLI hides --event-log without it). */
    debugCommands?: string;
}

const SCRIPT = `
const fs = require("fs");
const net = require("net");
const path = require("path");
const dir = process.env.FAKE_PULUMI_DIR;
const n = fs.readdirSync(dir).filter((f) => f.startsWith("run-")).length;
const plan = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8"));
const args = process.argv.slice(2);
// A list: one answer per run, in order. A map: the answer of the first key the command line contains (runs made at once).
const answer = (Array.isArray(plan) ? plan[n] : Object.entries(plan).find(([k]) => args.join(" ").includes(k))?.[1]) || { code: 99, stderr: "error: the stand-in pulumi has no planned answer for run " + n + ": " + args.join(" ") };
const record = { args, stdin: fs.readFileSync(0, "utf8"), cwd: process.cwd(), debugCommands: process.env.PULUMI_DEBUG_COMMANDS };
const finish = () => {
    fs.writeFileSync(path.join(dir, "run-" + String(n).padStart(3, "0") + "-" + process.pid + ".json"), JSON.stringify(record));
    const lines = (answer.events || []).map((e) => JSON.stringify(e) + "\\n").join("");
    const log = args.indexOf("--event-log");
    if (log >= 0) {
        fs.writeFileSync(args[log + 1], lines);
        process.stdout.write("Updating (display text)\\n");
    } else if (args.includes("--json")) {
        process.stdout.write(lines);
    }
    process.stdout.write(answer.stdout || "");
    process.stderr.write(answer.stderr || "");
    // Not process.exit(): it would cut a long stdout still being written to the pipe.
    process.exitCode = answer.code || 0;
};
const client = args.find((a) => a.startsWith("--client="));
if (client) {
    const [host, port] = client.slice("--client=".length).split(":");
    const socket = net.connect(Number(port), host);
    socket.on("connect", () => { record.clientAnswered = true; socket.destroy(); finish(); });
    socket.on("error", () => { record.clientAnswered = false; finish(); });
} else {
    finish();
}
`;

export class FakePulumi {
    readonly dir: string;
    /** The executable to give as the CLI's command. */
    readonly command: string;

    /** One answer per run in order; or, for runs made at once, answers by a part of the command line ("stack ls"). */
    constructor(plan: FakeRun[] | Record<string, FakeRun>) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-fake-pulumi-"));
        this.command = path.join(this.dir, "pulumi");
        fs.writeFileSync(path.join(this.dir, "plan.json"), JSON.stringify(plan));
        fs.writeFileSync(path.join(this.dir, "fake.js"), SCRIPT);
        fs.writeFileSync(this.command, `#!/bin/sh\nFAKE_PULUMI_DIR='${this.dir}' exec '${process.execPath}' '${path.join(this.dir, "fake.js")}' "$@"\n`, { mode: 0o755 });
    }

    /** Every run so far, in order. */
    runs(): RecordedRun[] {
        return fs
            .readdirSync(this.dir)
            .filter((f) => f.startsWith("run-"))
            .sort()
            .map((f) => JSON.parse(fs.readFileSync(path.join(this.dir, f), "utf8")) as RecordedRun);
    }

    /** Each run as its subcommand ("stack init", "stack tag set", "config set", "up"). */
    subcommands(): string[] {
        return this.runs().map((r) => r.args.slice(0, r.args[0] === "stack" ? (r.args[1] === "tag" ? 3 : 2) : r.args[0] === "config" ? 2 : 1).join(" "));
    }
}

/** The events of an update whose stack exports `outputs`, with a summary. */
export function updateEvents(outputs: Record<string, unknown>, changes: Record<string, number> = { create: 3 }): Partial<EngineEvent>[] {
    const stackUrn = "urn:pulumi:s::podlab::pulumi:pulumi:Stack::podlab-s";
    const podUrn = "urn:pulumi:s::podlab::kubernetes:core/v1:Pod::postgres";
    const meta = (urn: string, type: string, op: string, out: Record<string, unknown>) => ({ op, urn, type, provider: "", new: { type, urn, custom: true, inputs: {}, outputs: out, provider: "" } });
    return [
        { sequence: 1, timestamp: 1, preludeEvent: { config: {} } },
        { sequence: 2, timestamp: 2, resourcePreEvent: { metadata: meta(podUrn, "kubernetes:core/v1:Pod", "create", {}) } },
        {
            sequence: 3,
            timestamp: 3,
            resOutputsEvent: { metadata: meta(podUrn, "kubernetes:core/v1:Pod", "create", { apiVersion: "v1", kind: "Pod", metadata: { name: "postgres", namespace: "podlab-s", uid: "u-1" } }) },
        },
        { sequence: 4, timestamp: 4, resOutputsEvent: { metadata: meta(stackUrn, "pulumi:pulumi:Stack", "same", outputs) } },
        { sequence: 5, timestamp: 5, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, policyPacks: {} } },
    ] as unknown as Partial<EngineEvent>[];
}
