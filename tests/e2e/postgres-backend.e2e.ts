/**
 * One course taught by two instructors through Pulumi's PostgreSQL backend
 * (`postgres://`), on the lab's real node standing in for another cluster
 * (PODLAB_KUBECONFIG, the lab's images in the roster's config). The server is
 * Debian's PostgreSQL 15, started here on 127.0.0.1 (postgresServer.ts). Each
 * instructor has their own HOME, PULUMI_HOME and course directory, and only
 * what a Pulumi user has: a pulumi and a kubectl on PATH, the backend URL and
 * their team's passphrase; none of the lab's environment. A runs `up`; B runs
 * `status`, `check` and `credentials` (B's own learner files), `reset` of one
 * learner; two `up`s of one learner at once are refused by Pulumi's lock,
 * naming its holder; a killed `up` is recovered; A runs `down`, and nothing
 * of the course remains in the cluster or the backend's stacks. Run with `npm run e2e`.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../cli/automation";
import { labImageRef } from "../labImages";
import { KubectlResult, kubectlJsonSync, kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { printed, requireRealNode, WAIT_MS } from "./lab";
import { PostgresServer, startPostgres } from "./postgresServer";

const COURSE = "e2epg";
const LEARNERS = ["ada", "grace"];
const ns = (learner: string) => `podlab-${COURSE}-${learner}`;
const stackOf = (learner: string) => `${COURSE}-${learner}`;

let root: string;
let pg: PostgresServer;
let rosterFile: string;

interface Instructor {
    name: string;
    env: NodeJS.ProcessEnv;
    out: string;
}
let a: Instructor;
let b: Instructor;

/** An instructor on "another machine": their own HOME, PULUMI_HOME and course directory, their pulumi and kubectl on PATH, the shared backend and passphrase. */
function instructor(name: string, passphrase: string): Instructor {
    const dir = path.join(root, name);
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH, // the lab's pulumi and kubectl stand in for the instructor's own
        LANG: "C.UTF-8",
        HOME: path.join(dir, "home"),
        PULUMI_HOME: path.join(dir, "pulumi-home"),
        PODLAB_STATE: path.join(dir, "state"),
        PODLAB_KUBECONFIG: process.env.KUBECONFIG, // the lab's API server stands in for another cluster
        PODLAB_API_SERVER_FROM_PODS: process.env.PODLAB_API_SERVER_FROM_PODS, // and how pods reach it, as docs/own-cluster.md asks of a course
        PULUMI_BACKEND_URL: pg.url,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", // nothing is downloaded: the provider is installed below, as a user would
    };
    fs.mkdirSync(env.HOME!, { recursive: true });
    // The lab's Kubernetes provider, installed into this instructor's plugin cache from the lab toolchain's.
    const provider = providerBinary();
    const version = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/kubernetes/package.json"), "utf8")) as { version: string }).version;
    execFileSync("pulumi", ["plugin", "install", "resource", "kubernetes", version, "--file", provider], { env, stdio: "ignore" });
    return { name, env, out: path.join(dir, "course") };
}

function providerBinary(): string {
    const plugins = path.join(process.env.PULUMI_HOME!, "plugins");
    const dir = fs.readdirSync(plugins).find((d) => /^resource-kubernetes-v/.test(d) && !d.endsWith(".lock"));
    if (dir === undefined) {
        throw new Error(`no kubernetes provider in ${plugins}: bash lab/toolchain.sh installs it`);
    }
    return path.join(plugins, dir, "pulumi-resource-kubernetes");
}

interface Run {
    status: number;
    output: string;
}

/** The course command as the instructor runs it (the built entry point, their environment only). */
function course(who: Instructor, ...args: string[]): Run {
    const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "course", "main.js"), ...args, "--roster", rosterFile, "--out", who.out], { encoding: "utf8", env: who.env, timeout: 900_000 });
    const output = `${r.stdout}${r.stderr}`;
    console.log(`[${who.name}] course ${args.join(" ")} -> ${r.status}\n${output}`);
    expect(output).not.toContain(pg.password);
    return { status: r.status ?? -1, output };
}

/** The same, started in the background in its own process group. */
function courseInBackground(who: Instructor, ...args: string[]): { child: ChildProcess; done: Promise<Run> } {
    const child = spawn(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "course", "main.js"), ...args, "--roster", rosterFile, "--out", who.out], { env: who.env, detached: true });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const done = new Promise<Run>((resolve) => child.on("close", (code) => resolve({ status: code ?? -1, output })));
    return { child, done };
}

function writeRoster(learners: unknown[]): void {
    fs.writeFileSync(
        rosterFile,
        yaml.dump({
            course: COURSE,
            config: { postgres: { count: 1, image: labImageRef("postgres") }, sidecar: { nginxImage: labImageRef("nginx"), curlImage: labImageRef("curl") }, workbench: { image: labImageRef("workbench") } },
            learners,
        }),
    );
}

/**
 * The backend's rows (keys) that belong to the course's stacks, from `.pulumi/` on: the
 * backend prefixes every key with the URL's path (the database's name, "postgres/").
 */
function backendKeys(what: "stacks" | "locks" | "tags" | "all"): string[] {
    const keys = pg.query(`SELECT key FROM pulumi_state WHERE key LIKE '%${COURSE}-%' ORDER BY key`).map((k) => k.slice(k.indexOf(".pulumi/")));
    if (what === "all") {
        return keys;
    }
    return keys.filter((k) => (what === "locks" ? k.startsWith(".pulumi/locks/") : what === "tags" ? k.endsWith(".pulumi-tags") : /^\.pulumi\/stacks\/podlab\/[^/]+\.json(\.gz)?$/.test(k)));
}

/** A blob of the backend as Pulumi wrote it (the table keeps it base64-encoded in a JSON column). */
function blob(key: string): any {
    const [row] = pg.query(`SELECT data::text FROM pulumi_state WHERE key LIKE '%/${key}'`);
    return JSON.parse(Buffer.from((JSON.parse(row) as { data: string }).data, "base64").toString("utf8"));
}

function tokenOf(file: string): string {
    return (yaml.load(fs.readFileSync(file, "utf8")) as { users: Array<{ user: { token: string } }> }).users[0].user.token;
}

function asLearner(kubeconfig: string, ...args: string[]): KubectlResult {
    return kubectlRunSync(args, { kubeconfig });
}

function podUids(learner: string): Record<string, string> {
    return Object.fromEntries(kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns(learner)]).items.map((p) => [p.metadata.name, p.metadata.uid]));
}

function postgresPassword(learner: string): string {
    return Buffer.from(kubectlSync(["get", "secret", "postgres-credentials", "-n", ns(learner), "-o", "jsonpath={.data.password}"]), "base64").toString();
}

function expectReady(learner: string): void {
    const pods = kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns(learner), "-l", "app.kubernetes.io/part-of=podlab"]).items;
    expect(pods.map((p) => `${p.metadata.name} ${p.status.conditions?.find((c: any) => c.type === "Ready")?.status}`).sort()).toEqual(["postgres True", "sidecar True", "workbench True"]);
}

async function eventually(what: string, check: () => boolean, seconds: number): Promise<void> {
    const t0 = Date.now();
    while (!check()) {
        if (Date.now() - t0 > seconds * 1000) {
            throw new Error(`not within ${seconds} s: ${what}`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
}

beforeAll(async () => {
    requireRealNode();
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    // A run killed half-way leaves the course's cluster-scoped fence too; its state went with its private backend.
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`], { timeoutMs: WAIT_MS });
    root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-e2e-pg-"));
    pg = await startPostgres(path.join(root, "postgres"));
    const passphrase = randomBytes(18).toString("base64url"); // the team's, shared by both instructors
    a = instructor("a", passphrase);
    b = instructor("b", passphrase);
    rosterFile = path.join(root, "roster.yaml");
    writeRoster(LEARNERS);
}, 120_000);

afterAll(() => {
    try {
        if (a !== undefined) {
            course(a, "down");
        }
    } finally {
        kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
        pg?.stop();
    }
});

describe("a course shared by two instructors through Pulumi's PostgreSQL backend", () => {
    it("the server is the test's own: Debian's PostgreSQL 15 on 127.0.0.1 only", () => {
        expect(pg.query("select version()")[0]).toMatch(/^PostgreSQL 15\./);
        expect(pg.listening()).toEqual([`127.0.0.1:${pg.port}`]);
    });

    it("A: up deploys every learner; the stacks, and the course-level stack that records them as the course's, are rows of the backend's one table", () => {
        const r = course(a, "up");
        expect(r.output).toContain(`course up: ${LEARNERS.length} done, 0 failed`);
        expect(r.status).toBe(0);
        LEARNERS.forEach(expectReady);
        expect(pg.query("select tablename from pg_tables where schemaname = 'public'")).toEqual(["pulumi_state"]);
        expect(backendKeys("stacks")).toEqual(LEARNERS.map((l) => `.pulumi/stacks/podlab/${stackOf(l)}.json`));
        // No stack tags: the course-level stack's `learners` output says whose stacks are the course's.
        expect(backendKeys("tags")).toEqual([]);
        const courseRoot = blob(`.pulumi/stacks/podlab/${COURSE}.course.json`).checkpoint.latest.resources.find((r: { type: string }) => r.type === "pulumi:pulumi:Stack");
        expect(courseRoot.outputs.learners).toEqual(LEARNERS);
        expect(backendKeys("locks")).toEqual([]);
        for (const l of LEARNERS) {
            expect(asLearner(path.join(a.out, l, "kubeconfig"), "get", "pods").exitCode).toBe(0);
        }
        // Nothing of the lab's: no course.json registry, no credential record files; the secrets are encrypted with the team's passphrase.
        expect(fs.existsSync(path.join(a.out, ".podlab", "course.json"))).toBe(false);
        expect(fs.existsSync(path.join(a.out, ".podlab", "ada", "credential.json"))).toBe(false);
        expect(blob(`.pulumi/stacks/podlab/${stackOf("ada")}.json`).checkpoint.latest.secrets_providers.type).toBe("passphrase");
    });

    it("B, with an empty course directory: status reads the class from the cluster and the backend", () => {
        const r = course(b, "status");
        expect(r.status).toBe(0);
        for (const l of LEARNERS) {
            expect(r.output).toMatch(new RegExp(`^${l}\\s+postgres\\s+Running\\s+1/1\\s+10\\.`, "m"));
        }
        expect(r.output).not.toContain("not deployed");
    });

    it("B: check passes every learner with their own credential (a short-lived token of it), revoking nothing of A's", () => {
        const aTokens = LEARNERS.map((l) => tokenOf(path.join(a.out, l, "kubeconfig")));
        const r = course(b, "check");
        expect(r.output).toContain(`check: ${LEARNERS.join(", ")}: no kubeconfig of theirs in ${b.out}; checked with a 10-minute token of their own credential (it revokes nothing)`);
        expect(r.status).toBe(0);
        const report = JSON.parse(fs.readFileSync(path.join(b.out, "check.json"), "utf8")) as { results: Array<{ learner: string; check: string; status: string }> };
        expect(report.results.filter((x) => x.status === "fail")).toEqual([]);
        expect(report.results.filter((x) => x.check === "credential-fenced").map((x) => `${x.learner} ${x.status}`)).toEqual(LEARNERS.map((l) => `${l} pass`));
        expect(report.results.filter((x) => x.check === "postgres-port").map((x) => `${x.learner} ${x.status}`)).toEqual(LEARNERS.map((l) => `${l} pass`));
        LEARNERS.forEach((l, i) => {
            expect(tokenOf(path.join(a.out, l, "kubeconfig"))).toBe(aTokens[i]);
            expect(asLearner(path.join(a.out, l, "kubeconfig"), "get", "pods").exitCode).toBe(0);
        });
    });

    it("B: credentials re-makes B's learner files from the cluster and the backend; A's handed-out tokens stop working", async () => {
        const aKubeconfig = path.join(a.out, "grace", "kubeconfig");
        const r = course(b, "credentials");
        expect(r.output).toContain(`course credentials: ${LEARNERS.length} done, 0 failed`);
        expect(r.status).toBe(0);
        for (const l of LEARNERS) {
            const kubeconfig = path.join(b.out, l, "kubeconfig");
            expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);
            expect(printed(asLearner(kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))).toBe(`system:serviceaccount:${ns(l)}:learner`);
            expect(fs.readFileSync(path.join(b.out, l, "card.txt"), "utf8")).toContain(`namespace:  ${ns(l)}`);
            expect(r.output).not.toContain(tokenOf(kubeconfig));
        }
        await eventually("A's old token of grace refused", () => asLearner(aKubeconfig, "get", "pods").exitCode !== 0, 30);
    });

    it("B: reset of one learner gives it new pods and a new password; the other is untouched", () => {
        const before = { ada: podUids("ada"), grace: podUids("grace") };
        const oldPassword = postgresPassword("ada");
        const r = course(b, "reset", "ada");
        expect(r.output).toContain("course reset: 1 done, 0 failed");
        expect(r.status).toBe(0);
        expectReady("ada");
        expect(podUids("ada").postgres).not.toBe(before.ada.postgres);
        expect(podUids("grace")).toEqual(before.grace);
        expect(postgresPassword("ada")).not.toBe(oldPassword);
    });

    it("two ups of one learner at once: Pulumi's lock (a row of the table) refuses the second, naming its holder, and changes nothing; the first completes with the config B's reset left", async () => {
        const password = postgresPassword("ada");
        const first = courseInBackground(a, "up", "ada");
        await eventually("A's pulumi holding ada's stack lock (a row under .pulumi/locks/)", () => backendKeys("locks").some((k) => k.includes(`/${stackOf("ada")}/`)), 180);
        // A's run is held still (SIGSTOP: alive, holding its lock) while B's runs, so that the two overlap whatever their speeds.
        process.kill(-first.child.pid!, "SIGSTOP");
        let second: Run;
        let stateAfter: string;
        let locksAfter: string[];
        const lockKey = backendKeys("locks").find((k) => k.includes(`/${stackOf("ada")}/`))!;
        const lock = blob(lockKey) as { pid: number; hostname: string; username: string };
        const stateBefore = JSON.stringify(blob(`.pulumi/stacks/podlab/${stackOf("ada")}.json`));
        try {
            // --refresh: B saw ada's last update (its reset), so a plain up would find ada up to date and run nothing.
            second = course(b, "up", "ada", "--refresh");
            // Read while A is still held: once it goes on, A itself writes the state.
            stateAfter = JSON.stringify(blob(`.pulumi/stacks/podlab/${stackOf("ada")}.json`));
            locksAfter = backendKeys("locks").filter((k) => k.includes(`/${stackOf("ada")}/`));
        } finally {
            process.kill(-first.child.pid!, "SIGCONT");
        }
        expect(second.status).toBe(1);
        expect(second.output).toContain(`ada: up FAILED: stack ${stackOf("ada")} is locked by a running pulumi: pid ${lock.pid} on ${lock.hostname} (user ${lock.username})`);
        expect(second.output).toContain("nothing was changed here: wait for it and run again");
        // Refused before it changed anything: ada's state is as A's paused run left it, and A's lock is still the only one.
        expect(stateAfter).toBe(stateBefore);
        expect(locksAfter).toEqual([lockKey]);
        const done = await first.done;
        console.log(`[a] course up ada (in the background) -> ${done.status}\n${done.output}`);
        expect(done.output).not.toContain(pg.password);
        expect(done.output).toContain("course up: 1 done, 0 failed");
        // A's copy of ada's config predates B's reset: it came from the backend first, so the password stays B's.
        expect(done.output).toContain("config and outputs re-read from the backend");
        expect(postgresPassword("ada")).toBe(password);
        expectReady("ada");
        expect(backendKeys("locks")).toEqual([]);
    });

    it("an up killed with SIGKILL mid-update leaves a lock row and pending operations; the next up releases the lock (pulumi cancel) and converges", async () => {
        writeRoster(["ada", { name: "grace", config: { postgres: { count: 2 } } }]);
        const killed = courseInBackground(a, "up", "grace");
        await eventually("grace's postgres2 being created", () => kubectlRunSync(["get", "pod", "postgres2", "-n", ns("grace")]).exitCode === 0, 180);
        process.kill(-killed.child.pid!, "SIGKILL");
        await killed.done;
        expect(backendKeys("locks").filter((k) => k.includes(`/${stackOf("grace")}/`))).toHaveLength(1);
        const r = course(a, "up", "grace");
        expect(r.output).toContain("released the lock of a killed pulumi");
        expect(r.output).toContain("course up: 1 done, 0 failed");
        expect(r.status).toBe(0);
        const pods = kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns("grace"), "-l", "app.kubernetes.io/part-of=podlab"]).items.map((p) => p.metadata.name).sort();
        expect(pods).toEqual(["postgres", "postgres2", "sidecar", "workbench"]);
        expect(backendKeys("locks")).toEqual([]);
        expect(blob(`.pulumi/stacks/podlab/${stackOf("grace")}.json`).checkpoint.latest.pending_operations ?? []).toEqual([]);
    });

    it("A: down removes every learner; nothing of the course remains in the cluster, nor stacks, tags or locks in the backend", () => {
        const r = course(a, "down");
        expect(r.output).toContain(`nothing carrying podlab.dev/course=${COURSE} remains in the cluster`);
        expect(r.status).toBe(0);
        expect(kubectlJsonSync<{ items: any[] }>(["get", "namespaces,pods,secrets", "-A", "-l", `podlab.dev/course=${COURSE}`]).items).toEqual([]);
        expect(backendKeys("stacks")).toEqual([]);
        expect(backendKeys("tags")).toEqual([]);
        expect(backendKeys("locks")).toEqual([]);
        console.log(`rows of the course left in the backend (Pulumi keeps a removed stack's history and backups): ${backendKeys("all").length}`);
        const status = course(b, "status");
        expect(status.output).toMatch(/^ada\s+-\s+not deployed/m);
    });
});
