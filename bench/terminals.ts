/**
 * `npm run bench:terminals`: a class's terminals at once on the lab's real
 * node. N learners (default 20) of an exercise course each have a terminal
 * open into their workbench, all at the same time, and every terminal types
 * keys at a person's pace; each key's round trip (sent, until its echo comes
 * back from the shell's TTY) is timed:
 *   - through `course serve`: a WebSocket to the server, exec with the
 *     learner's credential (what a learner's page does, without the browser);
 *   - with `kubectl exec -it` directly, each under `script` for a TTY (what a
 *     learner with kubectl on their own machine does).
 * The two sides alternate over --runs runs. Memory per open terminal: the
 * server's RSS with all terminals open less its RSS with none, per terminal;
 * beside it a `kubectl exec` process's own RSS (with its `script`).
 * Prints the figures; asserts nothing.
 *
 * Writes the figures to bench/results/terminals.json (docs/benchmarks.md and
 * docs/workspace.md quote them from there, `npm run docs`).
 *
 *   node bin/bench/terminals.js [--learners 20] [--keys 40] [--runs 2]
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { WebSocket } from "ws";
import { SubcommandSpec, countFlag } from "../cli/args";
import { PROJECT_DIR } from "../cli/automation";
import { PROTOCOL, SECRET_PROTOCOL_PREFIX } from "../cli/serve/http";
import { WORKBENCH_CONTAINER, WORKBENCH_POD_NAME, WORKBENCH_SHELL } from "../components/workbench";
import { privateBackend, requireLoopbackLab } from "./lab";
import { benchFlags } from "./options";
import { childPids, killTree, loadAverage, runCommand } from "./proc";
import { secs } from "./stats";
import { runMain } from "../cli/runMain";

const RESULTS = path.join(PROJECT_DIR, "bench", "results", "terminals.json");
const COURSE = "benchterm";
const COURSE_CLI = path.join(PROJECT_DIR, "bin", "cli", "course", "main.js");
/** A person's pace: a key every 50-150 ms. */
const KEY_GAP_MS = [50, 150] as const;
/** The issue's goal, quoted beside the figures (not asserted). */
const GOAL = { p99Ms: 100, mibPerTerminal: 20 } as const;

const FLAGS: SubcommandSpec = {
    summary: "a class's terminals at once on the lab's real node: keystroke round trips through course serve and with kubectl exec -it, memory per open terminal",
    flags: {
        learners: { type: "string", valueName: "N", description: "learners, each with a terminal open (default 20, at most 200)" },
        keys: { type: "string", valueName: "N", description: "keys typed into each terminal per run (default 40, at most 200)" },
        runs: { type: "string", valueName: "N", description: "runs of each side, alternating (default 2, at most 200)" },
    },
};

function options(argv: string[]): { learners: number; keys: number; runs: number } {
    const v = benchFlags("node bin/bench/terminals.js", FLAGS, argv);
    return { learners: countFlag("learners", v.learners, 20, 200), keys: countFlag("keys", v.keys, 40, 200), runs: countFlag("runs", v.runs, 2, 200) };
}

/** One open terminal, either side: keys in, bytes out. */
interface Terminal {
    send(key: string): void;
    onOutput(listener: (text: string) => void): void;
    /** Ends the shell as a learner does (exit), and resolves once it has closed. */
    end(): Promise<void>;
    /** Processes of its own (the direct side's script and kubectl), for their memory. */
    pids: () => number[];
}

/** A terminal's control sequence (CSI): ESC [ parameters, a final letter. */
const CONTROL_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");

/** Resolves once the terminal's output ends in a shell prompt. */
function prompt(t: Terminal, what: string, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
        let seen = "";
        const timer = setTimeout(() => reject(new Error(`${what}: no prompt within ${timeoutMs / 1000} s; it printed: ${JSON.stringify(seen.slice(-300))}`)), timeoutMs);
        t.onOutput((text) => {
            // Without the terminal's control sequences (bash turns bracketed paste on around its prompt).
            seen += text.replace(CONTROL_SEQUENCE, "");
            if (/[$#] $/.test(seen)) {
                clearTimeout(timer);
                resolve();
            }
        });
    });
}

/** Types `keys` letters one by one at a person's pace, timing each until its echo; then clears the line (Ctrl-U). */
async function typeAndTime(t: Terminal, keys: number): Promise<number[]> {
    const times: number[] = [];
    let waiting: { key: string; sentAt: number; done: () => void } | undefined;
    t.onOutput((text) => {
        if (waiting !== undefined && text.includes(waiting.key)) {
            times.push(performance.now() - waiting.sentAt);
            const w = waiting;
            waiting = undefined;
            w.done();
        }
    });
    for (let i = 0; i < keys; i++) {
        await new Promise((r) => setTimeout(r, KEY_GAP_MS[0] + Math.random() * (KEY_GAP_MS[1] - KEY_GAP_MS[0])));
        const key = String.fromCharCode(97 + (i % 26));
        await new Promise<void>((done) => {
            waiting = { key, sentAt: performance.now(), done };
            t.send(key);
        });
    }
    t.send("\x15");
    return times;
}

/** A terminal through the workspace server: the learner page's WebSocket, with the learner's link. */
function serverTerminal(origin: string, secret: string): Promise<Terminal> {
    const url = `${origin.replace(/^http/, "ws")}/api/learner/terminal?session=${randomBytes(18).toString("base64url")}&cols=120&rows=40`;
    const ws = new WebSocket(url, [PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${secret}`], { origin });
    const listeners: Array<(text: string) => void> = [];
    ws.on("message", (data: Buffer, isBinary: boolean) => isBinary && listeners.forEach((l) => l(data.toString("utf8"))));
    const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    return new Promise((resolve, reject) => {
        ws.once("open", () =>
            resolve({
                send: (key) => ws.send(Buffer.from(key)),
                onOutput: (l) => listeners.push(l),
                end: () => (ws.send(Buffer.from("exit\r")), withTimeout(closed, () => ws.terminate())),
                pids: () => [],
            }),
        );
        ws.once("unexpected-response", (_req, res) => reject(new Error(`the server refused the terminal: ${res.statusCode}`)));
        ws.once("error", reject);
    });
}

/** A terminal with `kubectl exec -it` into the same workbench, with the learner's kubeconfig, under `script` for a TTY. */
function directTerminal(kubeconfig: string, namespace: string): Terminal {
    const exec = ["kubectl", `--kubeconfig=${kubeconfig}`, "--namespace", namespace, "exec", "-it", WORKBENCH_POD_NAME, "-c", WORKBENCH_CONTAINER, "--", ...WORKBENCH_SHELL];
    const quoted = exec.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const child: ChildProcess = spawn("script", ["-qfec", `stty cols 120 rows 40; exec ${quoted}`, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    const listeners: Array<(text: string) => void> = [];
    child.stdout!.on("data", (d: Buffer) => listeners.forEach((l) => l(d.toString("utf8"))));
    child.stderr!.on("data", () => undefined);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
        send: (key) => child.stdin!.write(key),
        onOutput: (l) => listeners.push(l),
        end: () => (child.stdin!.write("exit\r"), withTimeout(exited, () => killTree(child.pid!))),
        pids: () => [child.pid!, ...descendants(child.pid!)],
    };
}

/** Waits for `p` up to 10 s, then `force`s it. */
async function withTimeout(p: Promise<void>, force: () => void): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(() => (force(), resolve()), 10_000)))]);
    clearTimeout(timer);
}

function descendants(pid: number): number[] {
    const kids = childPids(pid);
    return [...kids, ...kids.flatMap(descendants)];
}

/** A process's resident memory (VmRSS), bytes; 0 once it is gone. */
function rss(pid: number): number {
    try {
        const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m === null ? 0 : Number(m[1]) * 1024;
    } catch {
        return 0;
    }
}

/** The p-th percentile (nearest rank) of the samples. */
function percentile(samples: number[], p: number): number {
    const xs = [...samples].sort((a, b) => a - b);
    return xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const mibOf = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** A running `course serve` and the links it printed. */
async function startServer(roster: string, out: string): Promise<{ child: ChildProcess; origin: string; secrets: Record<string, string> }> {
    const child = spawn(process.execPath, [COURSE_CLI, "serve", "--roster", roster, "--out", out, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
    await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => /Stop with Ctrl-C/.test(text) && (clearInterval(timer), resolve()), 100);
        child.once("exit", (code) => (clearInterval(timer), reject(new Error(`course serve exited ${code}:\n${text}`))));
    });
    const links = [...text.matchAll(/^ {2}(\S+) +(http:\/\/\S+)#(\S+)/gm)];
    return { child, origin: new URL(links[0][2]).origin, secrets: Object.fromEntries(links.map((m) => [m[1], m[3]])) };
}

interface Side {
    name: string;
    times: number[];
    /** Resident memory per open terminal, bytes, one figure per run. */
    perTerminal: number[];
}

async function main(): Promise<void> {
    const o = options(process.argv.slice(2));
    if (process.env.PODLAB_NODE === "kwok") {
        throw new Error("bench:terminals runs on the lab's real node (PODLAB_NODE=real): the KWOK node runs no shells");
    }
    await requireLoopbackLab();
    const startedAt = new Date();
    const loadAtStart = loadAverage()[0];
    const root = privateBackend();
    const out = path.join(root, "course");
    const roster = path.join(root, "roster.yaml");
    const learners = Array.from({ length: o.learners }, (_, i) => `t${String(i + 1).padStart(2, "0")}`);
    fs.writeFileSync(roster, yaml.dump({ course: COURSE, mode: "exercise", learners }));
    const course = (...args: string[]) => runCommand(process.execPath, [COURSE_CLI, ...args, "--roster", roster, "--out", out]);
    const namespace = (l: string) => `podlab-${COURSE}-${l}`;
    await runCommand("kubectl", ["delete", "namespace", `--selector=podlab.dev/course=${COURSE}`, "--ignore-not-found", "--wait=true", "--timeout=300s"]);
    console.log(`course ${COURSE}: ${o.learners} exercise learners (a workbench each) on the lab's real node, ${os.cpus().length} cpus; ${o.keys} keys per terminal, one every ${KEY_GAP_MS.join("-")} ms, all terminals at once`);
    const server: Side = { name: "through course serve", times: [], perTerminal: [] };
    const direct: Side = { name: "kubectl exec -it", times: [], perTerminal: [] };
    let serve: Awaited<ReturnType<typeof startServer>> | undefined;
    const loads: number[] = [];
    try {
        const up = await course("up");
        console.log(`course up: ${secs(up.ms)} s (exit ${up.code}; context, not a figure measured here)`);
        if (up.code !== 0) {
            throw new Error(`course up failed:\n${up.stdout}${up.stderr}`);
        }
        for (const l of learners) {
            await runCommand("kubectl", ["wait", "--for=condition=Ready", `pod/${WORKBENCH_POD_NAME}`, "-n", namespace(l), "--timeout=300s"]);
        }
        serve = await startServer(roster, out);
        const s = serve;
        for (let run = 0; run < o.runs; run++) {
            // Alternating which goes first, so neither always meets a warmer or busier node.
            for (const side of run % 2 === 0 ? [server, direct] : [direct, server]) {
                const load = loadAverage()[0];
                loads.push(load);
                await new Promise((r) => setTimeout(r, 2000));
                const idle = rss(s.child.pid!);
                const terminals =
                    side === server
                        ? await Promise.all(learners.map((l) => serverTerminal(s.origin, s.secrets[l])))
                        : learners.map((l) => directTerminal(path.join(out, l, "kubeconfig"), namespace(l)));
                await Promise.all(terminals.map((t, i) => prompt(t, `${side.name}, ${learners[i]}`)));
                const times = (await Promise.all(terminals.map((t) => typeAndTime(t, o.keys)))).flat();
                const perTerminal =
                    side === server ? (rss(s.child.pid!) - idle) / terminals.length : terminals.reduce((sum, t) => sum + t.pids().reduce((a, pid) => a + rss(pid), 0), 0) / terminals.length;
                await Promise.all(terminals.map((t) => t.end()));
                side.times.push(...times);
                side.perTerminal.push(perTerminal);
                console.log(
                    `  run ${run + 1}, ${side.name.padEnd(20)}: p50 ${ms(percentile(times, 50))} ms, p99 ${ms(percentile(times, 99))} ms, max ${ms(Math.max(...times))} ms over ${times.length} keys; ` +
                        `${mibOf(perTerminal)} MiB per open terminal${side === server ? ` (server ${mibOf(idle)} MiB with none open)` : " (script + kubectl)"}; load ${load}`,
                );
            }
        }
    } finally {
        if (serve !== undefined) {
            serve.child.kill("SIGTERM");
        }
        const down = await course("down");
        console.log(`course down: ${secs(down.ms)} s (exit ${down.code})${down.code === 0 ? "" : `\n${down.stdout}${down.stderr}`}`);
        fs.rmSync(root, { recursive: true, force: true });
    }
    console.log(`\n${o.learners} terminals open at once, keystroke to echo, ms (all runs):`);
    console.log(`  ${"".padEnd(22)}${"p50".padStart(8)}${"p99".padStart(8)}${"max".padStart(8)}   MiB per open terminal`);
    for (const side of [server, direct]) {
        const perTerminal = side.perTerminal.reduce((a, b) => a + b, 0) / side.perTerminal.length;
        console.log(`  ${side.name.padEnd(22)}${ms(percentile(side.times, 50)).padStart(8)}${ms(percentile(side.times, 99)).padStart(8)}${ms(Math.max(...side.times)).padStart(8)}   ${mibOf(perTerminal)}`);
    }
    console.log(`  goal (issue 21): p99 under ${GOAL.p99Ms} ms and under ${GOAL.mibPerTerminal} MiB per open terminal through the server (not asserted)`);
    const results = {
        at: startedAt.toISOString(),
        learners: o.learners,
        keysPerTerminal: o.keys,
        runs: o.runs,
        cpus: os.cpus().length,
        loadAtStart: loadAtStart,
        loadDuringRuns: loads,
        goal: GOAL,
        sides: [server, direct].map((side) => ({
            name: side.name,
            keys: side.times.length,
            p50Ms: Number(ms(percentile(side.times, 50))),
            p99Ms: Number(ms(percentile(side.times, 99))),
            maxMs: Number(ms(Math.max(...side.times))),
            mibPerTerminal: Number(mibOf(side.perTerminal.reduce((a, b) => a + b, 0) / side.perTerminal.length)),
        })),
    };
    fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
    console.log(`results: ${path.relative(PROJECT_DIR, RESULTS)}`);
}

runMain("bench:terminals", main);
