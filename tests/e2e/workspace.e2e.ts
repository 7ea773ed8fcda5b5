/**
 * The browser workspace end to end on the lab's real node: `course up` of an
 * exercise course, `course serve` as an instructor runs it, and a learner in
 * headless Chromium who types the lesson's commands into the terminal (keys
 * into xterm.js, through the server, into their workbench with their own
 * credential) and presses each step's Check until all pass, while the
 * instructor's page shows it live. Then the fences of the server itself: the
 * wrong secret on every route (and the limit on refused attempts), a reload
 * that reattaches, `credentials` closing an open terminal, a restart that
 * serves the same links. Run with `npm run e2e` (real node only).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Page } from "playwright-core";
import { WebSocket } from "ws";
import { PROJECT_DIR } from "../../cli/automation";
import { DATA_ROUTES, PROTOCOL, SECRET_PROTOCOL_PREFIX } from "../../cli/serve/http";
import { FAILURE_LIMIT } from "../../cli/serve/auth";
import { newSecret } from "../../cli/serve/links";
import { STEP_IDS } from "../../cli/lesson/steps";
import { keepScreenshot, withChromium } from "./browser";
import { runCourse, writeRoster } from "./courseRun";
import { kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { privateBackend, requireRealNode, WAIT_MS } from "./lab";

const COURSE = "e2ew";
const LEARNERS = ["ada", "grace"];
const ns = (learner: string) => `podlab-${COURSE}-${learner}`;

let out: string;
let rosterFile: string;

function course(...args: string[]): { status: number; output: string } {
    const r = runCourse(...args, "--roster", rosterFile, "--out", out);
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A running `course serve`: its process, what it printed, and the links it printed. */
interface Server {
    child: ChildProcess;
    output: () => string;
    origin: string;
    learners: Record<string, string>;
    instructor: string;
}

function startServer(listen: string): Promise<Server> {
    const main = path.join(PROJECT_DIR, "bin", "cli", "course", "main.js");
    const child = spawn(process.execPath, [main, "serve", "--roster", rosterFile, "--out", out, "--listen", listen], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let text = "";
    child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
    return new Promise((resolve, reject) => {
        const timer = setInterval(() => {
            if (!/Stop with Ctrl-C/.test(text)) {
                return;
            }
            clearInterval(timer);
            const links = Object.fromEntries([...text.matchAll(/^ {2}(\S+) +(http:\/\/\S+#\S+)/gm)].map((m) => [m[1], m[2]]));
            const { instructor, ...learners } = links;
            resolve({ child, output: () => text, origin: new URL(instructor).origin, learners, instructor });
        }, 100);
        child.once("exit", (code) => {
            clearInterval(timer);
            reject(new Error(`course serve exited ${code}:\n${text}`));
        });
    });
}

function stopServer(s: Server): Promise<void> {
    return new Promise((resolve) => {
        if (s.child.exitCode !== null) {
            return resolve();
        }
        s.child.once("exit", () => resolve());
        s.child.kill("SIGTERM");
    });
}

const secretOf = (link: string) => new URL(link).hash.slice(1);

/** The terminal's text as xterm.js renders it, one line per row, trailing blanks trimmed. */
async function screen(page: Page): Promise<string> {
    return page.$$eval(".xterm-rows > div", (rows) => rows.map((r) => (r.textContent ?? "").replace(/\s+$/, "")).join("\n"));
}

/** Waits until the shell is back at a prompt (the last line that is not blank ends in $ or #) and the screen holds still. */
async function promptBack(page: Page, timeoutMs = 180_000): Promise<string> {
    const t0 = Date.now();
    let last = "";
    let stableSince = Date.now();
    for (;;) {
        const text = await screen(page);
        if (text !== last) {
            last = text;
            stableSince = Date.now();
        }
        const lastLine = text.split("\n").filter((l) => l.trim() !== "").pop() ?? "";
        if (/[$#]$/.test(lastLine) && Date.now() - stableSince > 700) {
            return text;
        }
        if (Date.now() - t0 > timeoutMs) {
            throw new Error(`the terminal did not return to a prompt within ${timeoutMs / 1000} s; it shows:\n${text}`);
        }
        await page.waitForTimeout(200);
    }
}

/** Types a command into xterm.js (key events into its textarea, as a person types) and waits for the prompt; returns the screen then. */
async function typeCommand(page: Page, command: string): Promise<string> {
    await page.click("#terminal");
    await page.keyboard.type(command, { delay: 5 });
    await page.keyboard.press("Enter");
    await page.waitForTimeout(300);
    return promptBack(page);
}

async function openLearner(page: Page, link: string): Promise<{ requests: string[]; errors: string[] }> {
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(link);
    await page.waitForSelector("body[data-terminal=connected]", { timeout: 120_000 });
    await promptBack(page, 60_000);
    return { requests, errors };
}

/**
 * One data route tried with a secret (or none), from a loopback address of its
 * own (the server limits refusals per client address); resolves with the HTTP
 * status, 101 for a WebSocket accepted.
 */
function tryRoute(origin: string, route: string, secret: string | undefined, from: string): Promise<number> {
    const url = new URL(route, origin);
    const api = Object.prototype.hasOwnProperty.call(DATA_ROUTES.api, route) ? DATA_ROUTES.api[route] : undefined;
    if (api === undefined) {
        return new Promise((resolve) => {
            const ws = new WebSocket(`ws://${url.host}${route}?session=e2e-probe-session-0001`, [PROTOCOL, ...(secret === undefined ? [] : [`${SECRET_PROTOCOL_PREFIX}${secret}`])], { origin, localAddress: from });
            ws.on("unexpected-response", (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
            ws.on("open", () => (ws.close(), resolve(101)));
            ws.on("error", () => undefined);
        });
    }
    const body = api.method === "POST" ? JSON.stringify({ step: "postgres", name: "postgres-pod.yaml" }) : undefined;
    const query = route === "/api/instructor/picture" ? "?learner=grace" : "";
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: url.hostname, port: url.port, path: `${route}${query}`, method: api.method, localAddress: from, headers: { ...(secret === undefined ? {} : { Authorization: `Bearer ${secret}` }), "Content-Type": "application/json" } },
            (res) => (res.resume(), resolve(res.statusCode ?? 0)),
        );
        req.on("error", reject);
        req.end(body);
    });
}

const ROUTES = [...Object.keys(DATA_ROUTES.api), ...Object.keys(DATA_ROUTES.sockets)];
const LEARNER_ROUTES = new Set([...Object.entries(DATA_ROUTES.api).filter(([, r]) => r.role === "learner").map(([p]) => p), ...Object.entries(DATA_ROUTES.sockets).filter(([, r]) => r === "learner").map(([p]) => p)]);

let server: Server;

beforeAll(() => {
    requireRealNode();
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    // A run killed half-way leaves the course's cluster-scoped fence too; its state went with its private backend.
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`], { timeoutMs: WAIT_MS });
    const root = privateBackend();
    out = path.join(root, "course");
    rosterFile = writeRoster(root, "roster", { course: COURSE, mode: "exercise", learners: LEARNERS });
});

afterAll(async () => {
    if (server !== undefined) {
        await stopServer(server);
    }
    course("down");
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
});

describe("the browser workspace on the lab's real node", () => {
    it("up makes every learner's link (on the card); serve prints them and the instructor's, saying it is this machine only", async () => {
        const up = course("up");
        expect(up.output).toContain(`course up: ${LEARNERS.length} done, 0 failed`);
        for (const l of LEARNERS) {
            kubectlSync(["wait", "--for=condition=Ready", "pod/workbench", "-n", ns(l), "--timeout=180s"], { timeoutMs: WAIT_MS });
        }
        server = await startServer("127.0.0.1:0");
        expect(server.output()).toContain("on this machine only");
        expect(Object.keys(server.learners).sort()).toEqual([...LEARNERS].sort());
        for (const l of LEARNERS) {
            const link = server.learners[l];
            expect(link).toMatch(new RegExp(`^${server.origin}/learner#[A-Za-z0-9_-]{43}$`));
            // The cards were rewritten with the links at this address.
            expect(fs.readFileSync(path.join(out, l, "card.txt"), "utf8")).toContain(link);
            expect(fs.readFileSync(path.join(out, l, "card.html"), "utf8")).toContain(link);
            expect(fs.statSync(path.join(out, l, "card.txt")).mode & 0o777).toBe(0o600);
        }
        expect(fs.statSync(path.join(out, ".podlab", "links.json")).mode & 0o777).toBe(0o600);
    });

    it("the wrong secret on every route is refused; a learner's secret opens only their own; refusals are limited per address", async () => {
        const ada = secretOf(server.learners.ada);
        const instructor = secretOf(server.instructor);
        // Each kind of caller from its own loopback address, so that one's refusals do not trip the limit for the next.
        const callers = { none: [undefined, "127.0.0.2"], random: [newSecret(), "127.0.0.3"], ada: [ada, "127.0.0.4"], instructor: [instructor, "127.0.0.5"] } as const;
        const seen: string[] = [];
        const expected: string[] = [];
        for (const [who, [secret, from]] of Object.entries(callers)) {
            for (const route of ROUTES) {
                seen.push(`${who} ${route} ${await tryRoute(server.origin, route, secret, from)}`);
                const mine = who === "ada" ? LEARNER_ROUTES.has(route) : who === "instructor" ? !LEARNER_ROUTES.has(route) : false;
                // A route a caller may use answers 200, a WebSocket 101 (ada's POSTs check her first step and save its file, as her page would).
                const ok = ROUTES.indexOf(route) < Object.keys(DATA_ROUTES.api).length ? 200 : 101;
                expected.push(`${who} ${route} ${mine ? ok : who === "none" || who === "random" ? 401 : 403}`);
            }
        }
        expect(seen).toEqual(expected);
        // With her secret, ada gets her own namespace; nothing names grace's.
        const view = (await (await fetch(`${server.origin}/api/learner`, { headers: { Authorization: `Bearer ${ada}` } })).json()) as { learner: string; namespace: string };
        expect(view).toMatchObject({ learner: "ada", namespace: ns("ada") });
        // Past the limit of refusals, an address is refused whatever it presents: even the right secret.
        const guesser = "127.0.0.6";
        for (let i = 0; i < FAILURE_LIMIT.attempts; i++) {
            expect(await tryRoute(server.origin, "/api/learner", newSecret(), guesser)).toBe(401);
        }
        expect(await tryRoute(server.origin, "/api/learner", ada, guesser)).toBe(429);
        expect(await tryRoute(server.origin, "/api/learner/terminal", ada, guesser)).toBe(429);
        expect(await tryRoute(server.origin, "/api/learner", ada, "127.0.0.7")).toBe(200);
        // In the browser, a link with the wrong secret shows why, and no terminal.
        await withChromium(async (browser) => {
            const page = await browser.newPage();
            await page.goto(`${server.origin}/learner#${newSecret()}`);
            await page.waitForSelector("#problem:not([hidden])");
            expect(await page.textContent("#problem")).toContain("not valid");
            expect(await page.$(".xterm")).toBeNull();
        });
        // Nothing the server logged holds a secret (the links it printed at start are the only place they appear).
        const log = server.output().slice(server.output().indexOf("Stop with Ctrl-C"));
        expect(log).toMatch(/GET \/api\/learner 401/);
        for (const link of [...Object.values(server.learners), server.instructor]) {
            expect(log).not.toContain(secretOf(link));
        }
    });

    it("an exercise learner types the lesson's commands in the terminal, every Check turns pass, and the instructor's page shows each within seconds", async () => {
        await withChromium(async (browser) => {
            const instructor = await browser.newPage();
            await instructor.goto(server.instructor);
            await instructor.waitForSelector("tr[data-learner=ada]");
            const page = await browser.newPage();
            const { requests, errors } = await openLearner(page, server.learners.ada);
            const steps = await page.$$eval("li.step", (items) =>
                items.map((li) => ({
                    id: li.getAttribute("data-step")!,
                    files: [...li.querySelectorAll("button.save")].map((b) => b.getAttribute("data-file")!),
                    commands: [...li.querySelectorAll("pre.command")].map((p) => p.textContent ?? ""),
                })),
            );
            expect(steps.map((s) => s.id)).toEqual([...STEP_IDS]);
            const typed: string[] = [];
            const timings: string[] = [];
            for (const step of steps) {
                for (const file of step.files) {
                    await page.click(`li.step[data-step="${step.id}"] button.save[data-file="${file}"]`);
                    await page.waitForSelector(`li.step[data-step="${step.id}"] .save-state[data-saved]`, { timeout: 60_000 });
                }
                for (const command of step.commands) {
                    typed.push(await typeCommand(page, command));
                }
                await page.click(`button.check[data-step="${step.id}"]`);
                await page.waitForSelector(`.result[data-step="${step.id}"][data-status]`, { timeout: 180_000 });
                const t0 = Date.now();
                const status = await page.getAttribute(`.result[data-step="${step.id}"]`, "data-status");
                const said = await page.textContent(`.result[data-step="${step.id}"]`);
                expect(`${step.id}: ${status}: ${said}`).toMatch(new RegExp(`^${step.id}: pass: `));
                await instructor.waitForSelector(`tr[data-learner=ada] td[data-step="${step.id}"][data-status=pass]`, { timeout: 10_000 });
                timings.push(`${step.id}: on the instructor's page ${Date.now() - t0} ms after the learner's`);
            }
            console.log(timings.join("\n"));
            // What the lesson's commands printed in the terminal: psql's answer from the other pod, nginx's page at localhost from the sidecar.
            const transcript = typed.join("\n");
            const ip = kubectlSync(["get", "pod", "postgres", "-n", ns("ada"), "-o", "jsonpath={.status.podIP}"]);
            expect(transcript).toMatch(new RegExp(`${ip.replace(/\./g, "\\.")}\\s*\\|\\s*5432`));
            expect(transcript).toContain("<h1>podlab.local/nginx</h1>");
            await page.waitForSelector("#picture svg.environment g.pod[data-pod=nginx-with-sidecar]");
            const drawn = await page.$$eval("#picture svg.environment g.pod", (gs) => gs.map((g) => g.getAttribute("data-pod")));
            expect(drawn).toEqual(expect.arrayContaining(["postgres", "postgres2", "nginx-with-sidecar", "workbench"]));
            await keepScreenshot(page, "workspace-learner.png");
            await keepScreenshot(instructor, "workspace-instructor.png");
            // Everything the pages loaded came from the server itself.
            expect(requests.filter((u) => !u.startsWith(`${server.origin}/`))).toEqual([]);
            expect(errors).toEqual([]);
        });
    });

    it("a reload reattaches to the same shell; course credentials closes an open terminal within seconds", async () => {
        await withChromium(async (browser) => {
            const page = await browser.newPage();
            await openLearner(page, server.learners.grace);
            await typeCommand(page, "MARK=$((6*7)); echo mark-$MARK");
            await page.reload();
            await page.waitForSelector("body[data-terminal=connected]", { timeout: 30_000 });
            expect(await page.textContent("#terminal-status")).toContain("reconnected");
            expect(await typeCommand(page, "echo again-$MARK")).toContain("again-42");

            const kubeconfig = path.join(out, "grace", "kubeconfig");
            const before = fs.statSync(kubeconfig).mtimeMs;
            // The browser notes when the terminal closed (its clock is this machine's): the command runs meanwhile.
            await page.evaluate(() => {
                new MutationObserver((_, observer) => {
                    if (document.body.dataset.terminal === "closed") {
                        document.body.dataset.closedAt = String(Date.now());
                        observer.disconnect();
                    }
                }).observe(document.body, { attributes: true, attributeFilter: ["data-terminal"] });
            });
            const renewed = course("credentials", "grace");
            expect(renewed.output).toContain("course credentials: 1 done, 0 failed");
            await page.waitForSelector("body[data-closed-at]", { timeout: 60_000 });
            const closedAt = Number(await page.getAttribute("body", "data-closed-at"));
            const rewrittenAt = fs.statSync(kubeconfig).mtimeMs;
            expect(rewrittenAt).toBeGreaterThan(before);
            const seconds = (closedAt - rewrittenAt) / 1000;
            console.log(`credentials: grace's open terminal closed ${seconds.toFixed(1)} s after her kubeconfig was rewritten`);
            expect(seconds).toBeLessThan(10);
            expect(await page.textContent("#terminal-status")).toMatch(/credential/);
            // A new shell runs with the new credential.
            await page.click("#terminal-restart");
            await page.waitForSelector("body[data-terminal=connected]", { timeout: 60_000 });
            await promptBack(page);
            expect(await typeCommand(page, "kubectl auth whoami -o jsonpath='{.status.userInfo.username}'; echo")).toContain(`system:serviceaccount:${ns("grace")}:`);
        });
    });

    it("a restarted server serves the same links, and an open page reconnects to it", async () => {
        await withChromium(async (browser) => {
            const page = await browser.newPage();
            await openLearner(page, server.learners.ada);
            const before = server;
            await stopServer(before);
            server = await startServer(new URL(before.origin).host);
            expect(server.learners).toEqual(before.learners);
            expect(server.instructor).toBe(before.instructor);
            expect(server.output()).not.toContain("rewriting the cards");
            await page.waitForSelector("body[data-terminal=connected]", { timeout: 60_000 });
            await promptBack(page, 60_000);
            expect(await typeCommand(page, "echo back-$((40+2))")).toContain("back-42");
            // The board came back from the course directory: ada's passed steps, without a check being run again.
            const board = (await (await fetch(`${server.origin}/api/instructor`, { headers: { Authorization: `Bearer ${secretOf(server.instructor)}` } })).json()) as {
                rows: Array<{ learner: string; cells: Array<{ step: string; status: string }> }>;
            };
            expect(board.rows.find((r) => r.learner === "ada")?.cells.map((c) => `${c.step} ${c.status}`)).toEqual(STEP_IDS.map((s) => `${s} pass`));
        });
    });
});
