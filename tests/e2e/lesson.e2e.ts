/**
 * The lesson as an exercise, on the lab's real node: `course up` gives an
 * exercise learner only the fenced namespace, the workbench and a credential;
 * the learner, through `kubectl exec` into their workbench with their own
 * kubeconfig (what the browser's terminal does), saves each step's file and
 * types the step's commands exactly as written; each step's check turns from
 * fail to pass, and a step done wrong fails with Kubernetes' words. Then
 * `check` reports the steps, `credentials` reaches the workbench, `reset` puts
 * the exercise back to its start. An environment-mode learner of the same
 * course gets today's pods and checks. Run with `npm run e2e`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../cli/automation";
import { CheckReport, StepResult } from "../../cli/checkReport";
import { baseConfig } from "../../cli/course/baseConfig";
import { Learner, learnerConfig, parseRoster } from "../../cli/course/roster";
import { checkStep } from "../../cli/lesson/check";
import { LessonStep } from "../../cli/lesson/model";
import { lessonSteps } from "../../cli/lesson/steps";
import { WORKBENCH_CONTAINER, WORKBENCH_POD_NAME, WORKBENCH_SHELL } from "../../components/workbench";
import { KubectlResult, kubectlJsonSync, kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { privateBackend, requireRealNode, WAIT_MS, waitFor } from "./lab";

const COURSE = "e2el";
const ns = (learner: string) => `podlab-${COURSE}-${learner}`;
const ROSTER = { course: COURSE, mode: "exercise", learners: ["ada", { name: "grace", mode: "environment" }] };

let root: string;
let out: string;
let rosterFile: string;
let ada: Learner;
let steps: LessonStep[];

function course(...args: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "course", "main.js"), ...args, "--roster", rosterFile, "--out", out], { encoding: "utf8", timeout: 900_000, env: process.env });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const kubeconfigOf = (learner: string) => path.join(out, learner, "kubeconfig");

/** kubectl as the learner, from outside (their kubeconfig): what the browser's terminal runs to open a shell. */
function asLearner(learner: string, args: string[], input?: string): KubectlResult {
    return kubectlRunSync(args, { kubeconfig: kubeconfigOf(learner), input, timeoutMs: WAIT_MS });
}

/**
 * A terminal in the learner's workbench: the workbench's shell, as the page's
 * terminal opens it (`kubectl exec` with the learner's kubeconfig), with the
 * lines typed into it. One shell for all the lines, so a variable set by one
 * command is there for the next; an interactive command (`kubectl exec -it ...
 * -- sh`) reads the lines after it, as it would from a keyboard.
 */
function terminal(learner: string, lines: string[]) {
    return asLearner(learner, ["exec", "-i", WORKBENCH_POD_NAME, "-c", WORKBENCH_CONTAINER, "--", ...WORKBENCH_SHELL], `${lines.join("\n")}\nexit\n`);
}

/** Saves a file in the learner's home in the workbench, as the page's "save" does. */
function save(learner: string, name: string, text: string): void {
    const r = asLearner(learner, ["exec", "-i", WORKBENCH_POD_NAME, "-c", WORKBENCH_CONTAINER, "--", "sh", "-c", 'cat > "$1"', "sh", name], text);
    expect(`${r.exitCode} ${r.stderr}`).toBe("0 ");
}

async function check(step: string): Promise<StepResult> {
    const config = learnerConfig(ada);
    return checkStep({ learner: "ada", namespace: ns("ada"), kubeconfig: kubeconfigOf("ada") }, step, config);
}

const stepOf = (id: string) => steps.find((s) => s.id === id)!;
const tokenOf = (file: string) => (yaml.load(fs.readFileSync(file, "utf8")) as { users: Array<{ user: { token: string } }> }).users[0].user.token;
const uidOf = (learner: string, pod: string) => kubectlSync(["get", "pod", pod, "-n", ns(learner), "-o", "jsonpath={.metadata.uid}"]);

beforeAll(() => {
    requireRealNode();
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    // A run killed half-way leaves the course's cluster-scoped fence too; its state went with its private backend.
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`], { timeoutMs: WAIT_MS });
    root = privateBackend();
    out = path.join(root, "course");
    rosterFile = path.join(root, "roster.yaml");
    fs.writeFileSync(rosterFile, yaml.dump(ROSTER));
    const roster = parseRoster(yaml.dump(ROSTER), rosterFile, { now: new Date(), baseConfig: baseConfig() });
    ada = roster.learners[0];
    steps = lessonSteps(learnerConfig(ada));
});

afterAll(() => {
    course("down");
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
});

describe("the lesson as an exercise, on the lab's real node", () => {
    it("up: the exercise learner gets the fenced namespace, a Ready workbench and a credential, no lesson pods; the environment learner today's pods and a workbench", () => {
        const t0 = Date.now();
        const r = course("up");
        console.log(`course up, 1 exercise + 1 environment learner: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${r.stdout}${r.stderr}`);
        expect(`${r.stdout}${r.stderr}`).toContain("course up: 2 done, 0 failed");
        expect(r.status).toBe(0);
        const pods = (learner: string) => kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns(learner)]).items;
        expect(pods("ada").map((p) => `${p.metadata.name} ${p.status.conditions.find((c: any) => c.type === "Ready").status}`)).toEqual(["workbench True"]);
        expect(pods("grace").map((p) => p.metadata.name).sort()).toEqual(["postgres", "postgres2", "sidecar", "workbench"]);
        expect(kubectlSync(["get", "secrets", "-n", ns("ada"), "-o", "jsonpath={.items[*].metadata.name}"]).split(" ")).toEqual(expect.arrayContaining(["postgres-credentials", "workbench-kubeconfig"]));
        // The card lists the steps; the files are beside it.
        const card = fs.readFileSync(path.join(out, "ada", "card.txt"), "utf8");
        expect(card).toContain("podlab course e2el: ada (exercise)");
        expect(fs.readFileSync(path.join(out, "ada", "postgres-pod.yaml"), "utf8")).toBe(stepOf("postgres").files["postgres-pod.yaml"]);
    });

    it("the workbench's shell is the learner's own ServiceAccount, fenced like the learner, with no token of its own and a read-only root", () => {
        const r = terminal("ada", [
            "kubectl auth whoami -o jsonpath='{.status.userInfo.username}'; echo",
            "kubectl get pods -o name",
            `kubectl get pods -n ${ns("grace")} 2>&1 | tail -n1`,
            "id -u; pwd",
            "ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1 | head -n1",
            "touch /probe 2>&1 | head -n1; touch ~/probe && echo home-writable",
            "command -v kubectl curl psql",
        ]);
        console.log(`a shell in ada's workbench:\n${r.stdout}${r.stderr}`);
        const lines = r.stdout.trim().split("\n");
        expect(lines[0]).toBe(`system:serviceaccount:${ns("ada")}:learner`);
        expect(lines[1]).toBe("pod/workbench");
        expect(lines[2]).toMatch(/Error from server \(Forbidden\): pods is forbidden: User "system:serviceaccount:podlab-e2el-ada:learner" cannot list resource "pods" .* in the namespace "podlab-e2el-grace"/);
        expect(lines.slice(3, 5)).toEqual(["1000", "/home/learner"]);
        expect(lines[5]).toMatch(/No such file or directory/);
        expect(lines[6]).toMatch(/Read-only file system/);
        expect(lines[7]).toBe("home-writable");
        expect(lines.slice(8)).toEqual(["/usr/local/bin/kubectl", "/usr/bin/curl", "/usr/local/bin/psql"]);
    });

    it("before the learner does anything, every step's check fails, saying what is missing", async () => {
        const before = await Promise.all(steps.map((s) => check(s.id)));
        console.log(before.map((r) => `${r.step}: ${r.status}: ${r.summary}`).join("\n"));
        expect(before.map((r) => r.status)).toEqual(["fail", "fail", "fail", "fail", "fail"]);
        expect(before[0].summary).toBe("No postgres pod yet: your namespace has no pods of yours. Save postgres-pod.yaml in the workbench's home directory and run kubectl apply -f postgres-pod.yaml.");
    });

    it("a pod Pod Security refuses: the apply fails with Kubernetes' words, and the check quotes them", async () => {
        const refused = stepOf("postgres").files["postgres-pod.yaml"].replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true");
        save("ada", "postgres-pod.yaml", refused);
        const r = terminal("ada", ["kubectl apply -f postgres-pod.yaml"]);
        expect(r.exitCode).not.toBe(0);
        expect(r.stderr).toContain('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false');
        const v = await check("postgres");
        console.log(`${v.summary}\n${v.evidence.join("\n")}`);
        expect(v.status).toBe("fail");
        expect(v.summary).toContain("Kubernetes refuses your postgres-pod.yaml");
        expect(v.evidence[0]).toContain('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "postgres" must set securityContext.allowPrivilegeEscalation=false)');
    });

    it("an image the cluster does not have: the check quotes the kubelet", async () => {
        const elsewhere = stepOf("postgres").files["postgres-pod.yaml"].replace(/image: .*/, "image: docker.io/library/postgres:17.6-bookworm");
        save("ada", "postgres-pod.yaml", elsewhere);
        expect(terminal("ada", ["kubectl apply -f postgres-pod.yaml"]).stdout).toContain("pod/postgres created");
        await waitFor("the kubelet to give up on the image", 60_000, () => /ErrImagePull|ImagePullBackOff/.test(kubectlSync(["get", "pod", "postgres", "-n", ns("ada"), "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}"])));
        const v = await check("postgres");
        console.log(`${v.summary}\n${v.evidence.join("\n")}`);
        expect(v.status).toBe("fail");
        expect(v.summary).toMatch(/^postgres cannot start: container postgres's image docker\.io\/library\/postgres:17\.6-bookworm is not on this cluster \((ErrImagePull|ImagePullBackOff)\)/);
        expect(v.evidence.join("\n")).toMatch(/docker\.io\/library\/postgres:17\.6-bookworm/);
        expect(terminal("ada", ["kubectl delete pod postgres --wait=true"]).exitCode).toBe(0);
    });

    it("each step done as written turns its check from fail to pass", async () => {
        const timings: string[] = [];
        for (const step of steps) {
            const t0 = Date.now();
            for (const [name, text] of Object.entries(step.files)) {
                save("ada", name, text);
            }
            const r = terminal("ada", step.commands);
            console.log(`step ${step.id}: ${step.commands.join(" ; ")}\n${r.stdout}${r.stderr}`);
            if (step.id === "second-postgres") {
                const ip = kubectlSync(["get", "pod", "postgres", "-n", ns("ada"), "-o", "jsonpath={.status.podIP}"]);
                expect(r.stdout).toMatch(new RegExp(`${ip.replace(/\./g, "\\.")}\\s*\\|\\s*5432`));
            }
            if (step.id === "localhost") {
                expect(r.stdout).toContain("<h1>podlab.local/nginx</h1>");
            }
            if (step.id === "sandbox") {
                expect(r.stdout).toMatch(/0\.0\.0\.0:8080\s.*LISTEN/);
            }
            const v = await check(step.id);
            timings.push(`${step.id} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            expect(`${step.id} ${v.status}: ${v.summary}`).toMatch(new RegExp(`^${step.id} pass: `));
            console.log(`${step.id}: ${v.summary}\n${v.evidence.join("\n")}`);
        }
        console.log(`steps done and checked: ${timings.join(", ")}`);
    });

    it("check: the exercise learner's steps on a board of their own, today's checks for both, exit status from the fences only", () => {
        const r = course("check");
        console.log(`${r.stdout}${r.stderr}`);
        const report = JSON.parse(fs.readFileSync(path.join(out, "check.json"), "utf8")) as CheckReport;
        expect(report.steps?.map((s) => `${s.learner} ${s.step} ${s.status}`)).toEqual(steps.map((s) => `ada ${s.id} pass`));
        expect(r.stdout).toContain("EXERCISE  postgres  second-postgres  sidecar  localhost  sandbox");
        expect(r.stdout).toContain("  ada: every step passes");
        // grace's environment pods pass today's checks; ada's credential and network fence are checked from her workbench.
        expect(report.results.filter((x) => x.learner === "grace" && x.check === "postgres-port").map((x) => x.status)).toEqual(["pass", "pass"]);
        expect(report.results.filter((x) => x.learner === "ada").map((x) => `${x.check} ${x.status}`)).toEqual(
            expect.arrayContaining(["credential-fenced pass", `one-sandbox pass`]),
        );
        expect(report.results.find((x) => x.learner === "ada" && x.check === "network-fence")!.tried).toContain("from ada's workbench");
        expect(report.results.filter((x) => x.status === "fail")).toEqual([]);
    });

    it("credentials: the workbench's next shell has the new token; the old one is refused", async () => {
        const old = tokenOf(kubeconfigOf("ada"));
        const r = course("credentials", "ada");
        expect(r.status).toBe(0);
        expect(tokenOf(kubeconfigOf("ada"))).not.toBe(old);
        // A new shell in the workbench reads the rewritten Secret (the course waited for the kubelet to refresh it).
        const inside = terminal("ada", ["kubectl config view --raw -o jsonpath='{.users[0].user.token}'"]);
        expect(inside.stdout.trim()).toBe(tokenOf(kubeconfigOf("ada")));
        expect(terminal("ada", ["kubectl get pods -o name | sort"]).stdout.trim().split("\n")).toEqual(["pod/nginx-with-sidecar", "pod/postgres", "pod/postgres2", "pod/workbench"]);
        const oldConfig = path.join(root, "ada-old-kubeconfig");
        fs.writeFileSync(oldConfig, fs.readFileSync(kubeconfigOf("ada"), "utf8").replace(tokenOf(kubeconfigOf("ada")), old), { mode: 0o600 });
        await waitFor("ada's old token refused", 30_000, () => /Unauthorized|must be logged in/i.test(kubectlRunSync(["get", "pods"], { kubeconfig: oldConfig }).stderr));
    });

    it("reset: the exercise back to its start (the learner's pods gone, a fresh workbench that works); the other learner untouched", async () => {
        const workbenchUid = uidOf("ada", "workbench");
        const graceUids = ["postgres", "sidecar", "workbench"].map((p) => uidOf("grace", p));
        const t0 = Date.now();
        const r = course("reset", "ada");
        console.log(`course reset ada: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${r.stdout}${r.stderr}`);
        expect(r.status).toBe(0);
        expect(kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns("ada")]).items.map((p) => p.metadata.name)).toEqual(["workbench"]);
        expect(uidOf("ada", "workbench")).not.toBe(workbenchUid);
        expect(["postgres", "sidecar", "workbench"].map((p) => uidOf("grace", p))).toEqual(graceUids);
        expect(terminal("ada", ["ls", "kubectl get pods -o name"]).stdout.trim()).toBe("pod/workbench");
        expect((await check("postgres")).summary).toMatch(/^No postgres pod yet/);
    });
});
