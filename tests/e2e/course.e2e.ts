/**
 * The course command end to end on the lab's real node: a roster of learners
 * comes up, each learner works with their own kubeconfig (a real token from the
 * TokenRequest API, never the admin's and never impersonation), the fences
 * hold, and reset, credentials, a killed run and down behave. Run with `npm run e2e`.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../cli/automation";
import { CheckReport } from "../../cli/checkReport";
import { drawnPods, keepScreenshot, printedPages, render, withChromium } from "./browser";
import { eventually, runCourse, tokenOf, writeRoster } from "./courseRun";
import { KubectlResult, kubectlJsonSync, kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { podlabObjects, podsIn, printed, privateBackend, requireLab, setPodIpv6, WAIT_MS } from "./lab";

const COURSE = "e2ec";
const LEARNERS = ["ada", "grace", "linus"];
const ns = (learner: string) => `podlab-${COURSE}-${learner}`;
const BUSYBOX = "podlab.local/busybox:1.35-deb12";

let root: string;
let backend: string;
let out: string;

/** Writes a roster and returns its path. */
function roster(name: string, doc: Record<string, unknown>): string {
    return writeRoster(root, name, doc);
}

const BASE_ROSTER = {
    course: COURSE,
    config: { postgres: { count: 2 } },
    learners: ["ada", { name: "grace", config: { postgres: { count: 1 } } }, "linus"],
};

const course = runCourse;

/** kubectl with a learner's own kubeconfig. */
function asLearner(learner: string, ...args: string[]): KubectlResult {
    return kubectlRunSync(args, { kubeconfig: kubeconfigOf(learner) });
}

/** The pods of each learner of the base roster, by role. */
const POSTGRES_PODS: Record<string, string[]> = { ada: ["postgres", "postgres2"], grace: ["postgres"], linus: ["postgres", "postgres2"] };

function readCheck(): CheckReport {
    return JSON.parse(fs.readFileSync(path.join(out, "check.json"), "utf8")) as CheckReport;
}

/** One learner's findings for one check, as "pod status" (or just the status). */
function findings(report: CheckReport, learner: string, check: string): string[] {
    return report.results.filter((r) => r.learner === learner && r.check === check).map((r) => (r.pod ? `${r.pod} ${r.status}` : r.status));
}

/**
 * Whether this lab enforces NetworkPolicy, found without podlab's check: from
 * ada's sidecar (admin exec), grace's nginx, which grace's same-namespace-only
 * policy fences. "000" (refused or timed out) when enforced, "200" when not.
 */
function labEnforcesNetworkPolicy(): boolean {
    const ip = kubectlSync(["get", "pod", "sidecar", "-n", ns("grace"), "-o", "jsonpath={.status.podIP}"]);
    const r = kubectlRunSync(["exec", "-n", ns("ada"), "sidecar", "-c", "sidecar", "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", `http://${ip}:8080/`]);
    expect(["000", "200"]).toContain(r.stdout.trim());
    return r.stdout.trim() !== "200";
}

function kubeconfigOf(learner: string): string {
    return path.join(out, learner, "kubeconfig");
}

function podUids(learner: string): Record<string, string> {
    const pods = kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns(learner)]);
    return Object.fromEntries(pods.items.map((p) => [p.metadata.name, p.metadata.uid]));
}

function secretPassword(learner: string, secret: string): string {
    return Buffer.from(kubectlSync(["get", "secret", secret, "-n", ns(learner), "-o", "jsonpath={.data.password}"]), "base64").toString("utf8");
}

/** The learner's lesson pods, and the workbench every learner of a course has, are all Ready. */
function expectAllReady(learner: string, names: string[]): void {
    const pods = kubectlJsonSync<{ items: any[] }>(["get", "pods", "-n", ns(learner), "-l", "app.kubernetes.io/part-of=podlab"]);
    expect(pods.items.map((p) => p.metadata.name).sort()).toEqual([...names, "workbench"].sort());
    for (const p of pods.items) {
        expect(`${p.metadata.name} ${p.status.conditions?.find((c: any) => c.type === "Ready")?.status}`).toBe(`${p.metadata.name} True`);
    }
}

/** Everything in the cluster with the course's label, as kind/namespace/name. */
function labelled(): string[] {
    const kinds = "namespaces,pods,secrets,configmaps,serviceaccounts,roles,rolebindings,networkpolicies,resourcequotas,limitranges,validatingadmissionpolicies,validatingadmissionpolicybindings";
    return kubectlJsonSync<{ items: any[] }>(["get", kinds, "-A", "-l", `podlab.dev/course=${COURSE}`]).items.map(
        (o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`,
    );
}

/** Every file of the private backend, read as text (state, locks, history). */
function backendText(): string {
    const files: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) {
                walk(p);
            } else {
                files.push(fs.readFileSync(p, "utf8"));
            }
        }
    };
    walk(backend);
    return files.join("\n");
}


beforeAll(() => {
    requireLab();
    // A run killed half-way leaves its namespaces behind; their state went with its private backend.
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    root = privateBackend();
    backend = path.join(root, "backend");
    out = path.join(root, "course");
});

afterAll(() => {
    // Leave the lab as we found it even when a test failed half-way.
    course("down", "--roster", roster("cleanup", { ...BASE_ROSTER, learners: [...LEARNERS, "margaret"] }), "--out", out);
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`]);
});

describe("npm run course on the lab's real node", () => {
    it("refuses a bad roster before anything is created, naming learner, key and value", () => {
        const bad = roster("bad", { ...BASE_ROSTER, learners: ["ada", "ada", { name: "grace", config: { postgres: { count: 0 } } }] });
        const r = course("up", "--roster", bad, "--out", out);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("nothing was changed");
        expect(r.stderr).toContain("learner ada: listed twice (learners[0] and learners[1])");
        expect(r.stderr).toContain("learner grace: podlab:postgres.count must be an integer in 1-100; got 0");
        expect(labelled()).toEqual([]);
        expect(fs.existsSync(path.join(out, ".podlab", "course.json"))).toBe(false);
    });

    it("up: every learner's pods Ready, a 0600 kubeconfig and a card each, no token on the terminal or in any state", () => {
        const r = course("up", "--roster", roster("base", BASE_ROSTER), "--out", out);
        expect(`${r.stdout}${r.stderr}`).toContain("course up: 3 done, 0 failed");
        expect(r.status).toBe(0);
        expectAllReady("ada", ["postgres", "postgres2", "sidecar"]);
        expectAllReady("grace", ["postgres", "sidecar"]);
        expectAllReady("linus", ["postgres", "postgres2", "sidecar"]);
        // The stacks live in this suite's private backend, whose every file is searched for the tokens below.
        expect(fs.readdirSync(path.join(backend, ".pulumi", "stacks", "podlab")).filter((f) => /^e2ec-\w+\.json$/.test(f)).sort()).toEqual(LEARNERS.map((l) => `${COURSE}-${l}.json`));
        for (const l of LEARNERS) {
            expect(fs.statSync(kubeconfigOf(l)).mode & 0o777).toBe(0o600);
            const token = tokenOf(kubeconfigOf(l));
            expect(token.length).toBeGreaterThan(100);
            expect(`${r.stdout}${r.stderr}`).not.toContain(token);
            expect(backendText()).not.toContain(token);
            expect(fs.readFileSync(path.join(out, l, "card.txt"), "utf8")).toContain(`namespace:  ${ns(l)}`);
            expect(fs.readFileSync(path.join(out, l, "card.html"), "utf8")).toContain(`namespace <b>${ns(l)}</b>`);
        }
        expect(fs.readFileSync(path.join(out, "index.html"), "utf8")).toContain("No check yet");
        // The course's own admission fence, from its course-level stack, covers every learner (tests/e2e/fences.e2e.ts tries it).
        expect(labelled().filter((o) => o.startsWith("ValidatingAdmission"))).toEqual([`ValidatingAdmissionPolicy//podlab-fence-course-${COURSE}`, `ValidatingAdmissionPolicyBinding//podlab-fence-course-${COURSE}`]);
        // What up reads of the cluster under the environments: on the lab, all of it holds (no warning).
        const report = r.stdout.slice(r.stdout.indexOf("\ncluster:\n"));
        console.log(`course up's cluster report on the lab:${report}`);
        expect(report).toMatch(/\n {2}podlab-node-0: podPidsLimit 256, evictionHard pid\.available 10%, systemReserved cpu=50m,memory=1Gi, kubeReserved cpu=70m,memory=1Gi, anonymous off, read-only port off\n/);
        expect(report).toContain("cluster DNS: none (no Service kube-system/kube-dns); learners' pods get no DNS, and the fence allows none");
        expect(report).toContain(`API server endpoints ${new URL(process.env.PODLAB_API_SERVER_FROM_PODS!).host}: only podlab's own API clients may reach them`);
        expect(report).toMatch(/IPv6: none in the course's pods \(podlab-e2ec-\w+\/\w+: \/proc\/net\/if_inet6 lists none but loopback\)/);
        expect(report).not.toContain("warning:");
    });

    it("each learner's own credential: lists their pods, reads their postgres Secret, execs into their sidecar", () => {
        for (const l of LEARNERS) {
            expect(printed(asLearner(l, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))).toBe(`system:serviceaccount:${ns(l)}:learner`);
            const pods = asLearner(l, "get", "pods", "-o", "name");
            expect(pods.exitCode).toBe(0);
            expect(printed(pods)).toContain("pod/sidecar");
            expect(asLearner(l, "get", "secret", "postgres-credentials", "-o", "jsonpath={.data.password}").exitCode).toBe(0);
            const page = asLearner(l, "exec", "sidecar", "-c", "sidecar", "--", "curl", "-s", "http://localhost:8080/");
            expect(printed(page)).toContain("You reached this page over localhost");
        }
    });

    it("the same credential is refused everywhere else: another learner's pods, Secrets and exec, and every fence (can-i with the learner's own token)", () => {
        const other = ns("grace");
        for (const args of [
            ["get", "pods", "-n", other],
            ["get", "secret", "postgres-credentials", "-n", other],
            ["exec", "sidecar", "-n", other, "-c", "sidecar", "--", "true"],
            ["get", "namespaces"],
            ["get", "nodes"],
        ]) {
            const r = asLearner("ada", ...args);
            expect(`${args.join(" ")} -> ${r.exitCode} ${/forbidden/i.test(printed(r))}`).toBe(`${args.join(" ")} -> 1 true`);
        }
        const own = ns("ada");
        const denied: string[][] = [
            ["get", "pods", "-n", other],
            ["get", "secrets", "-n", other],
            ["create", "pods/exec", "-n", other],
            ["list", "namespaces"],
            ["patch", `namespace/${own}`],
            ["delete", `namespace/${own}`],
            ["list", "nodes"],
            ...["resourcequotas", "limitranges", "networkpolicies.networking.k8s.io", "rolebindings.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io"].flatMap((k) => [
                ["create", k, "-n", own],
                ["patch", k, "-n", own],
                ["delete", k, "-n", own],
            ]),
            ["create", "serviceaccounts/token", "-n", own],
            ["create", "secrets", "-n", own],
            ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
            ["create", "services", "-n", own],
        ];
        const allowed: string[][] = [
            ["list", "pods", "-n", own],
            ["create", "pods", "-n", own],
            ["create", "pods/exec", "-n", own],
            ["get", "pods/log", "-n", own],
            ["create", "pods/portforward", "-n", own],
            ["get", "secrets", "-n", own],
            ["list", "configmaps", "-n", own],
            ["list", "events", "-n", own],
        ];
        // The answer is on stdout (kubectl warns on stderr that cluster-scoped kinds ignore -n).
        const answer = (args: string[]) => asLearner("ada", "auth", "can-i", ...args).stdout.trim();
        expect(denied.map((a) => `${a.join(" ")}: ${answer(a)}`)).toEqual(denied.map((a) => `${a.join(" ")}: no`));
        expect(allowed.map((a) => `${a.join(" ")}: ${answer(a)}`)).toEqual(allowed.map((a) => `${a.join(" ")}: yes`));
    });

    it("the network fence: a learner's pod cannot connect to another learner's pods (it times out), their own pods answer", () => {
        const podIp = (learner: string, pod: string) => kubectlSync(["get", "pod", pod, "-n", ns(learner), "-o", "jsonpath={.status.podIP}"]);
        const curl = (ip: string) => asLearner("ada", "exec", "sidecar", "-c", "sidecar", "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--connect-timeout", "3", `http://${ip}:8080/`);
        // curl exit 28: timed out (blocked by the other learner's NetworkPolicy), not 7 (refused).
        expect(curl(podIp("grace", "sidecar")).exitCode).toBe(28);
        expect(curl(podIp("linus", "sidecar")).exitCode).toBe(28);
        const own = curl(podIp("ada", "sidecar"));
        expect(`${own.exitCode} ${own.stdout}`).toBe("0 200");
    });

    it("every command on a card works as printed, with that learner's kubeconfig", () => {
        for (const l of ["ada", "grace"]) {
            const card = fs.readFileSync(path.join(out, l, "card.txt"), "utf8").split("\n");
            const exportLine = card.find((line) => line.trim().startsWith("export KUBECONFIG="))!.trim();
            const commands = card.map((line) => line.trim()).filter((line) => line.startsWith("kubectl "));
            expect(commands.length).toBeGreaterThanOrEqual(4);
            for (const command of commands) {
                // Without the admin's KUBECONFIG: only the card's own export line says which cluster and credential.
                const env = { ...process.env, KUBECONFIG: "" };
                const r = spawnSync("sh", ["-c", `${exportLine}\n${command}`], { cwd: path.join(out, l), encoding: "utf8", env, timeout: 60_000 });
                expect(`${command}\n-> exit ${r.status} ${r.stderr}`).toBe(`${command}\n-> exit 0 ${r.stderr}`);
                const ip = /psql -h (\S+)/.exec(command)?.[1];
                if (ip !== undefined) {
                    expect(r.stdout).toContain(ip);
                }
            }
        }
    });

    it("check: every learner passes the lesson's checks with their own credential; the network fence is what this lab enforces, never a pass where it is not", () => {
        const namespaces = LEARNERS.map(ns);
        const before = podlabObjects(namespaces);
        const enforced = labEnforcesNetworkPolicy();
        const r = course("check", "--roster", roster("base", BASE_ROSTER), "--out", out);
        const report = readCheck();
        console.log(`course check, 3 learners: ${report.seconds.toFixed(1)} s; the lab enforces NetworkPolicy: ${enforced}\n${r.stdout}${r.stderr}`);
        // Not enforced is never a pass: the run fails, and says so.
        expect(r.status).toBe(enforced ? 0 : 1);
        expect(report.canary.verdict).toBe(enforced ? "enforced" : "not-enforced");
        expect(r.stdout).toContain("LEARNER  postgres-port  sidecar-localhost  one-sandbox  credential-fenced  network-fence");
        expect(report.learners).toEqual(LEARNERS);
        for (const l of LEARNERS) {
            const pods = podsIn(ns(l));
            expect(findings(report, l, "postgres-port")).toEqual(POSTGRES_PODS[l].map((p) => `${p} pass`));
            // Each answer names the pod's own IP, as the API server reports it, on the same port.
            expect(report.results.filter((x) => x.learner === l && x.check === "postgres-port").map((x) => x.got)).toEqual(POSTGRES_PODS[l].map((p) => `postgres answered as ${pods[p].status.podIP}:5432`));
            expect(findings(report, l, "sidecar-localhost")).toEqual(["sidecar pass"]);
            expect(findings(report, l, "one-sandbox")).toEqual([...POSTGRES_PODS[l], "sidecar", "workbench"].map((p) => `${p} pass`));
            expect(findings(report, l, "credential-fenced")).toEqual(["pass"]);
            expect(findings(report, l, "network-fence")).toEqual([enforced ? "pass" : "not-enforced"]);
            // Every path out, over IPv4; IPv6 closed for the reason read in the learner's own pod.
            const fence = report.results.find((x) => x.learner === l && x.check === "network-fence")!;
            expect(fence.got).toMatch(/^IPv4: .*'s postgres \(postgres\) [\d.]+:5432, .*the node's kubelet 10\.245\.0\.1:10250, the API server 10\.245\.0\.1:6444 connection timed out; /);
            expect(fence.got).toContain(`IPv6: closed, no IPv6 address in ${l}'s sidecar (its /proc/net/if_inet6 lists none but loopback); ${l}'s own postgres`);
        }
        expect(report.canary.families).toEqual({ IPv4: expect.objectContaining({ verdict: "enforced" }), IPv6: expect.objectContaining({ verdict: "closed" }) });
        expect(report.results.find((x) => x.learner === "ada" && x.check === "credential-fenced")!.tried).toBe(`kubectl get pods -n ${ns("grace")} (with ada's kubeconfig: GET /api/v1/namespaces/${ns("grace")}/pods)`);
        // The canary is being deleted (the namespace controller finishes within seconds), and no object of any environment changed (same resourceVersions).
        const canaries = kubectlJsonSync<{ items: any[] }>(["get", "namespaces", "-l", `podlab.dev/course=${COURSE},podlab.dev/canary=namespace`]).items;
        expect(canaries.map((n) => `${n.metadata.name} ${n.metadata.deletionTimestamp !== undefined}`)).toEqual(canaries.map((n) => `${n.metadata.name} true`));
        expect(podlabObjects(namespaces)).toEqual(before);
    });

    it("check fails where the fence is broken: grace's policy deleted by the admin (her pods reach the node and the API server), then IPv6 turned back on in ada's and grace's pods", async () => {
        const checkNow = () => {
            const r = course("check", "--roster", roster("base", BASE_ROSTER), "--out", out);
            return { status: r.status, stdout: r.stdout, report: readCheck() };
        };
        const policy = kubectlJsonSync(["get", "networkpolicy", "same-namespace-only", "-n", ns("grace")]);
        kubectlSync(["delete", "networkpolicy", "same-namespace-only", "-n", ns("grace")]);
        try {
            const r = checkNow();
            expect(r.status).toBe(1);
            expect(findings(r.report, "grace", "network-fence")).toEqual(["fail"]);
            const got = r.report.results.find((x) => x.learner === "grace" && x.check === "network-fence")!.got;
            expect(got).toMatch(/^open: .*the node's kubelet 10\.245\.0\.1:10250 over IPv4 answered HTTP 400.*the API server 10\.245\.0\.1:6444 over IPv4 answered HTTP 400/);
            // ada's and linus's own fences still keep them out of grace's pods.
            expect(["ada", "linus"].map((l) => findings(r.report, l, "network-fence")[0])).toEqual(["pass", "pass"]);
        } finally {
            kubectlSync(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "same-namespace-only", namespace: ns("grace"), labels: policy.metadata.labels }, spec: policy.spec }) });
        }
        const turned = [[ns("ada"), "sidecar"], [ns("grace"), "postgres"], [ns("grace"), "sidecar"]];
        try {
            for (const [namespace, pod] of turned) {
                await setPodIpv6(namespace, pod, true);
            }
            const r = checkNow();
            expect(r.status).toBe(1);
            const ada = r.report.results.find((x) => x.learner === "ada" && x.check === "network-fence")!;
            console.log(`with IPv6 back in ada's and grace's pods: ${ada.status}: ${ada.got}`);
            expect(ada.status).toBe("fail");
            expect(ada.got).toMatch(/^open: grace's (postgres|sidecar) \(\w+\) \[fe80::[0-9a-f:]+%eth0\]:\d+ over IPv6 /);
            // The canary's own pods have no IPv6: it cannot speak for IPv6, and IPv4 is still enforced.
            expect(r.report.canary.families?.IPv4.verdict).toBe("enforced");
        } finally {
            for (const [namespace, pod] of turned) {
                await setPodIpv6(namespace, pod, false);
            }
        }
    });

    it("check on a cluster that ignores NetworkPolicy (the lab's enforcer stopped): NOT ENFORCED for every learner, never a pass, exit 1", () => {
        const lab = (verb: string) => execFileSync("bash", [path.join(PROJECT_DIR, "lab", "cluster.sh"), "networkpolicy", verb], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        lab("stop");
        try {
            const r = course("check", "--roster", roster("base", BASE_ROSTER), "--out", out);
            const report = readCheck();
            console.log(`course check with NetworkPolicy ignored:\n${r.stdout}`);
            expect(r.status).toBe(1);
            expect(report.canary.verdict).toBe("not-enforced");
            expect(report.canary.detail).toContain("its fenced pod (a NetworkPolicy denies it all ingress) answered HTTP 200 to its prober over IPv4");
            expect(LEARNERS.map((l) => findings(report, l, "network-fence")[0])).toEqual(["not-enforced", "not-enforced", "not-enforced"]);
            expect(r.stdout).toContain("NOT ENFORCED network-fence for every learner (3):");
        } finally {
            lab("start");
        }
    });

    it("pictures: card.html and index.html render in Chromium, every pod at the IP the API server reports with its containers' ports; stack show draws the same", async () => {
        const shots: string[] = [];
        await withChromium(async (browser) => {
            for (const l of ["ada", "grace"]) {
                const card = await render(browser, path.join(out, l, "card.html"));
                expect(card.errors).toEqual([]);
                expect(card.requests).toEqual([]);
                const pods = podsIn(ns(l));
                const drawn = await drawnPods(card.page);
                expect(drawn.map((d) => d.pod).sort()).toEqual(Object.keys(pods).sort());
                for (const d of drawn) {
                    expect(`${d.pod} ${d.ip}`).toBe(`${d.pod} ${pods[d.pod].status.podIP}`);
                    expect(d.text).toContain(`IP ${pods[d.pod].status.podIP}`);
                    expect(d.containers).toEqual(Object.fromEntries(pods[d.pod].spec.containers.map((c: any) => [c.name, (c.ports ?? []).map((p: any) => p.containerPort)])));
                }
                // One sandbox drawn per pod, from the node's runtime; the sidecar's arrow to nginx's port.
                expect(await card.page.$$eval("g.sandbox", (gs) => gs.map((g) => g.getAttribute("data-sandboxes")))).toEqual(drawn.map(() => "1"));
                expect(await card.page.$$eval("g.localhost-arrow", (gs) => gs.map((g) => g.getAttribute("data-target-port")))).toEqual(["8080"]);
                // The same commands as card.txt, each as printed.
                const txt = fs.readFileSync(path.join(out, l, "card.txt"), "utf8").split("\n").map((x) => x.trim()).filter((x) => x.startsWith("kubectl ") || x.startsWith("export "));
                expect(await card.page.$$eval("ol.commands pre", (pres) => pres.map((p) => p.textContent))).toEqual(txt);
                expect(await printedPages(card.page)).toBe(1);
                console.log(`card.html of ${l}: loaded in ${card.ms} ms`);
                if (l === "ada") {
                    shots.push(await keepScreenshot(card.page, "course-card.png"));
                }
            }
            const index = await render(browser, path.join(out, "index.html"));
            expect(index.errors).toEqual([]);
            expect(index.requests).toEqual([]);
            expect(await index.page.$$eval("table.learners tr[data-learner]", (rows) => rows.map((r) => r.getAttribute("data-learner")))).toEqual(LEARNERS);
            expect(await index.page.$$eval("table.learners tr[data-learner] td:first-child a", (as) => as.map((a) => a.textContent))).toEqual(LEARNERS);
            // The last check's results are on it: one status cell per learner and check.
            expect(await index.page.$$eval("table.learners td.status", (cells) => cells.length)).toBe(LEARNERS.length * 5);
            expect(await index.page.$$eval("table.learners td.status.unchecked", (cells) => cells.length)).toBe(0);
            const drawnAll = await drawnPods(index.page);
            expect(drawnAll.length).toBe(LEARNERS.reduce((n, l) => n + Object.keys(podsIn(ns(l))).length, 0));
            // The summary on one printed page, then a card per page.
            expect(await printedPages(index.page)).toBe(1 + LEARNERS.length);
            console.log(`index.html: loaded in ${index.ms} ms`);
            shots.push(await keepScreenshot(index.page, "course-index.png"));

            const file = path.join(root, "stack-show.html");
            const show = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "stack.js"), "show", "--stack", `${COURSE}-linus`, "--workdir", path.join(out, ".podlab", "linus"), "--out", file], { encoding: "utf8", env: process.env });
            expect(`${show.status} ${show.stdout.trim()}`).toBe(`0 ${file}`);
            const stack = await render(browser, file);
            expect(stack.errors).toEqual([]);
            expect(stack.requests).toEqual([]);
            const pods = podsIn(ns("linus"));
            expect((await drawnPods(stack.page)).map((d) => `${d.pod} ${d.ip}`).sort()).toEqual(Object.keys(pods).sort().map((p) => `${p} ${pods[p].status.podIP}`));
            console.log(`stack show page: loaded in ${stack.ms} ms`);
            shots.push(await keepScreenshot(stack.page, "stack-show.png"));
        });
        console.log(`screenshots: ${shots.join(", ")}`);
    });

    it("a broken environment fails its learner only; up puts it back, and the next check passes", () => {
        const enforced = labEnforcesNetworkPolicy();
        const fence = enforced ? "pass" : "not-enforced";
        expect(kubectlRunSync(["delete", "pod", "sidecar", "-n", ns("grace"), "--wait=true"], { timeoutMs: WAIT_MS }).exitCode).toBe(0);
        const broken = course("check", "--roster", roster("base", BASE_ROSTER), "--out", out);
        expect(broken.status).toBe(1);
        const report = readCheck();
        expect(report.results.filter((r) => r.status === "fail").map((r) => `${r.learner} ${r.check}${r.pod ? ` ${r.pod}` : ""}`)).toEqual([
            "grace sidecar-localhost sidecar",
            "grace one-sandbox sidecar",
        ]);
        expect(report.results.find((r) => r.learner === "grace" && r.check === "sidecar-localhost")!.got).toContain("pod sidecar is missing");
        // Without her sidecar, grace's network fence is probed from her workbench, which has curl too.
        const graceFence = report.results.find((r) => r.learner === "grace" && r.check === "network-fence")!;
        expect(`${graceFence.status} ${graceFence.tried}`).toMatch(new RegExp(`^(${fence}|not-possible) curl .* from grace's workbench`));
        for (const l of ["ada", "linus"]) {
            expect(report.results.filter((r) => r.learner === l).map((r) => r.status)).toEqual([...Array(2 + 1 + 4 + 1).fill("pass"), fence]);
        }
        const up = course("up", "--roster", roster("base", BASE_ROSTER), "--out", out);
        expect(`${up.stdout}${up.stderr}`).toContain("course up: 3 done, 0 failed");
        expectAllReady("grace", ["postgres", "sidecar"]);
        const again = course("check", "--roster", roster("base", BASE_ROSTER), "--out", out, "grace");
        expect(again.status).toBe(enforced ? 0 : 1);
        expect(readCheck().results.map((r) => `${r.check} ${r.status}`)).toEqual([
            "postgres-port pass",
            "sidecar-localhost pass",
            "one-sandbox pass",
            "one-sandbox pass",
            "one-sandbox pass",
            "credential-fenced pass",
            `network-fence ${fence}`,
        ]);
    });

    it("the quota refuses a pod beyond it and Pod Security a privileged one, for the learner's own pods", () => {
        const pod = (name: string, privileged = false) =>
            JSON.stringify({
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name },
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: "sleep",
                            image: BUSYBOX,
                            command: ["sleep", "3600"],
                            securityContext: privileged ? { privileged: true } : { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                        },
                    ],
                },
            });
        const create = (manifest: string) => kubectlRunSync(["create", "-f", "-"], { kubeconfig: kubeconfigOf("grace"), input: manifest });
        const privileged = create(pod("try-privileged", true));
        expect(privileged.exitCode).toBe(1);
        expect(printed(privileged)).toContain('violates PodSecurity "restricted:latest"');
        // Two extra pods fit (podlab:quota.extraPods, default 2); the third does not.
        expect(create(pod("extra1")).exitCode).toBe(0);
        expect(create(pod("extra2")).exitCode).toBe(0);
        const third = create(pod("extra3"));
        expect(third.exitCode).toBe(1);
        expect(printed(third)).toMatch(/exceeded quota: environment, requested: .*pods=1/);
        expect(asLearner("grace", "delete", "pod", "extra1", "extra2", "--wait=true").exitCode).toBe(0);
    });

    it("reset changes only its learner: new pods, password and credential; everyone else untouched", async () => {
        const before = Object.fromEntries(LEARNERS.map((l) => [l, podUids(l)]));
        const oldPassword = secretPassword("ada", "postgres-credentials");
        const oldAda = path.join(root, "ada-old-kubeconfig");
        fs.copyFileSync(kubeconfigOf("ada"), oldAda);
        const r = course("reset", "--roster", roster("base", BASE_ROSTER), "--out", out, "ada");
        expect(`${r.stdout}${r.stderr}`).toContain("course reset: 1 done, 0 failed");
        expect(r.status).toBe(0);
        expectAllReady("ada", ["postgres", "postgres2", "sidecar"]);
        const after = podUids("ada");
        for (const name of Object.keys(before.ada)) {
            expect(after[name]).not.toBe(before.ada[name]);
        }
        expect(podUids("grace")).toEqual(before.grace);
        expect(podUids("linus")).toEqual(before.linus);
        expect(secretPassword("ada", "postgres-credentials")).not.toBe(oldPassword);
        expect(tokenOf(kubeconfigOf("ada"))).not.toBe(tokenOf(oldAda));
        await eventually("ada's old token refused", () => /Unauthorized|must be logged in/i.test(kubectlRunSync(["get", "pods"], { kubeconfig: oldAda }).stderr), 30);
        expect(asLearner("ada", "get", "pods").exitCode).toBe(0);
    });

    it("credentials: a fresh kubeconfig, the old token stops working, pods untouched", async () => {
        const uids = podUids("grace");
        const old = path.join(root, "grace-old-kubeconfig");
        fs.copyFileSync(kubeconfigOf("grace"), old);
        expect(kubectlRunSync(["get", "pods"], { kubeconfig: old }).exitCode).toBe(0);
        const r = course("credentials", "--roster", roster("base", BASE_ROSTER), "--out", out, "grace");
        expect(r.status).toBe(0);
        expect(tokenOf(kubeconfigOf("grace"))).not.toBe(tokenOf(old));
        const seconds = await eventually("grace's old token refused", () => kubectlRunSync(["get", "pods"], { kubeconfig: old }).exitCode !== 0, 30);
        expect(kubectlRunSync(["get", "pods"], { kubeconfig: old }).stderr).toMatch(/Unauthorized|must be logged in/i);
        expect(asLearner("grace", "get", "pods").exitCode).toBe(0);
        expect(podUids("grace")).toEqual(uids);
        console.log(`old token refused ${seconds.toFixed(1)} s after credentials returned`);
    });

    it("a learner dropped from the roster is reported and kept; down LEARNER removes only them", () => {
        const without = roster("without-linus", { ...BASE_ROSTER, learners: BASE_ROSTER.learners.slice(0, 2) });
        const up = course("up", "--roster", without, "--out", out);
        expect(up.status).toBe(0);
        expect(up.stdout).toContain("linus: no longer in the roster");
        expect(kubectlRunSync(["get", "namespace", ns("linus")]).exitCode).toBe(0);
        const adaUids = podUids("ada");
        const down = course("down", "--roster", without, "--out", out, "linus");
        expect(`${down.stdout}${down.stderr}`).toContain("course down: 1 done, 0 failed");
        expect(down.status).toBe(0);
        expect(labelled().filter((o) => o.includes(ns("linus")))).toEqual([]);
        expect(fs.existsSync(path.join(out, "linus"))).toBe(false);
        expect(podUids("ada")).toEqual(adaUids);
    });

    it("an up killed with SIGKILL mid-run converges on the next up: nothing duplicated, nothing locked or pending", async () => {
        const grown = roster("grown", {
            ...BASE_ROSTER,
            learners: [{ name: "ada", config: { postgres: { count: 3 } } }, { name: "grace", config: { postgres: { count: 1 } } }, "margaret"],
        });
        const child: ChildProcess = spawn(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "course", "main.js"), "up", "--roster", grown, "--out", out], {
            detached: true,
            stdio: "ignore",
            env: process.env,
        });
        // Kill the whole process group (the course command, its Pulumi CLIs and providers) once objects are being created.
        await eventually("margaret's namespace or ada's postgres3 being created", () => {
            const r = kubectlRunSync(["get", "pods,namespaces", "-A", "-l", `podlab.dev/course=${COURSE}`, "-o", "name"]);
            return printed(r).includes(`namespace/${ns("margaret")}`) || printed(r).includes("pod/postgres3");
        }, 120);
        process.kill(-child.pid!, "SIGKILL");
        await new Promise((r) => setTimeout(r, 1000));
        // The kill hit mid-update: at least one stack is left locked by a dead pulumi (so recovery is really exercised).
        const locks = path.join(backend, ".pulumi", "locks");
        const lockFiles = () => (fs.existsSync(locks) ? fs.readdirSync(locks, { recursive: true }).map(String).filter((f) => f.endsWith(".json")) : []);
        expect(lockFiles().length).toBeGreaterThan(0);
        // A kill that lands while the backend rewrites a blob's attributes leaves them empty
        // beside the intact old content (seen in a run of this test: every stack ls then
        // failed with "error: EOF"). Make sure this run has that case too.
        const adaAttrs = path.join(backend, ".pulumi", "stacks", "podlab", `${COURSE}-ada.json.attrs`);
        fs.writeFileSync(adaAttrs, "");

        const r = course("up", "--roster", grown, "--out", out);
        expect(`${r.stdout}${r.stderr}`).toContain("course up: 3 done, 0 failed");
        expect(`${r.stdout}${r.stderr}`).toContain(`removed stacks/podlab/${COURSE}-ada.json.attrs, the half-written attributes of a killed pulumi`);
        expect(`${r.stdout}${r.stderr}`).toContain("released the lock of a killed pulumi");
        expect(r.status).toBe(0);
        expectAllReady("ada", ["postgres", "postgres2", "postgres3", "sidecar"]);
        expectAllReady("margaret", ["postgres", "postgres2", "sidecar"]);
        expectAllReady("grace", ["postgres", "sidecar"]);
        // One of each object per learner, all recorded, none pending, no lock left.
        for (const l of ["ada", "grace", "margaret"]) {
            const kinds = labelled().filter((o) => o.includes(`/${ns(l)}/`) && !o.startsWith("Secret/")).map((o) => o.split("/")[0]);
            // One of each, and two NetworkPolicies: the fence, and the workbench's way to the API server.
            expect(kinds.filter((k) => k === "NetworkPolicy" || k === "ResourceQuota" || k === "LimitRange" || k === "ServiceAccount").sort()).toEqual(["LimitRange", "NetworkPolicy", "NetworkPolicy", "ResourceQuota", "ServiceAccount"]);
            const stacks = path.join(backend, ".pulumi", "stacks", "podlab");
            expect(fs.readdirSync(stacks)).toContain(`${COURSE}-${l}.json`);
            const state = JSON.parse(fs.readFileSync(path.join(stacks, `${COURSE}-${l}.json`), "utf8"));
            expect(state.checkpoint.latest.pending_operations ?? []).toEqual([]);
        }
        expect(lockFiles()).toEqual([]);
        expect(fs.existsSync(path.join(out, ".podlab", "lock"))).toBe(false);
    });

    it("down: nothing carrying the course's label remains, and the stacks and files are gone", () => {
        const r = course("down", "--roster", roster("grown-down", { ...BASE_ROSTER, learners: ["ada", "grace", "margaret"] }), "--out", out);
        expect(r.stdout).toContain(`nothing carrying podlab.dev/course=${COURSE} remains in the cluster`);
        expect(r.status).toBe(0);
        expect(labelled()).toEqual([]);
        const stacks = path.join(backend, ".pulumi", "stacks", "podlab");
        expect((fs.existsSync(stacks) ? fs.readdirSync(stacks) : []).filter((f) => f.startsWith(`${COURSE}-`) && f.endsWith(".json"))).toEqual([]);
        expect(fs.readdirSync(out).filter((f) => !f.startsWith("."))).toEqual([]);
    });
});
