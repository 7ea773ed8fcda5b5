/**
 * podlab off the lab (PODLAB_KUBECONFIG set) uses what the user has, and
 * nothing of the lab's: never the lab's passphrase or backend. The lab's API
 * server stands in for another cluster (the lab's images in the config), the
 * lab's pulumi and kubectl on PATH for the user's own. And on the lab, the
 * stack command keeps a stack's secrets in a workspace of its own: the tracked
 * Pulumi.lab.yaml stays as it is. Nothing here needs real containers, so it
 * runs on the real node (`npm run e2e`) and on KWOK (`npm run e2e:kwok`).
 */
import { createHash } from "crypto";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../cli/automation";
import { LAB_PASSPHRASE } from "../../cli/pulumiEnv";
import { labImageRef } from "../labImages";
import { kubectlRunSync } from "../../cli/kubectl";
import { printed, requireLab, WAIT_MS } from "./lab";

const COURSE = "e2eoff";

/** The lab's own backend, as lab/env set it for this suite (before any test points PULUMI_BACKEND_URL elsewhere). */
const LAB_BACKEND = process.env.PULUMI_BACKEND_URL!.replace(/^file:\/\//, "");
let root: string;
let labBackendBefore: string[];

/** Every file of a directory tree with its size and mtime: what any write would change. */
function snapshot(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .sort()
        .map((f) => {
            const st = fs.statSync(path.join(dir, f));
            return `${f} ${st.isDirectory() ? "dir" : st.size} ${st.mtimeMs}`;
        });
}

const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** A user's own environment off the lab: their HOME and PULUMI_HOME, pulumi and kubectl on PATH, no lab variable. */
function userEnv(name: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const dir = path.join(root, name);
    fs.mkdirSync(path.join(dir, "home"), { recursive: true });
    return {
        PATH: process.env.PATH,
        LANG: "C.UTF-8",
        HOME: path.join(dir, "home"),
        PULUMI_HOME: path.join(dir, "pulumi-home"),
        PODLAB_STATE: path.join(dir, "state"),
        PODLAB_KUBECONFIG: process.env.KUBECONFIG,
        // How pods reach that API server, as docs/own-cluster.md asks of a course (every course has a workbench).
        PODLAB_API_SERVER_FROM_PODS: process.env.PODLAB_API_SERVER_FROM_PODS,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...extra,
    };
}

function run(script: string, env: NodeJS.ProcessEnv, ...args: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", script), ...args], { encoding: "utf8", env, timeout: 600_000 });
    console.log(`${script} ${args.join(" ")} -> ${r.status}\n${r.stdout}${r.stderr}`);
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function roster(): string {
    const file = path.join(root, "roster.yaml");
    fs.writeFileSync(
        file,
        yaml.dump({ course: COURSE, config: { postgres: { count: 1, image: labImageRef("postgres") }, sidecar: { nginxImage: labImageRef("nginx"), curlImage: labImageRef("curl") }, workbench: { image: labImageRef("workbench") } }, learners: ["ada"] }),
    );
    return file;
}

function installProvider(env: NodeJS.ProcessEnv): void {
    const plugins = path.join(process.env.PULUMI_HOME!, "plugins");
    const dir = fs.readdirSync(plugins).find((d) => /^resource-kubernetes-v/.test(d) && !d.endsWith(".lock"))!;
    const version = dir.replace(/^resource-kubernetes-v/, "");
    execFileSync("pulumi", ["plugin", "install", "resource", "kubernetes", version, "--file", path.join(plugins, dir, "pulumi-resource-kubernetes")], { env, stdio: "ignore" });
}

/** What a run killed half-way left of the course in the cluster (its state went with its private backend). */
function removeCourseLeftovers(): void {
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`], { timeoutMs: WAIT_MS });
}

beforeAll(() => {
    requireLab();
    removeCourseLeftovers();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-e2e-offlab-"));
    labBackendBefore = snapshot(LAB_BACKEND);
});

afterAll(() => {
    removeCourseLeftovers();
});

describe("off the lab, podlab never falls back to the lab's passphrase or backend", () => {
    it("without a passphrase, course up and stack up refuse before anything is created", () => {
        const own = path.join(root, "own-backend");
        fs.mkdirSync(own);
        const env = userEnv("refused", { PULUMI_BACKEND_URL: `file://${own}` });
        const out = path.join(root, "refused", "course");
        const up = run("course/main.js", env, "up", "--roster", roster(), "--out", out);
        expect(up.status).toBe(1);
        expect(up.stderr).toContain(`course: podlab's stacks on file://${own} keep their secrets with a passphrase (the default on a file backend), and neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set`);
        const stack = run("stack.js", env, "up", "--stack", "e2eoff");
        expect(stack.status).toBe(1);
        expect(stack.stderr).toContain("neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set");
        // Nothing created: no course directory, no workspace, nothing in the backend, nothing in the cluster.
        expect(fs.existsSync(out)).toBe(false);
        expect(fs.existsSync(env.PODLAB_STATE!)).toBe(false);
        expect(fs.readdirSync(own)).toEqual([]);
        expect(printed(kubectlRunSync(["get", "namespaces", "-l", `podlab.dev/course=${COURSE}`, "-o", "name"])).trim()).toBe("");
    });

    it("the lab's passphrase, or the lab's backend, is refused by name", () => {
        const own = path.join(root, "own-backend-2");
        const withLabPassphrase = run("course/main.js", userEnv("labpass", { PULUMI_BACKEND_URL: `file://${own}`, PULUMI_CONFIG_PASSPHRASE: LAB_PASSPHRASE }), "up", "--roster", roster(), "--out", path.join(root, "labpass", "course"));
        expect(withLabPassphrase.status).toBe(1);
        expect(withLabPassphrase.stderr).toContain("PULUMI_CONFIG_PASSPHRASE is the lab's passphrase, which is in the repository");
        const labState = path.dirname(LAB_BACKEND);
        const withLabBackend = run("stack.js", userEnv("labbackend", { PODLAB_STATE: labState, PULUMI_BACKEND_URL: `file://${LAB_BACKEND}`, PULUMI_CONFIG_PASSPHRASE: "someone's own" }), "preview", "--stack", "e2eoff");
        expect(withLabBackend.status).toBe(1);
        expect(withLabBackend.stderr).toContain(`is the lab's own (${LAB_BACKEND})`);
        expect(fs.existsSync(own)).toBe(false);
        expect(snapshot(LAB_BACKEND)).toEqual(labBackendBefore);
    });

    it("with the user's passphrase and a file backend of their own, course up and down and stack preview use that backend; the lab's and the repository are untouched", () => {
        const own = path.join(root, "users-backend");
        fs.mkdirSync(own);
        const env = userEnv("user", { PULUMI_BACKEND_URL: `file://${own}`, PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple" });
        installProvider(env);
        const tracked = sha(path.join(PROJECT_DIR, "Pulumi.lab.yaml"));
        const out = path.join(root, "user", "course");
        const up = run("course/main.js", env, "up", "--roster", roster(), "--out", out);
        expect(`${up.stdout}${up.stderr}`).toContain("course up: 1 done, 0 failed");
        expect(up.status).toBe(0);
        // The learner's stack and the course's own (its admission fence).
        expect(fs.readdirSync(path.join(own, ".pulumi", "stacks", "podlab")).filter((f) => f.endsWith(".json")).sort()).toEqual([`${COURSE}-ada.json`, `${COURSE}.course.json`]);
        const preview = run("stack.js", env, "preview", "--stack", "lab");
        expect(preview.status).toBe(0);
        expect(fs.readdirSync(path.join(own, ".pulumi", "stacks", "podlab")).filter((f) => f.endsWith(".json")).sort()).toEqual([`${COURSE}-ada.json`, `${COURSE}.course.json`, "lab.json"]);
        const down = run("course/main.js", env, "down", "--roster", roster(), "--out", out);
        expect(down.stdout).toContain(`nothing carrying podlab.dev/course=${COURSE} remains in the cluster`);
        expect(down.status).toBe(0);
        expect(snapshot(LAB_BACKEND)).toEqual(labBackendBefore);
        expect(sha(path.join(PROJECT_DIR, "Pulumi.lab.yaml"))).toBe(tracked);
    });
});

describe("on the lab, the stack command keeps a stack's secrets out of the repository", () => {
    it("stack preview of the lab stack: the salt and the generated password go to the stack's workspace; Pulumi.lab.yaml stays as tracked", () => {
        const tracked = sha(path.join(PROJECT_DIR, "Pulumi.lab.yaml"));
        const workspaces = path.join(root, "lab-workspaces");
        const env = { ...process.env, PULUMI_BACKEND_URL: `file://${path.join(root, "lab-backend")}`, PODLAB_STACK_WORKSPACES: workspaces };
        fs.mkdirSync(path.join(root, "lab-backend"));
        const first = run("stack.js", env, "preview", "--stack", "lab");
        expect(first.status).toBe(0);
        const file = path.join(workspaces, "lab", "Pulumi.lab.yaml");
        const ws = yaml.load(fs.readFileSync(file, "utf8")) as { encryptionsalt?: string; config: Record<string, unknown> };
        expect(ws.encryptionsalt).toMatch(/^v1:/);
        expect(ws.config["podlab:postgresPassword"]).toEqual({ secure: expect.stringMatching(/^v1:/) });
        expect(ws.config["podlab:postgres"]).toEqual((yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.lab.yaml"), "utf8")) as { config: Record<string, unknown> }).config["podlab:postgres"]);
        expect(sha(path.join(PROJECT_DIR, "Pulumi.lab.yaml"))).toBe(tracked);
        // A second run keeps them.
        expect(run("stack.js", env, "preview", "--stack", "lab").status).toBe(0);
        expect(yaml.load(fs.readFileSync(file, "utf8"))).toEqual(ws);
        expect(spawnSync("git", ["status", "--porcelain", "--", "Pulumi.lab.yaml", "Pulumi.dev.yaml"], { cwd: PROJECT_DIR, encoding: "utf8" }).stdout).toBe("");
    });
});
