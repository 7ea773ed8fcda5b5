/**
 * NetworkPolicy on the lab's real node, with real packets: kube-router's policy
 * controller (lab/node/networkpolicy.sh) enforces the policy each environment
 * gets from podlab's program (NetworkFence: ingress from the same namespace
 * only), so one learner's pods cannot reach another's. Three environments, each
 * a podlab stack (Pulumi.lab.yaml) in a namespace of its own: A and B keep
 * their policy, OPEN has it deleted by the admin. The connections are made
 * from inside A's pods (curl in the sidecar container, psql and bash in the
 * postgres containers) to the other pods' IPs, across the lab bridge.
 * `npm run e2e` runs it; the KWOK fallback (`npm run e2e:kwok`), which moves no
 * packets, leaves it out. The tests run in order and share one deployment.
 *
 * A blocked connection times out (curl exit 28, psql "timeout expired"), as
 * with Calico or Cilium, which drop: kube-router REJECTs, and the lab drops
 * the host's resulting port-unreachable messages (lab/node/networkpolicy.sh).
 * What shows that the policy blocked it, and not a server that is down: at
 * the same moment the same server accepts the same connection from its own
 * namespace and from the host, and A connects again once B's policy is deleted.
 */
import { spawn } from "child_process";
import { Stack } from "@pulumi/pulumi/automation";
import { NETWORK_FENCE_POLICY_NAME } from "../../components/networkFence";
import { kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { execIn, expectReadyPodsAt, LAB_STACK_CONFIG, podsIn, privateBackend, psqlServerAddress, requireRealNode, scratchStack, secretPassword, tcpConnects, WAIT_MS } from "./lab";

const ENVS = { a: "e2e-np-a", b: "e2e-np-b", open: "e2e-np-open" } as const;
type Env = keyof typeof ENVS;
const ns = (env: Env) => `podlab-${ENVS[env]}`;
const POSTGRES = ["postgres", "postgres2"];
const NGINX_PORT = 8080;
const NGINX_PAGE = "<h1>Hello from nginx in pod sidecar</h1>";
const POLICY = NETWORK_FENCE_POLICY_NAME;
/** How long a policy change may take to show before the suite gives up (a timeout, not a speed check). */
const POLICY_CHANGE_TIMEOUT_S = 60;

let root: string;
const stacks: Partial<Record<Env, Stack>> = {};
/** Each environment's pods, by name: their IPs (the stacks' podIps output). */
const podIps = {} as Record<Env, Record<string, string>>;
let policyAppliedAt = 0;

/**
 * Puts back into `namespace` the NetworkPolicy podlab's program made in A (the
 * object as the cluster holds it, so exactly the program's policy).
 */
function restoreEnvironmentPolicy(namespace: string): void {
    const fromA = JSON.parse(kubectlSync(["get", "networkpolicy", POLICY, "-n", ns("a"), "-o", "json"]));
    const policy = { apiVersion: fromA.apiVersion, kind: fromA.kind, metadata: { name: POLICY, namespace, labels: fromA.metadata.labels }, spec: fromA.spec };
    kubectlSync(["apply", "-f", "-"], { input: JSON.stringify(policy) });
}

/** curl from an environment's sidecar container to nginx at a pod IP: curl's exit code (0 ok, 7 refused, 28 timed out) and the page. */
const CURL_TIMED_OUT = 28;
function curlFrom(env: Env, ip: string): { exit: number | null; page: string } {
    const r = execIn(ns(env), "sidecar", "sidecar", "curl", "-s", "--connect-timeout", "3", "--max-time", "5", `http://${ip}:${NGINX_PORT}/`);
    return { exit: r.exitCode, page: r.stdout };
}

/** An HTTP GET with bash's /dev/tcp from one of an environment's postgres containers (the image has no curl). */
function httpGetFromPostgres(env: Env, pod: string, ip: string): ReturnType<typeof execIn> {
    return execIn(ns(env), pod, "postgres", "timeout", "5", "bash", "-c",
        'exec 3<>"/dev/tcp/$0/$1" && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3', ip, String(NGINX_PORT));
}

/** psql from an environment's first postgres pod to another postgres pod, with that pod's own password. */
function psqlFrom(env: Env, to: Env, pod: string, client = "postgres"): ReturnType<typeof execIn> {
    return psqlServerAddress(ns(env), client, podIps[to][pod], secretPassword(ns(to), pod));
}

/**
 * Watches, from inside an environment's sidecar container, for new connections
 * to a URL to turn blocked (timed out) or reachable: curl every ~50 ms (a
 * blocked one waits out its 0.5 s connect timeout), each in a new TCP
 * connection. `watching` resolves once the old state was seen; `reached` gives
 * the time this process read the probe's answer, in ms since the epoch (the
 * image's busybox `date` has no milliseconds, and kubectl streams the line at once).
 */
function watchConnections(env: Env, url: string, until: "blocked" | "reachable"): { watching: Promise<void>; reached: Promise<number> } {
    const script = `until=$1 url=$2 deadline=$(($(date +%s) + $3)) said=
while :; do
  curl -s -o /dev/null --connect-timeout 0.5 --max-time 2 "$url"; rc=$?
  case "$until:$rc" in reachable:0 | blocked:28) echo reached; exit 0 ;; esac
  [ -n "$said" ] || { echo watching; said=1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "gave up: curl exit $rc"; exit 1; }
  sleep 0.05
done`;
    const child = spawn("kubectl", ["exec", "-n", ns(env), "sidecar", "-c", "sidecar", "--", "sh", "-c", script, "sh", until, url, String(POLICY_CHANGE_TIMEOUT_S)]);
    let out = "";
    let reachedAt = 0;
    let onWatching: () => void;
    let onEarly: (e: Error) => void;
    const watching = new Promise<void>((resolve, reject) => {
        onWatching = resolve;
        onEarly = reject;
    });
    child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("watching\n")) {
            onWatching();
        }
        if (reachedAt === 0 && /^reached$/m.test(out)) {
            reachedAt = Date.now();
        }
    });
    const reached = new Promise<number>((resolve, reject) => {
        child.on("close", (code) => {
            if (!out.includes("watching\n")) {
                onEarly(new Error(`connections to ${url} were already ${until} before the change (${out.trim()})`));
            }
            if (code === 0 && reachedAt > 0) {
                resolve(reachedAt);
            } else {
                reject(new Error(`connections to ${url} did not turn ${until} within ${POLICY_CHANGE_TIMEOUT_S} s (exit ${code}): ${out.trim()}`));
            }
        });
    });
    reached.catch(() => undefined); // awaited by the test; a rejection before then is not unhandled
    return { watching, reached };
}

/** Runs a policy change while A watches B's nginx; returns ms from the change's start, and from its return, to the new state. */
async function timePolicyChange(until: "blocked" | "reachable", change: () => void): Promise<{ fromStart: number; fromReturn: number }> {
    const watch = watchConnections("a", `http://${podIps.b.sidecar}:${NGINX_PORT}/`, until);
    await watch.watching;
    const start = Date.now();
    change();
    const returned = Date.now();
    const at = await watch.reached;
    return { fromStart: at - start, fromReturn: at - returned };
}

describe("NetworkPolicy on the lab's real node (kube-router), with real packets", () => {
    beforeAll(async () => {
        requireRealNode();
        // A run killed half-way leaves its namespaces (and policies) behind; their state went with its private backend.
        for (const env of Object.keys(ENVS) as Env[]) {
            kubectlRunSync(["delete", "namespace", ns(env), "--ignore-not-found", "--wait=true"], { timeoutMs: WAIT_MS });
        }
        root = privateBackend();
    });

    afterAll(async () => {
        for (const stack of Object.values(stacks)) {
            await stack.destroy().catch(() => undefined);
        }
    });

    it("three environments deploy, each with podlab's policy; without it, A reaches B's pods (the network works)", async () => {
        for (const env of Object.keys(ENVS) as Env[]) {
            const stack = (stacks[env] = await scratchStack(root, ENVS[env], LAB_STACK_CONFIG));
            await stack.setConfig("podlab:namespace", { value: ns(env) });
            const result = await stack.up();
            expect(result.summary.result).toBe("succeeded");
            podIps[env] = result.outputs.podIps.value;
            expectReadyPodsAt(ns(env), podIps[env]);
            expect(kubectlSync(["get", "networkpolicies", "-n", ns(env), "-o", "name"]).trim()).toBe(`networkpolicy.networking.k8s.io/${POLICY}`);
        }
        // The admin takes the policy away from B and OPEN.
        for (const env of ["b", "open"] as Env[]) {
            kubectlSync(["delete", "networkpolicy", POLICY, "-n", ns(env)]);
        }
        await new Promise((r) => setTimeout(r, 1000));
        const page = curlFrom("a", podIps.b.sidecar);
        expect(page.exit).toBe(0);
        expect(page.page).toContain(NGINX_PAGE);
        expect(psqlFrom("a", "b", "postgres").stdout.trim()).toBe(`${podIps.b.postgres}:5432`);
    });

    it("the admin puts podlab's policy back on B: A's new connections to B time out (measured)", async () => {
        const t = await timePolicyChange("blocked", () => restoreEnvironmentPolicy(ns("b")));
        policyAppliedAt = Date.now();
        console.info(`networkpolicy: apply -> blocked: ${t.fromReturn} ms after kubectl apply returned (${t.fromStart} ms after it started)`);
        expect(kubectlSync(["get", "networkpolicy", POLICY, "-n", ns("a"), "-o", "name"]).trim()).toBe(`networkpolicy.networking.k8s.io/${POLICY}`);
    });

    it("under the policy, A's own pods answer at their IPs: postgres on 5432, nginx on 8080", () => {
        for (const [i, pod] of POSTGRES.entries()) {
            const client = POSTGRES[(i + 1) % POSTGRES.length];
            expect(psqlFrom("a", "a", pod, client).stdout.trim()).toBe(`${podIps.a[pod]}:5432`);
            const page = httpGetFromPostgres("a", client, podIps.a.sidecar);
            expect(page.exitCode).toBe(0);
            expect(page.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
            expect(page.stdout).toContain(NGINX_PAGE);
        }
    });

    it("from A, connections to B's pods time out (not refused), while B's own pods and the host still connect to them", async () => {
        // nginx: curl exit 28 (timed out), not 7 ("Couldn't connect": refused).
        expect(curlFrom("a", podIps.b.sidecar)).toEqual({ exit: CURL_TIMED_OUT, page: "" });
        for (const pod of POSTGRES) {
            const blocked = psqlFrom("a", "b", pod);
            expect(blocked.exitCode).not.toBe(0);
            expect(blocked.stderr).toContain("timeout expired");
            expect(blocked.stderr).not.toContain("Connection refused");
        }
        // bash's /dev/tcp waits until `timeout 5` ends it (exit 124).
        const nginxFromA = httpGetFromPostgres("a", "postgres", podIps.b.sidecar);
        expect(nginxFromA.exitCode).toBe(124);
        // The same servers, at the same time: from their own namespace and from the host.
        expect(psqlFrom("b", "b", "postgres", "postgres2").stdout.trim()).toBe(`${podIps.b.postgres}:5432`);
        expect(httpGetFromPostgres("b", "postgres", podIps.b.sidecar).stdout).toContain(NGINX_PAGE);
        expect(await tcpConnects(podIps.b.postgres, 5432)).toBe(true);
        expect(await tcpConnects(podIps.b.sidecar, NGINX_PORT)).toBe(true);
        // And the other way round, B's policy does not open A: A's own policy blocks B.
        expect(curlFrom("b", podIps.a.sidecar).exit).toBe(CURL_TIMED_OUT);
    });

    it("the sidecar's fetch from localhost is unaffected by the policy", () => {
        const page = execIn(ns("a"), "sidecar", "sidecar", "curl", "-s", "--max-time", "5", `http://localhost:${NGINX_PORT}/`);
        expect(page.exitCode).toBe(0);
        expect(page.stdout).toContain(NGINX_PAGE);
        expect(kubectlSync(["logs", "-n", ns("a"), "sidecar", "-c", "sidecar", "--since=15s"])).toMatch(/GET http:\/\/localhost:8080\/ -> 200/);
    });

    it("a namespace without a policy stays reachable from A, and is itself blocked by A and B", () => {
        const page = curlFrom("a", podIps.open.sidecar);
        expect(page.exit).toBe(0);
        expect(page.page).toContain(NGINX_PAGE);
        expect(psqlFrom("a", "open", "postgres").stdout.trim()).toBe(`${podIps.open.postgres}:5432`);
        expect(curlFrom("open", podIps.a.sidecar).exit).toBe(CURL_TIMED_OUT);
        expect(curlFrom("open", podIps.b.sidecar).exit).toBe(CURL_TIMED_OUT);
    });

    it("the kubelet's probes and the host still reach the pods under the policy: every pod stays Ready", async () => {
        // nginx's readiness (HTTP GET) and liveness (TCP) probes come from the node, across the
        // bridge: past three failed readiness periods (3 x 5 s) nginx would have turned unready.
        const wait = policyAppliedAt + 20000 - Date.now();
        if (wait > 0) {
            await new Promise((r) => setTimeout(r, wait));
        }
        for (const env of ["a", "b"] as Env[]) {
            const pods = expectReadyPodsAt(ns(env), podIps[env]);
            for (const pod of Object.values(pods)) {
                for (const c of pod.status.containerStatuses) {
                    expect(c).toEqual(expect.objectContaining({ ready: true, restartCount: 0 }));
                }
                const ready = pod.status.conditions.find((c: any) => c.type === "Ready");
                expect(Date.parse(ready.lastTransitionTime)).toBeLessThan(policyAppliedAt);
            }
            for (const pod of POSTGRES) {
                expect(await tcpConnects(podIps[env][pod], 5432)).toBe(true);
            }
            expect(await tcpConnects(podIps[env].sidecar, NGINX_PORT)).toBe(true);
        }
    });

    it("after the admin deletes B's policy, A reaches B again (measured); A's policy still blocks B", async () => {
        const t = await timePolicyChange("reachable", () => kubectlSync(["delete", "networkpolicy", POLICY, "-n", ns("b")]));
        console.info(`networkpolicy: delete -> reachable: ${t.fromReturn} ms after kubectl delete returned (${t.fromStart} ms after it started)`);
        expect(curlFrom("a", podIps.b.sidecar).page).toContain(NGINX_PAGE);
        for (const pod of POSTGRES) {
            expect(psqlFrom("a", "b", pod).stdout.trim()).toBe(`${podIps.b[pod]}:5432`);
        }
        expect(curlFrom("b", podIps.a.sidecar).exit).toBe(CURL_TIMED_OUT);
        expect(Object.keys(podsIn(ns("b"))).sort()).toEqual([...POSTGRES, "sidecar"]);
    });
});
