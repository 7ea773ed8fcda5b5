/**
 * podlab on the lab's real node (its default): a kubelet on containerd and runc,
 * images built from Debian packages (lab/images) and loaded without a registry.
 * `npm run e2e` starts that lab (lab/node/NOTES.md) and runs this file with the
 * others; the KWOK fallback (`npm run e2e:kwok`) leaves it out. A lab whose node
 * is not a real one fails the suite. The tests run in order and share one
 * deployment of the lab stack (Pulumi.lab.yaml).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../../cli/automation";
import { labImageRef } from "../labImages";
import {
    LAB_STACK_CONFIG,
    POD_CIDR,
    execIn,
    expectReadyPodsAt,
    ipInCidr,
    kubectl,
    kubectlJson,
    kubectlResult,
    privateBackend,
    psqlServerAddress,
    requireRealNode,
    scratchStack,
    secretPassword,
    tcpConnects,
    waitFor,
} from "./lab";


const STACK = "e2e-real";
const NS = "podlab-e2e-real";
const POSTGRES = ["postgres", "postgres2"];

/** crictl against the real node's containerd (k8s.io namespace), through lab/cluster.sh; flags go before IDs. */
function crictlJson<T = any>(command: string, ...args: string[]): T {
    const r = spawnSync("bash", [path.join(PROJECT_DIR, "lab", "cluster.sh"), "crictl", command, "-o", "json", ...args], {
        encoding: "utf8",
        env: { ...process.env, PODLAB_NODE: "real" },
    });
    if (r.status !== 0) {
        throw new Error(`crictl ${command} ${args.join(" ")} failed: ${r.stderr}`);
    }
    return JSON.parse(r.stdout) as T;
}

function containerReady(pod: string, container: string): boolean {
    const p = kubectlJson("get", "pod", pod, "-n", NS);
    return (p.status.containerStatuses ?? []).some((c: any) => c.name === container && c.ready === true);
}

let root: string;
let stack: Stack | undefined;
let podIps: Record<string, string> = {};
/** Host pids of the pods' containers and sandboxes, recorded while they run. */
let runtimePids: number[] = [];

describe("podlab on the lab's real node", () => {
    beforeAll(async () => {
        requireRealNode();
        root = privateBackend();
        // The lab stack as a learner deploys it: its images are the ones the node has.
        stack = await scratchStack(root, STACK, LAB_STACK_CONFIG);
        await stack.setConfig("podlab:namespace", { value: NS });
    });

    afterAll(async () => {
        if (stack) {
            await stack.destroy().catch(() => undefined);
        }
    });

    it("the node is a kubelet v1.32.13 on containerd, at an address on the lab bridge", () => {
        const node = kubectlJson<{ items: any[] }>("get", "nodes").items[0];
        expect(node.status.nodeInfo.kubeletVersion).toBe("v1.32.13");
        expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
        expect(node.metadata.annotations?.["kwok.x-k8s.io/node"]).toBeUndefined();
        const internal = node.status.addresses.find((a: any) => a.type === "InternalIP").address;
        expect(ipInCidr(internal, POD_CIDR)).toBe(true);
    });

    it("pulumi up: every pod Ready on real containers, each at its own pod IP", async () => {
        const started = Date.now();
        const result = await stack!.up();
        console.info(`realnode: pulumi up until every pod was Ready took ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(result.summary.result).toBe("succeeded");
        podIps = result.outputs.podIps.value;
        expect(Object.keys(podIps).sort()).toEqual([...POSTGRES, "sidecar"]);
        const pods = expectReadyPodsAt(NS, podIps);
        for (const name of Object.keys(podIps)) {
            for (const c of pods[name].status.containerStatuses) {
                expect(c.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
                expect(c.state.running).toBeDefined();
            }
        }
        expect(pods.postgres.spec.containers[0].image).toBe(labImageRef("postgres"));
    });

    it("both postgres pods accept connections on 5432 at their own IPs, with the password from their Secret", async () => {
        for (const [i, pod] of POSTGRES.entries()) {
            const ip = podIps[pod];
            // From the host, over the lab bridge.
            expect(await tcpConnects(ip, 5432)).toBe(true);
            // From the other postgres pod, over the pod network: password authentication (scram-sha-256).
            const client = POSTGRES[(i + 1) % POSTGRES.length];
            const query = (password: string) => psqlServerAddress(NS, client, ip, password);
            const ok = query(secretPassword(NS, pod));
            expect(ok.stdout.trim()).toBe(`${ip}:5432`);
            expect(ok.status).toBe(0);
            const wrong = query("not-the-password");
            expect(wrong.status).not.toBe(0);
            expect(wrong.stderr).toContain("password authentication failed");
        }
    });

    it("from the sidecar container, curl localhost:8080 returns nginx's page (kubectl exec -c sidecar)", () => {
        const page = execIn(NS, "sidecar", "sidecar", "curl", "-s", "--max-time", "5", "http://localhost:8080/");
        expect(page.status).toBe(0);
        expect(page.stdout).toContain("<h1>Hello from nginx in pod sidecar</h1>");
        expect(kubectl("logs", "-n", NS, "sidecar", "-c", "sidecar")).toMatch(/GET http:\/\/localhost:8080\/ -> 200/);
    });

    it("the sidecar is Ready only while nginx answers on localhost", async () => {
        // Freeze nginx's worker: connections are accepted but never answered.
        const worker = execIn(NS, "sidecar", "nginx", "sh", "-c",
            'for p in /proc/[0-9]*; do case "$(tr "\\0" " " < $p/cmdline)" in "nginx: worker"*) echo ${p#/proc/};; esac; done').stdout.trim();
        expect(worker).toMatch(/^\d+$/);
        expect(execIn(NS, "sidecar", "nginx", "sh", "-c", `kill -STOP ${worker}`).status).toBe(0);
        try {
            await waitFor("the sidecar to turn unready", 60000, () => !containerReady("sidecar", "sidecar"));
        } finally {
            execIn(NS, "sidecar", "nginx", "sh", "-c", `kill -CONT ${worker}`);
        }
        await waitFor("the sidecar to be Ready again", 60000, () => containerReady("sidecar", "sidecar"));
    });

    it("each pod has exactly one sandbox (pause) container, and it holds the pod's network namespace", () => {
        const sandboxes = crictlJson<{ items: any[] }>("pods", "--namespace", NS, "--state", "ready").items;
        const byPod = new Map<string, any[]>();
        for (const s of sandboxes) {
            byPod.set(s.metadata.name, [...(byPod.get(s.metadata.name) ?? []), s]);
        }
        expect([...byPod.keys()].sort()).toEqual([...POSTGRES, "sidecar"]);
        const containers = crictlJson<{ containers: any[] }>("ps", "--state", "running").containers;
        runtimePids = [];
        for (const [pod, list] of byPod) {
            expect(list).toHaveLength(1);
            const sandbox = crictlJson("inspectp", list[0].id);
            expect(sandbox.status.network.ip).toBe(podIps[pod]);
            expect(sandbox.info.runtimeSpec.process.args).toEqual(["/catatonit", "-P"]);
            expect(sandbox.info.image).toBe(labImageRef("pause"));
            const sandboxPid: number = sandbox.info.pid;
            runtimePids.push(sandboxPid);
            const mine = containers.filter((c) => c.podSandboxId === list[0].id);
            expect(mine.map((c) => c.metadata.name).sort()).toEqual(pod === "sidecar" ? ["nginx", "sidecar"] : ["postgres"]);
            for (const c of mine) {
                const info = crictlJson("inspect", c.id).info;
                const netns = info.runtimeSpec.linux.namespaces.find((n: any) => n.type === "network");
                expect(netns.path).toBe(`/proc/${sandboxPid}/ns/net`);
                runtimePids.push(info.pid);
            }
        }
    });

    it("runs under the restricted Pod Security profile, as the images' own users", () => {
        const ns = kubectlJson("get", "namespace", NS);
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        const refused = kubectlResult("run", "intruder", "-n", NS, `--image=${labImageRef("busybox")}`, "--privileged", "--dry-run=server");
        expect(refused.status).not.toBe(0);
        expect(refused.output).toMatch(/violates PodSecurity "restricted:latest"/);
        const id = (pod: string, container: string) => execIn(NS, pod, container, "id").stdout.trim();
        for (const pod of POSTGRES) {
            expect(id(pod, "postgres")).toMatch(/^uid=999\(postgres\) gid=999\(postgres\)/);
        }
        expect(id("sidecar", "nginx")).toMatch(/^uid=101\(nginx\) gid=101\(nginx\)/);
        expect(id("sidecar", "sidecar")).toMatch(/^uid=100\(curl_user\) gid=100\(users\)/);
    });

    it("pulumi destroy stops every container of the stack", async () => {
        expect(runtimePids.length).toBe(7); // 3 sandboxes + 4 containers
        await stack!.destroy();
        expect(kubectlResult("get", "namespace", NS).status).not.toBe(0);
        const left = crictlJson<{ containers: any[] }>("ps", "--all", "--label", `io.kubernetes.pod.namespace=${NS}`).containers;
        expect(left.filter((c) => c.state === "CONTAINER_RUNNING")).toEqual([]);
        const ready = crictlJson<{ items: any[] }>("pods", "--namespace", NS, "--state", "ready").items;
        expect(ready).toEqual([]);
        // The host processes are gone (a zombie awaiting its reaper counts as gone).
        const alive = runtimePids.filter((pid) => {
            const stat = spawnSync("cat", [`/proc/${pid}/stat`], { encoding: "utf8" });
            return stat.status === 0 && stat.stdout.split(" ")[2] !== "Z";
        });
        expect(alive).toEqual([]);
    });
});

