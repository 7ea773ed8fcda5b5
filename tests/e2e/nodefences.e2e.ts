/**
 * The lab's real node hardened as a real one would be, tried with a learner's
 * own credential where a learner would act: a pod that forks without end is
 * stopped by the per-pod PID limit (issue 20, way 8), the kubelet's
 * configuration reads back as the lab set it (through the API server's
 * configz proxy, as `course up` reads any cluster's), and the API server
 * listens on the bridge address only, refuses anonymous requests, caps
 * token lifetimes, encrypts Secrets in etcd and audits requests without
 * their bodies. A packet for the node's address that arrives on any other
 * interface (here a veth of a network namespace the suite makes) is dropped.
 * `npm run e2e` runs it; the KWOK fallback leaves it out (no kubelet).
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import {
    LAB_STACK_CONFIG,
    kubectl,
    kubectlAs,
    kubectlJson,
    kubectlResult,
    labImageDigest,
    learnerKubeconfig,
    privateBackend,
    requireRealNode,
    scratchStack,
    secretPassword,
    waitFor,
} from "./lab";
import { labImageRef } from "../labImages";

const NS = "podlab-e2e-node";
const NODE = "podlab-node-0";
const API = new URL(process.env.PODLAB_API_SERVER_FROM_PODS ?? "https://10.245.0.1:6444");
const NODE_IP = API.hostname;
const API_PORT = Number(API.port);
/** The lab's kubelet settings (lab/node/lib.sh, lab/node/kubelet-config.yaml.in, lab/cluster/lib.sh). */
const POD_PIDS_LIMIT = 256;
const MAX_TOKEN_SECONDS = 24 * 3600;
/** The lab's state dir: the admin kubeconfig lives there (lab/env), beside pki/ and logs/. */
const STATE = path.dirname(process.env.KUBECONFIG ?? "");

let root: string;
let stack: Stack;
let learner: string;

/** The pids cgroup (v1) of a pod on the node: the kubelet writes podPidsLimit into its pids.max. */
function podPidsCgroup(uid: string): string {
    const found = execFileSync("find", ["/sys/fs/cgroup/pids/podlab-real", "-maxdepth", "4", "-type", "d", "-name", `pod${uid}`], { encoding: "utf8" }).trim();
    if (!found) {
        throw new Error(`no pids cgroup for pod ${uid}`);
    }
    return found;
}
const readNumber = (file: string) => Number(fs.readFileSync(file, "utf8").trim());

describe("the lab's real node, hardened", () => {
    beforeAll(async () => {
        requireRealNode();
        kubectlResult("delete", "namespace", NS, "--ignore-not-found", "--wait=true");
        root = privateBackend();
        stack = await scratchStack(root, "e2e-node", LAB_STACK_CONFIG);
        await stack.setConfig("podlab:namespace", { value: NS });
        expect((await stack.up()).summary.result).toBe("succeeded");
        learner = learnerKubeconfig(root, NS);
    });

    afterAll(async () => {
        await stack?.destroy().catch(() => undefined);
    });

    it("the kubelet's configuration, read through the API server (configz), is the lab's: PID limit and eviction, reservations, no anonymous access, no read-only port", () => {
        const k = JSON.parse(kubectl("get", "--raw", `/api/v1/nodes/${NODE}/proxy/configz`)).kubeletconfig;
        expect({
            podPidsLimit: k.podPidsLimit,
            pid: k.evictionHard["pid.available"],
            systemReserved: k.systemReserved,
            kubeReserved: k.kubeReserved,
            anonymous: k.authentication.anonymous.enabled,
            authorization: k.authorization.mode,
            readOnlyPort: k.readOnlyPort ?? 0,
            seccompDefault: k.seccompDefault,
            tlsMinVersion: k.tlsMinVersion,
        }).toEqual({
            podPidsLimit: POD_PIDS_LIMIT,
            pid: "10%",
            systemReserved: { cpu: "50m", memory: "1Gi" },
            kubeReserved: { cpu: "70m", memory: "1Gi" },
            anonymous: false,
            authorization: "Webhook",
            readOnlyPort: 0,
            seccompDefault: true,
            tlsMinVersion: "VersionTLS12",
        });
        const node = kubectlJson("get", "node", NODE);
        console.info(`node ${NODE}: capacity cpu ${node.status.capacity.cpu}, memory ${node.status.capacity.memory}; allocatable cpu ${node.status.allocatable.cpu}, memory ${node.status.allocatable.memory}`);
        expect(node.status.allocatable.cpu).toBe("1880m");
    });

    it("the lesson's pods run well inside the PID limit (measured in their pids cgroups)", () => {
        const pods = kubectlJson("get", "pods", "-n", NS).items;
        const used: Record<string, number> = {};
        for (const p of pods) {
            const dir = podPidsCgroup(p.metadata.uid);
            expect(readNumber(path.join(dir, "pids.max"))).toBe(POD_PIDS_LIMIT);
            used[p.metadata.name] = readNumber(path.join(dir, "pids.current"));
        }
        console.info(`pids in use per pod (limit ${POD_PIDS_LIMIT}): ${JSON.stringify(used)}`);
        expect(Object.keys(used).sort()).toEqual(["postgres", "postgres2", "sidecar"]);
        for (const n of Object.values(used)) {
            expect(n).toBeLessThan(POD_PIDS_LIMIT / 4);
        }
    });

    it("a learner's pod that forks without end is stopped at the pod's PID limit (way 8), with the learner's own credential; the node stays Ready", async () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "forker", namespace: NS },
            spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                terminationGracePeriodSeconds: 0,
                securityContext: { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: "forker",
                        // perl is in the postgres image (postgresql-common needs it); each child becomes a small `sleep`.
                        image: `${labImageRef("postgres")}@${labImageDigest("postgres")}`,
                        command: ["perl", "-e", '$| = 1; my $n = 0; while (1) { my $pid = fork(); if (!defined $pid) { print "fork refused after $n children: $!\\n"; last } if ($pid == 0) { exec("sleep", "3600"); exit 1 } $n++ } sleep 3600'],
                        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    },
                ],
            },
        };
        const created = spawnSync("kubectl", [`--kubeconfig=${learner}`, "create", "-f", "-"], { input: JSON.stringify(pod), encoding: "utf8" });
        expect(`${created.status} ${created.stdout}${created.stderr}`.trim()).toBe("0 pod/forker created");
        try {
            let log = "";
            const ms = await waitFor("the forker to be refused a fork", 90_000, () => {
                log = kubectlAs(learner, "logs", "-n", NS, "forker").stdout;
                return /fork refused/.test(log);
            });
            const refused = /^fork refused after (\d+) children: Resource temporarily unavailable$/m.exec(log);
            expect(refused).not.toBeNull();
            const children = Number(refused![1]);
            const uid = kubectlJson("get", "pod", "forker", "-n", NS).metadata.uid;
            const dir = podPidsCgroup(uid);
            const current = readNumber(path.join(dir, "pids.current"));
            console.info(`forker: ${children} children, then "Resource temporarily unavailable" (${ms} ms after creation); pids.current ${current} of pids.max ${readNumber(path.join(dir, "pids.max"))}`);
            // The pod's sandbox (pause) and perl itself count too.
            expect(children).toBeGreaterThan(POD_PIDS_LIMIT - 10);
            expect(children).toBeLessThan(POD_PIDS_LIMIT);
            expect(current).toBeLessThanOrEqual(POD_PIDS_LIMIT);
            const node = kubectlJson("get", "node", NODE);
            expect(node.status.conditions.find((c: any) => c.type === "Ready").status).toBe("True");
            expect(node.status.conditions.find((c: any) => c.type === "PIDPressure").status).toBe("False");
            // The lesson's pods go on.
            expect(kubectlAs(learner, "exec", "-n", NS, "sidecar", "-c", "sidecar", "--", "curl", "-s", "http://localhost:8080/").stdout).toContain("Hello from nginx");
        } finally {
            expect(kubectlAs(learner, "delete", "pod", "forker", "-n", NS, "--wait=true").status).toBe(0);
        }
    });

    it("the API server listens on the bridge address only, answers an anonymous request with 401, and a packet for that address from any other interface is dropped", () => {
        const listening = (port: number) =>
            execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" })
                .trim()
                .split("\n")
                .map((l) => l.trim().split(/\s+/)[3]);
        expect(listening(API_PORT)).toEqual([`${NODE_IP}:${API_PORT}`]);
        expect(listening(10250)).toEqual([`${NODE_IP}:10250`]);
        const anonymous = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", path.join(STATE, "pki", "ca.crt"), `https://${NODE_IP}:${API_PORT}/api`], { encoding: "utf8" });
        expect(anonymous.stdout).toBe("401");

        // An interface that is not the lab bridge: a veth into a network namespace of this suite's own
        // (10.246.255.0/30, which stays on this machine), held by a process rather than pinned under
        // /run/netns: `ip netns add` would remount that directory, where the runtime pins pods' namespaces.
        const holder = spawn("unshare", ["--net", "sleep", "120"], { stdio: "ignore" });
        const inNs = (...args: string[]) => execFileSync("nsenter", [`--net=/proc/${holder.pid}/ns/net`, ...args], { encoding: "utf8" });
        spawnSync("ip", ["link", "del", "veth-e2e-h"]);
        try {
            execFileSync("sleep", ["0.5"]); // unshare has made the namespace
            execFileSync("ip", ["link", "add", "veth-e2e-h", "type", "veth", "peer", "name", "veth-e2e-n", "netns", String(holder.pid)]);
            execFileSync("ip", ["addr", "add", "10.246.255.1/30", "dev", "veth-e2e-h"]);
            execFileSync("ip", ["link", "set", "veth-e2e-h", "up"]);
            inNs("ip", "addr", "add", "10.246.255.2/30", "dev", "veth-e2e-n");
            inNs("ip", "link", "set", "veth-e2e-n", "up");
            inNs("ip", "route", "add", `${NODE_IP}/32`, "via", "10.246.255.1");
            const before = dropped();
            const r = spawnSync("nsenter", [`--net=/proc/${holder.pid}/ns/net`, "timeout", "3", "bash", "-c", 'exec 3<>"/dev/tcp/$0/$1"', NODE_IP, String(API_PORT)], { encoding: "utf8" });
            expect(r.status).toBe(124); // timed out: no answer, not even a refusal
            expect(dropped()).toBeGreaterThan(before);
        } finally {
            spawnSync("ip", ["link", "del", "veth-e2e-h"]);
            holder.kill();
        }
    });

    it("tokens live at most 24 h, whatever was asked; Secrets are encrypted in etcd; the audit log says who did what, never a Secret's value or a token", async () => {
        const token = kubectl("create", "token", "learner", "-n", NS, "--duration=48h").trim();
        const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
        expect(claims.exp - claims.iat).toBe(MAX_TOKEN_SECONDS);

        const secret = "postgres-credentials";
        const key = Buffer.from(`/registry/secrets/${NS}/${secret}`).toString("base64");
        const pki = path.join(STATE, "pki");
        const etcd = spawnSync("curl", ["-s", "--cacert", `${pki}/ca.crt`, "--cert", `${pki}/etcd-client.crt`, "--key", `${pki}/etcd-client.key`, `https://127.0.0.1:${process.env.PODLAB_ETCD_PORT ?? 32391}/v3/kv/range`, "-d", JSON.stringify({ key })], { encoding: "utf8" });
        const stored = Buffer.from(JSON.parse(etcd.stdout).kvs[0].value, "base64");
        expect(stored.subarray(0, 26).toString()).toBe("k8s:enc:secretbox:v1:key1:");
        const password = secretPassword(NS, "postgres");
        expect(stored.includes(Buffer.from(password))).toBe(false);

        // The learner reads the Secret with their own token: the audit log records it, at Metadata level.
        expect(kubectlAs(learner, "get", "secret", secret, "-n", NS, "-o", "name").stdout.trim()).toBe(`secret/${secret}`);
        let audit = "";
        const learnerReads = () =>
            audit
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l))
                .filter((e) => e.user?.username === `system:serviceaccount:${NS}:learner` && e.objectRef?.resource === "secrets" && e.objectRef?.name === secret)
                .map((e) => `${e.level} ${e.verb} ${e.responseStatus.code}`);
        // The event is written once the response is complete: moments after kubectl has its answer.
        await waitFor("the learner's read in the audit log", 10_000, () => ((audit = fs.readFileSync(path.join(STATE, "logs", "audit.log"), "utf8")), learnerReads().length > 0));
        expect(learnerReads()).toContain("Metadata get 200");
        expect(audit.includes(password)).toBe(false);
        expect(audit.includes(token)).toBe(false);
    });
});

/** Packets the node's address guard (nft table podlab_real_node, lab/node/lib.sh) has dropped so far. */
function dropped(): number {
    const out = execFileSync("nft", ["list", "table", "ip", "podlab_real_node"], { encoding: "utf8" });
    return Number(/counter packets (\d+)/.exec(out)?.[1] ?? NaN);
}
