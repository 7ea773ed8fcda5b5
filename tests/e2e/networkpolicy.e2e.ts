/**
 * NetworkPolicy on the lab's real node, with real packets: kube-router's policy
 * controller (lab/node/networkpolicy.sh) enforces the policy each environment
 * gets from podlab's program (NetworkFence: in from, and out to, the same
 * namespace only), so one learner's pods cannot reach another's, nor the node
 * or the API server. Three environments, each a podlab stack (Pulumi.lab.yaml)
 * in a namespace of its own: A and B keep their policy, OPEN has it deleted
 * by the admin (so it shows what a pod without the fence reaches). A fourth,
 * made by an inline program, has the fence's one exception: a pod it lets
 * reach the API server. The connections are made from inside the pods (curl
 * in the sidecar container, psql and bash in the postgres containers) across
 * the lab bridge. IPv6 is off in every pod (the lab's CNI config); the suite
 * shows a learner's pod cannot turn it on, and what happens when the node's
 * admin does. `npm run e2e` runs it; the KWOK fallback (`npm run e2e:kwok`),
 * which moves no packets, leaves it out. The tests run in order and share one
 * deployment.
 *
 * A blocked connection times out (curl exit 28, psql "timeout expired"), as
 * with Calico or Cilium, which drop: kube-router REJECTs, and the lab drops
 * the host's resulting port-unreachable messages (lab/node/networkpolicy.sh).
 * What shows that the policy blocked it, and not a server that is down: at
 * the same moment the same server accepts the same connection from a pod
 * without the fence and from the host, and again once a policy is deleted.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { compressIpv6 } from "../../cli/course/fenceModel";
import { LabNamespace } from "../../components/labNamespace";
import { resolveNetworkConfig } from "../../components/networkConfig";
import { API_SERVER_ACCESS_POLICY_NAME, NETWORK_FENCE_POLICY_NAME, NetworkFence } from "../../components/networkFence";
import {
    LAB_STACK_CONFIG,
    execIn,
    expectReadyPodsAt,
    kubectl,
    kubectlAs,
    kubectlJson,
    kubectlResult,
    labImageDigest,
    learnerKubeconfig,
    podIpv6,
    podsIn,
    privateBackend,
    psqlServerAddress,
    requireRealNode,
    scratchStack,
    secretPassword,
    setPodIpv6,
    tcpConnects,
} from "./lab";
import { labImageRef } from "../labImages";

const ENVS = { a: "e2e-np-a", b: "e2e-np-b", open: "e2e-np-open" } as const;
type Env = keyof typeof ENVS;
const ns = (env: Env) => `podlab-${ENVS[env]}`;
/** The environment made by an inline program: the fence with its API server allowance, and two curl pods. */
const API_NS = "podlab-e2e-np-api";
const API_CLIENT_LABELS = { "podlab.dev/e2e-api-client": "yes" };
const POSTGRES = ["postgres", "postgres2"];
const NGINX_PORT = 8080;
const NGINX_PAGE = "<h1>Hello from nginx in pod sidecar</h1>";
const POLICY = NETWORK_FENCE_POLICY_NAME;
/** How long a policy change may take to show before the suite gives up (a timeout, not a speed check). */
const POLICY_CHANGE_TIMEOUT_S = 60;
/** The node's address on the lab bridge, and the kubelet's and the API server's ports there (lab/env). */
const API_FROM_PODS = new URL(process.env.PODLAB_API_SERVER_FROM_PODS ?? "https://10.245.0.1:6444");
const NODE_IP = API_FROM_PODS.hostname;
const API_PORT = Number(API_FROM_PODS.port);
const KUBELET_PORT = 10250;

let root: string;
const stacks: Partial<Record<Env, Stack>> = {};
let apiStack: Stack | undefined;
/** Each environment's pods, by name: their IPs (the stacks' podIps output). */
const podIps = {} as Record<Env, Record<string, string>>;
let policyAppliedAt = 0;
/** B's postgres's link-local address, had it IPv6 (derived from its MAC). */
let linkLocalOfB = "";

/**
 * Puts back into `namespace` the NetworkPolicy podlab's program made in A (the
 * object as the cluster holds it, so exactly the program's policy).
 */
function restoreEnvironmentPolicy(namespace: string): void {
    const fromA = JSON.parse(kubectl("get", "networkpolicy", POLICY, "-n", ns("a"), "-o", "json"));
    const policy = { apiVersion: fromA.apiVersion, kind: fromA.kind, metadata: { name: POLICY, namespace, labels: fromA.metadata.labels }, spec: fromA.spec };
    execFileSync("kubectl", ["apply", "-f", "-"], { input: JSON.stringify(policy), encoding: "utf8" });
}

/** curl from a pod's curl container to a URL: curl's exit code (0 ok, 7 refused, 28 timed out), the page, and whether a connection was set up. */
const CURL_TIMED_OUT = 28;
function curlIn(namespace: string, pod: string, container: string, url: string, ...extra: string[]): { exit: number; page: string; connected: boolean; stderr: string } {
    const r = execIn(namespace, pod, container, "curl", "-s", "-S", "-g", "--connect-timeout", "3", "--max-time", "5", "-w", "\n@connect=%{time_connect}", ...extra, url);
    const [page, connect] = r.stdout.split("\n@connect=");
    return { exit: r.status, page, connected: Number(connect) > 0, stderr: r.stderr };
}
function curlFrom(env: Env, ip: string, port = NGINX_PORT): { exit: number; page: string } {
    const r = curlIn(ns(env), "sidecar", "sidecar", `http://${ip}:${port}/`);
    return { exit: r.exit, page: r.page };
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

/** Runs a policy change while OPEN (no fence of its own) watches B's nginx; returns ms from the change's start, and from its return, to the new state. */
async function timePolicyChange(until: "blocked" | "reachable", change: () => void): Promise<{ fromStart: number; fromReturn: number }> {
    const watch = watchConnections("open", `http://${podIps.b.sidecar}:${NGINX_PORT}/`, until);
    await watch.watching;
    const start = Date.now();
    change();
    const returned = Date.now();
    const at = await watch.reached;
    return { fromStart: at - start, fromReturn: at - returned };
}

/** A curl pod podlab itself would run (labels given), in the API environment: the lab's curl image, restricted, the cluster's CA mounted. */
function apiClientPod(name: string, labels: Record<string, string>): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: API_NS, labels },
        spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 0,
            securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "curl",
                    image: `${labImageRef("curl")}@${labImageDigest("curl")}`,
                    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
                    resources: { requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" }, limits: { cpu: "100m", memory: "32Mi", "ephemeral-storage": "32Mi" } },
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                    volumeMounts: [{ name: "ca", mountPath: "/etc/lab-ca", readOnly: true }],
                },
            ],
            volumes: [{ name: "ca", configMap: { name: "kube-root-ca.crt" } }],
        },
    };
}

/** Listens on the node's bridge address (a port nothing else uses), as anything else on the node could: the egress fence must keep A off it. */
function listenOnNode(): Promise<net.Server> {
    return new Promise((resolve, reject) => {
        const server = net.createServer((socket) => socket.end("hello from the node\n"));
        server.once("error", reject);
        server.listen(0, NODE_IP, () => resolve(server));
    });
}

describe("NetworkPolicy on the lab's real node (kube-router), with real packets", () => {
    beforeAll(async () => {
        requireRealNode();
        // A run killed half-way leaves its namespaces (and policies) behind; their state went with its private backend.
        for (const namespace of [...(Object.keys(ENVS) as Env[]).map(ns), API_NS]) {
            kubectlResult("delete", "namespace", namespace, "--ignore-not-found", "--wait=true");
        }
        root = privateBackend();
    });

    afterAll(async () => {
        for (const stack of [...Object.values(stacks), apiStack]) {
            await stack?.destroy().catch(() => undefined);
        }
    });

    it("three environments deploy, each with podlab's policy (ingress and egress); without the policies, OPEN reaches B's pods (the network works)", async () => {
        for (const env of Object.keys(ENVS) as Env[]) {
            const stack = (stacks[env] = await scratchStack(root, ENVS[env], LAB_STACK_CONFIG));
            await stack.setConfig("podlab:namespace", { value: ns(env) });
            const result = await stack.up();
            expect(result.summary.result).toBe("succeeded");
            podIps[env] = result.outputs.podIps.value;
            expectReadyPodsAt(ns(env), podIps[env]);
            expect(kubectl("get", "networkpolicies", "-n", ns(env), "-o", "name").trim()).toBe(`networkpolicy.networking.k8s.io/${POLICY}`);
            expect(kubectlJson("get", "networkpolicy", POLICY, "-n", ns(env)).spec.policyTypes).toEqual(["Ingress", "Egress"]);
        }
        // The admin takes the policy away from B and OPEN.
        for (const env of ["b", "open"] as Env[]) {
            kubectl("delete", "networkpolicy", POLICY, "-n", ns(env));
        }
        await new Promise((r) => setTimeout(r, 1000));
        const page = curlFrom("open", podIps.b.sidecar);
        expect(page.exit).toBe(0);
        expect(page.page).toContain(NGINX_PAGE);
        expect(psqlServerAddress(ns("open"), "postgres", podIps.b.postgres, secretPassword(ns("b"), "postgres")).stdout.trim()).toBe(`${podIps.b.postgres}:5432`);
    });

    it("the admin puts podlab's policy back on B: OPEN's new connections to B time out (measured)", async () => {
        const t = await timePolicyChange("blocked", () => restoreEnvironmentPolicy(ns("b")));
        policyAppliedAt = Date.now();
        console.info(`networkpolicy: apply -> blocked: ${t.fromReturn} ms after kubectl apply returned (${t.fromStart} ms after it started)`);
        expect(kubectl("get", "networkpolicy", POLICY, "-n", ns("b"), "-o", "name").trim()).toBe(`networkpolicy.networking.k8s.io/${POLICY}`);
    });

    it("under the policy, A's own pods answer at their IPs: postgres on 5432, nginx on 8080", () => {
        for (const [i, pod] of POSTGRES.entries()) {
            const client = POSTGRES[(i + 1) % POSTGRES.length];
            expect(psqlFrom("a", "a", pod, client).stdout.trim()).toBe(`${podIps.a[pod]}:5432`);
            const page = httpGetFromPostgres("a", client, podIps.a.sidecar);
            expect(page.status).toBe(0);
            expect(page.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
            expect(page.stdout).toContain(NGINX_PAGE);
        }
    });

    it("from A, connections to B's pods time out (not refused), while B's own pods and the host still connect to them", async () => {
        // nginx: curl exit 28 (timed out), not 7 ("Couldn't connect": refused).
        expect(curlFrom("a", podIps.b.sidecar)).toEqual({ exit: CURL_TIMED_OUT, page: "" });
        for (const pod of POSTGRES) {
            const blocked = psqlFrom("a", "b", pod);
            expect(blocked.status).not.toBe(0);
            expect(blocked.stderr).toContain("timeout expired");
            expect(blocked.stderr).not.toContain("Connection refused");
        }
        // bash's /dev/tcp waits until `timeout 5` ends it (exit 124).
        const nginxFromA = httpGetFromPostgres("a", "postgres", podIps.b.sidecar);
        expect(nginxFromA.status).toBe(124);
        // The same servers, at the same time: from their own namespace and from the host.
        expect(psqlFrom("b", "b", "postgres", "postgres2").stdout.trim()).toBe(`${podIps.b.postgres}:5432`);
        expect(httpGetFromPostgres("b", "postgres", podIps.b.sidecar).stdout).toContain(NGINX_PAGE);
        expect(await tcpConnects(podIps.b.postgres, 5432)).toBe(true);
        expect(await tcpConnects(podIps.b.sidecar, NGINX_PORT)).toBe(true);
        // And the other way round, B's policy does not open A: A's own policy blocks B.
        expect(curlFrom("b", podIps.a.sidecar).exit).toBe(CURL_TIMED_OUT);
    });

    it("A's pods cannot get out: OPEN, which has no policy and answers the host, times out for A (egress); A and B time OPEN out (ingress)", async () => {
        expect(curlFrom("a", podIps.open.sidecar)).toEqual({ exit: CURL_TIMED_OUT, page: "" });
        const psql = psqlFrom("a", "open", "postgres");
        expect(psql.stderr).toContain("timeout expired");
        expect(await tcpConnects(podIps.open.sidecar, NGINX_PORT)).toBe(true);
        expect(await tcpConnects(podIps.open.postgres, 5432)).toBe(true);
        expect(curlFrom("open", podIps.a.sidecar).exit).toBe(CURL_TIMED_OUT);
        expect(curlFrom("open", podIps.b.sidecar).exit).toBe(CURL_TIMED_OUT);
    });

    it("not the node: A's pods time out on the kubelet, the API server and anything else listening on the node's bridge address, which OPEN's pods and the host reach", async () => {
        const server = await listenOnNode();
        const other = (server.address() as net.AddressInfo).port;
        try {
            for (const port of [KUBELET_PORT, API_PORT, other]) {
                const fromA = curlIn(ns("a"), "sidecar", "sidecar", `http://${NODE_IP}:${port}/`);
                expect(`${port}: exit ${fromA.exit}, connected ${fromA.connected}`).toBe(`${port}: exit ${CURL_TIMED_OUT}, connected false`);
                const fromPostgres = execIn(ns("a"), "postgres", "postgres", "timeout", "5", "bash", "-c", 'exec 3<>"/dev/tcp/$0/$1"', NODE_IP, String(port));
                expect(fromPostgres.status).toBe(124);
                // A pod without the fence connects: something listens there, and only the policy keeps A off it.
                expect(curlIn(ns("open"), "sidecar", "sidecar", `http://${NODE_IP}:${port}/`).connected).toBe(true);
                expect(await tcpConnects(NODE_IP, port)).toBe(true);
            }
            // What answers there: the kubelet and the API server over TLS, both refusing anonymous requests.
            const kubelet = curlIn(ns("open"), "sidecar", "sidecar", `https://${NODE_IP}:${KUBELET_PORT}/pods`, "-k", "-o", "/dev/null", "-w", "%{http_code}");
            expect(kubelet.page.slice(0, 3)).toBe("401");
            const api = curlIn(ns("open"), "sidecar", "sidecar", `https://${NODE_IP}:${API_PORT}/api`, "-k", "-o", "/dev/null", "-w", "%{http_code}");
            expect(api.page.slice(0, 3)).toBe("401");
        } finally {
            server.close();
        }
    });

    it("the API server answers a pod the fence explicitly allows (apiServerAccess): TLS verified with the cluster's CA, 401 without a token; a plain pod of the same namespace times out", async () => {
        const network = resolveNetworkConfig("PODLAB_API_SERVER_FROM_PODS", { apiServer: { url: API_FROM_PODS.href.replace(/\/$/, "") } });
        const program = async () => {
            const namespace = new LabNamespace(API_NS, { stack: pulumi.getStack() });
            new NetworkFence(API_NS, { namespace: namespace.name, apiServerAccess: { podSelector: API_CLIENT_LABELS, addresses: network.apiServer!.addresses, port: network.apiServer!.port } });
            return { namespace: namespace.name };
        };
        const workDir = fs.mkdtempSync(path.join(root, "api-"));
        apiStack = await LocalWorkspace.createOrSelectStack({ stackName: "e2e-np-api", projectName: "podlab-e2e-fence", program }, { workDir });
        const up = await apiStack.up();
        expect(up.summary.result).toBe("succeeded");
        expect(kubectl("get", "networkpolicies", "-n", API_NS, "-o", "name").trim().split("\n").sort()).toEqual(
            [API_SERVER_ACCESS_POLICY_NAME, POLICY].map((n) => `networkpolicy.networking.k8s.io/${n}`).sort(),
        );
        execFileSync("kubectl", ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [apiClientPod("allowed", API_CLIENT_LABELS), apiClientPod("plain", {})] }), encoding: "utf8" });
        kubectl("wait", "--for=condition=Ready", "pod", "--all", "-n", API_NS, "--timeout=90s");
        const url = `https://${NODE_IP}:${API_PORT}/api`;
        const allowed = curlIn(API_NS, "allowed", "curl", url, "--cacert", "/etc/lab-ca/ca.crt", "-o", "/dev/null", "-w", "%{http_code}");
        expect(`${allowed.exit} ${allowed.page.slice(0, 3)}`).toBe("0 401");
        const plain = curlIn(API_NS, "plain", "curl", url, "--cacert", "/etc/lab-ca/ca.crt");
        expect(`${plain.exit} ${plain.connected}`).toBe(`${CURL_TIMED_OUT} false`);
        // The allowance is the API server's port only: the kubelet on the same address stays out of reach.
        expect(curlIn(API_NS, "allowed", "curl", `https://${NODE_IP}:${KUBELET_PORT}/`, "-k").exit).toBe(CURL_TIMED_OUT);
    });

    it("no IPv6 the lab cannot fence: no pod has an IPv6 address, and the issue's link-local handshake to B's postgres finds none", async () => {
        for (const env of ["a", "b"] as Env[]) {
            for (const pod of Object.keys(podIps[env])) {
                const container = pod === "sidecar" ? "sidecar" : "postgres";
                // The file is empty, loopback included: IPv6 is off in the pod's network namespace.
                expect(`${env}/${pod}: [${execIn(ns(env), pod, container, "cat", "/proc/net/if_inet6").stdout}]`).toBe(`${env}/${pod}: []`);
                expect(execIn(ns(env), pod, container, "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6").stdout.trim()).toBe("1");
            }
        }
        // The address B's postgres would have (EUI-64 from its MAC), tried as the issue did: nothing to connect from or to.
        const mac = execIn(ns("b"), "postgres", "postgres", "cat", "/sys/class/net/eth0/address").stdout.trim();
        const linkLocal = eui64LinkLocal(mac);
        const attempt = curlIn(ns("a"), "sidecar", "sidecar", `telnet://[${linkLocal}%25eth0]:5432`);
        expect(attempt.connected).toBe(false);
        expect(attempt.exit).toBe(7);
        expect(attempt.stderr).toMatch(/Failed to connect to .* port 5432 .*(Cannot assign requested address|Network is unreachable|Couldn't connect to server)/);
        linkLocalOfB = linkLocal;
    });

    it("a learner's pod cannot turn IPv6 back on: restricted refuses the sysctl (learner's own credential), and /proc/sys is read-only in the pod", () => {
        const kubeconfig = learnerKubeconfig(root, ns("a"));
        const pod = { ...apiClientPod("ipv6-on", {}), metadata: { name: "ipv6-on", namespace: ns("a") } } as any;
        pod.spec.securityContext.sysctls = [{ name: "net.ipv6.conf.all.disable_ipv6", value: "0" }];
        pod.spec.volumes = [];
        pod.spec.containers[0].volumeMounts = [];
        const r = spawnAs(kubeconfig, pod);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain('violates PodSecurity "restricted:latest": forbidden sysctls (net.ipv6.conf.all.disable_ipv6)');
        for (const [pod, container] of [["sidecar", "sidecar"], ["postgres", "postgres"]]) {
            const write = kubectlAs(kubeconfig, "exec", "-n", ns("a"), pod, "-c", container, "--", "sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6");
            expect(write.status).not.toBe(0);
            expect(write.stderr).toMatch(/Read-only file system/);
        }
        expect(execIn(ns("a"), "sidecar", "sidecar", "cat", "/proc/net/if_inet6").stdout).toBe("");
    });

    it("with IPv6 turned back on by the node's admin in A's sidecar and B's postgres, the issue's handshake goes through both policies: kube-router fences IPv4 only, so the lab keeps IPv6 off", async () => {
        try {
            await setPodIpv6(ns("a"), "sidecar", true);
            await setPodIpv6(ns("b"), "postgres", true);
            expect((await podIpv6(ns("b"), "postgres")).filter((x) => x.linkLocal).map((x) => x.address)).toEqual([linkLocalOfB]);
            const through = curlIn(ns("a"), "sidecar", "sidecar", `http://[${linkLocalOfB}%25eth0]:5432/`);
            expect(through.connected).toBe(true);
            // IPv4 to the same server, at the same time: the policies hold.
            expect(curlIn(ns("a"), "sidecar", "sidecar", `http://${podIps.b.postgres}:5432/`).exit).toBe(CURL_TIMED_OUT);
        } finally {
            await setPodIpv6(ns("a"), "sidecar", false);
            await setPodIpv6(ns("b"), "postgres", false);
        }
        expect(await podIpv6(ns("a"), "sidecar")).toEqual([]);
        expect(curlIn(ns("a"), "sidecar", "sidecar", `http://[${linkLocalOfB}%25eth0]:5432/`).exit).toBe(7);
    });

    it("the sidecar's fetch from localhost is unaffected by the policy", () => {
        const page = execIn(ns("a"), "sidecar", "sidecar", "curl", "-s", "--max-time", "5", `http://localhost:${NGINX_PORT}/`);
        expect(page.status).toBe(0);
        expect(page.stdout).toContain(NGINX_PAGE);
        expect(kubectl("logs", "-n", ns("a"), "sidecar", "-c", "sidecar", "--since=15s")).toMatch(/GET http:\/\/localhost:8080\/ -> 200/);
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

    it("after the admin deletes B's policy, OPEN reaches B again (measured); A's own policy still keeps A out", async () => {
        const t = await timePolicyChange("reachable", () => kubectl("delete", "networkpolicy", POLICY, "-n", ns("b")));
        console.info(`networkpolicy: delete -> reachable: ${t.fromReturn} ms after kubectl delete returned (${t.fromStart} ms after it started)`);
        expect(curlFrom("open", podIps.b.sidecar).page).toContain(NGINX_PAGE);
        expect(curlFrom("a", podIps.b.sidecar).exit).toBe(CURL_TIMED_OUT);
        expect(curlFrom("b", podIps.a.sidecar).exit).toBe(CURL_TIMED_OUT);
        expect(Object.keys(podsIn(ns("b"))).sort()).toEqual([...POSTGRES, "sidecar"]);
    });
});

/** The link-local address the kernel derives from a MAC address (EUI-64, addr_gen_mode 0). */
function eui64LinkLocal(mac: string): string {
    const b = mac.split(":").map((x) => parseInt(x, 16));
    b[0] ^= 0x02;
    const id = [b[0], b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].map((x) => x.toString(16).padStart(2, "0")).join("");
    return compressIpv6(`fe800000000000000000000000000000`.slice(0, 16) + id);
}

/** Creates a pod with a learner's kubeconfig: exit status and what kubectl said. */
function spawnAs(kubeconfig: string, pod: Record<string, unknown>): { status: number; stderr: string } {
    const r = spawnSync("kubectl", [`--kubeconfig=${kubeconfig}`, "create", "-f", "-"], { input: JSON.stringify(pod), encoding: "utf8" });
    return { status: r.status ?? -1, stderr: `${r.stdout}${r.stderr}` };
}
