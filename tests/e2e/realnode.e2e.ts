/**
 * podlab on the lab's real node (its default): a kubelet on containerd and runc,
 * images built from Debian packages (lab/images) and loaded without a registry.
 * `npm run e2e` starts that lab (docs/lab.md) and runs this file with the
 * others; the KWOK fallback (`npm run e2e:kwok`) leaves it out. A lab whose node
 * is not a real one fails the suite. The tests run in order and share one
 * deployment of the lab stack (Pulumi.lab.yaml).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { gzipSync } from "zlib";
import { Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../../cli/automation";
import { labImageRef } from "../labImages";
import { kubectlJsonSync, kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { execIn, expectReadyPodsAt, ipInCidr, LAB_STACK_CONFIG, POD_CIDR, printed, privateBackend, psqlOverTcp, psqlServerAddress, requireRealNode, scratchStack, secretPassword, tcpConnects, WAIT_MS, waitFor } from "./lab";


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
    const p = kubectlJsonSync(["get", "pod", pod, "-n", NS]);
    return (p.status.containerStatuses ?? []).some((c: any) => c.name === container && c.ready === true);
}

/** The config of an image the real node holds, as crictl reports it (User, Env, Entrypoint, Cmd...). */
function imageConfig(name: string): any {
    return crictlJson("inspecti", labImageRef(name)).info.imageSpec.config;
}

/**
 * A bare pod in the suite's namespace with one container of a lab image,
 * restricted as podlab's own pods are, except for what `container` overrides.
 */
function applyBarePod(name: string, image: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): void {
    const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: NS },
        spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 5,
            ...spec,
            containers: [{
                name: "main",
                image,
                imagePullPolicy: "IfNotPresent",
                resources: {
                    requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "64Mi" },
                    limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "256Mi" },
                },
                ...container,
                securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                    ...(container.securityContext as object | undefined),
                },
            }],
        },
    };
    const r = kubectlRunSync(["apply", "-f", "-"], { input: JSON.stringify(pod) });
    if (r.exitCode !== 0) {
        throw new Error(`kubectl apply of pod ${name} failed: ${r.stderr}`);
    }
}

function deleteBarePods(...names: string[]): void {
    kubectlRunSync(["delete", "pod", "-n", NS, "--ignore-not-found", "--wait=true", ...names], { timeoutMs: WAIT_MS });
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
        // The suite's own bare pods (applyBarePod) run beside podlab's, each limited above the LimitRange defaults:
        // room for them in the environment's quota, which otherwise holds two default-sized extra pods.
        await stack.setConfig("podlab:quota", { value: JSON.stringify({ extraPods: 8 }) });
    });

    afterAll(async () => {
        if (stack) {
            await stack.destroy().catch(() => undefined);
        }
    });

    it("the node is a kubelet v1.32.13 on containerd, at an address on the lab bridge", () => {
        const node = kubectlJsonSync<{ items: any[] }>(["get", "nodes"]).items[0];
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
            expect(ok.exitCode).toBe(0);
            const wrong = query("not-the-password");
            expect(wrong.exitCode).not.toBe(0);
            expect(wrong.stderr).toContain("password authentication failed");
        }
    });

    it("from the sidecar container, curl localhost:8080 returns nginx's page (kubectl exec -c sidecar)", () => {
        const page = execIn(NS, "sidecar", "sidecar", "curl", "-s", "--max-time", "5", "http://localhost:8080/");
        expect(page.exitCode).toBe(0);
        expect(page.stdout).toContain("<h1>Hello from nginx in pod sidecar</h1>");
        expect(kubectlSync(["logs", "-n", NS, "sidecar", "-c", "sidecar"])).toMatch(/GET http:\/\/localhost:8080\/ -> 200/);
    });

    it("the sidecar is Ready only while nginx answers on localhost", async () => {
        // Freeze nginx's worker: connections are accepted but never answered.
        const worker = execIn(NS, "sidecar", "nginx", "sh", "-c",
            'for p in /proc/[0-9]*; do case "$(tr "\\0" " " < $p/cmdline)" in "nginx: worker"*) echo ${p#/proc/};; esac; done').stdout.trim();
        expect(worker).toMatch(/^\d+$/);
        expect(execIn(NS, "sidecar", "nginx", "sh", "-c", `kill -STOP ${worker}`).exitCode).toBe(0);
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
        const ns = kubectlJsonSync(["get", "namespace", NS]);
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        const refused = kubectlRunSync(["run", "intruder", "-n", NS, `--image=${labImageRef("busybox")}`, "--privileged", "--dry-run=server"]);
        expect(refused.exitCode).not.toBe(0);
        expect(printed(refused)).toMatch(/violates PodSecurity "restricted:latest"/);
        const id = (pod: string, container: string) => execIn(NS, pod, container, "id").stdout.trim();
        for (const pod of POSTGRES) {
            expect(id(pod, "postgres")).toMatch(/^uid=999\(postgres\) gid=999\(postgres\)/);
        }
        expect(id("sidecar", "nginx")).toMatch(/^uid=101\(nginx\) gid=101\(nginx\)/);
        expect(id("sidecar", "sidecar")).toMatch(/^uid=100\(curl_user\) gid=100\(users\)/);
    });

    it("the lab images set USER as the public ones: none for postgres (root), a name for curl, a number for nginx", () => {
        expect(imageConfig("postgres").User ?? "").toBe("");
        expect(imageConfig("curl").User).toBe("curl_user");
        expect(imageConfig("nginx").User).toBe("101");
        // The sidecar's user as in curlimages/curl: uid 100, primary group curl_group (101), listed in it.
        expect(execIn(NS, "sidecar", "sidecar", "grep", "-E", "^curl_(user|group):", "/etc/passwd", "/etc/group").stdout)
            .toMatch(/passwd:curl_user:x:100:101:[\s\S]*group:curl_group:x:101:curl_user/);
    });

    it("without a numeric runAsUser the kubelet refuses postgres (its USER is root) and curl (its USER is a name)", async () => {
        const refused = { "no-uid-postgres": /image will run as root/, "no-uid-curl": /image has non-numeric user \(curl_user\)/ };
        applyBarePod("no-uid-postgres", labImageRef("postgres"), { env: [{ name: "POSTGRES_PASSWORD", value: "unused" }] });
        applyBarePod("no-uid-curl", labImageRef("curl"), { command: ["sleep", "600"] });
        try {
            for (const [pod, message] of Object.entries(refused)) {
                let waiting: any;
                await waitFor(`the kubelet to refuse ${pod}`, 60000, () => {
                    waiting = kubectlJsonSync(["get", "pod", pod, "-n", NS]).status.containerStatuses?.[0]?.state?.waiting;
                    return waiting?.reason === "CreateContainerConfigError";
                });
                expect(waiting.message).toMatch(message);
            }
        } finally {
            deleteBarePods(...Object.keys(refused));
        }
    });

    it("the sidecar's loop runs under busybox sh, as in the Alpine-based public curl image", () => {
        expect(execIn(NS, "sidecar", "sidecar", "readlink", "-f", "/bin/sh").stdout.trim()).toBe("/usr/bin/busybox");
        expect(execIn(NS, "sidecar", "sidecar", "readlink", "/proc/1/exe").stdout.trim()).toBe("/usr/bin/busybox");
        // date and sleep in the loop are busybox applets too (busybox readlink takes one file at a time)
        expect(execIn(NS, "sidecar", "sidecar", "sh", "-c", 'for c in date sleep; do readlink -f "$(command -v $c)"; done').stdout.trim().split("\n"))
            .toEqual(["/usr/bin/busybox", "/usr/bin/busybox"]);
    });

    it("postgres's tools resolve as in the official image: clients through Debian's wrapper, the server from the versioned bin directory last in PATH", () => {
        expect(imageConfig("postgres").Env).toContainEqual(expect.stringMatching(/^PATH=.*:\/bin:\/usr\/lib\/postgresql\/15\/bin$/));
        const found = execIn(NS, "postgres", "postgres", "sh", "-c", "for c in pg_isready psql initdb pg_ctl postgres; do command -v $c; done");
        expect(found.stdout.trim().split("\n")).toEqual([
            "/usr/bin/pg_isready",
            "/usr/bin/psql",
            "/usr/lib/postgresql/15/bin/initdb",
            "/usr/lib/postgresql/15/bin/pg_ctl",
            "/usr/lib/postgresql/15/bin/postgres",
        ]);
        expect(execIn(NS, "postgres", "postgres", "readlink", "-f", "/usr/bin/psql").stdout.trim()).toBe("/usr/share/postgresql-common/pg_wrapper");
    });

    it("postgres initialises on a read-only root with no writable /tmp: POSTGRES_DB, then /docker-entrypoint-initdb.d on a temporary server", async () => {
        const password = "init-sequence-password";
        const configMap = {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "initdb-scripts", namespace: NS },
            data: {
                "10-schema.sql": "CREATE TABLE lesson (topic text);\nINSERT INTO lesson VALUES ('pods'), ('ports');\n",
                // not executable (ConfigMap files are 0644): sourced, so it sees the entrypoint's variables
                "20-sourced.sh": 'echo "init script sourced: db=$POSTGRES_DB server on socket only: $(psql -Atc "show listen_addresses" "$POSTGRES_DB")"\n',
            },
            binaryData: { "30-more.sql.gz": gzipSync("INSERT INTO lesson VALUES ('sidecars');\n").toString("base64") },
        };
        const r = kubectlRunSync(["apply", "-f", "-"], { input: JSON.stringify(configMap) });
        expect(r.exitCode).toBe(0);
        applyBarePod("init-sequence", labImageRef("postgres"), {
            securityContext: { runAsUser: 999, runAsGroup: 999 },
            env: [
                { name: "POSTGRES_PASSWORD", value: password },
                { name: "POSTGRES_DB", value: "course" },
                { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
            ],
            // no /tmp volume: the root, /tmp included, is read-only
            volumeMounts: [
                { name: "data", mountPath: "/var/lib/postgresql/data" },
                { name: "run", mountPath: "/var/run/postgresql" },
                { name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
            ],
            readinessProbe: { exec: { command: ["pg_isready", "--host=127.0.0.1", "--username=postgres"] }, periodSeconds: 2 },
        }, {
            securityContext: { runAsNonRoot: true, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
            volumes: [
                { name: "data", emptyDir: { sizeLimit: "256Mi" } },
                { name: "run", emptyDir: { sizeLimit: "16Mi" } },
                { name: "initdb", configMap: { name: "initdb-scripts" } },
            ],
        });
        try {
            await waitFor("pod init-sequence to be Ready", 120000, () => containerReady("init-sequence", "main"));
            expect(execIn(NS, "init-sequence", "main", "touch", "/tmp/probe").exitCode).not.toBe(0);
            const log = kubectlSync(["logs", "-n", NS, "init-sequence"]);
            expect(log).toContain("init script sourced: db=course server on socket only: \n");
            expect(log).toMatch(/running \/docker-entrypoint-initdb.d\/30-more.sql.gz/);
            const ip = kubectlJsonSync(["get", "pod", "init-sequence", "-n", NS]).status.podIP;
            // the server proper listens on every address, from the config initdb wrote
            const topics = psqlOverTcp(NS, "postgres", ip, password, "select string_agg(topic, ',' order by topic) from lesson", "course");
            expect(topics.stdout.trim()).toBe("pods,ports,sidecars");
            expect(psqlOverTcp(NS, "postgres", ip, password, "show listen_addresses").stdout.trim()).toBe("*");
            expect(psqlOverTcp(NS, "postgres", ip, "wrong", "select 1").stderr).toContain("password authentication failed");
        } finally {
            deleteBarePods("init-sequence");
            kubectlRunSync(["delete", "configmap", "-n", NS, "--ignore-not-found", "initdb-scripts"]);
        }
    });

    it("pulumi destroy stops every container of the stack", async () => {
        expect(runtimePids.length).toBe(7); // 3 sandboxes + 4 containers
        await stack!.destroy();
        expect(kubectlRunSync(["get", "namespace", NS]).exitCode).not.toBe(0);
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

/**
 * postgres.runAsUser other than the image's 999: a uid with no passwd entry,
 * which initdb refuses unless the entrypoint pretends one (nss_wrapper), as
 * the official image's does.
 */
describe("postgres as a uid the image does not know, on the lab's real node", () => {
    const UID_STACK = "e2e-real-uid";
    const UID_NS = "podlab-e2e-real-uid";
    const OTHER_UID = 4321;
    let uidStack: Stack | undefined;

    beforeAll(async () => {
        requireRealNode();
        uidStack = await scratchStack(privateBackend(), UID_STACK, LAB_STACK_CONFIG);
        await uidStack.setConfig("podlab:namespace", { value: UID_NS });
        await uidStack.setConfig("podlab:postgres", { value: JSON.stringify({ image: labImageRef("postgres"), count: 1, runAsUser: OTHER_UID }) });
    });

    afterAll(async () => {
        if (uidStack) {
            await uidStack.destroy().catch(() => undefined);
        }
    });

    it(`pulumi up with podlab:postgres.runAsUser ${OTHER_UID}: the pod is Ready and psql works`, async () => {
        const result = await uidStack!.up();
        expect(result.summary.result).toBe("succeeded");
        const ips: Record<string, string> = result.outputs.podIps.value;
        expectReadyPodsAt(UID_NS, ips);
        const id = execIn(UID_NS, "postgres", "postgres", "id").stdout.trim();
        expect(id).toMatch(new RegExp(`^uid=${OTHER_UID} gid=${OTHER_UID}( |$)`));
        expect(execIn(UID_NS, "postgres", "postgres", "getent", "passwd", String(OTHER_UID)).exitCode).not.toBe(0);
        const log = kubectlSync(["logs", "-n", UID_NS, "postgres"]);
        expect(log).toContain('will be owned by user "postgres"');
        const whoami = psqlOverTcp(UID_NS, "postgres", ips.postgres, secretPassword(UID_NS, "postgres"), "select current_user || '@' || host(inet_server_addr())");
        expect(whoami.stdout.trim()).toBe(`postgres@${ips.postgres}`);
        expect(whoami.exitCode).toBe(0);
    });
});
