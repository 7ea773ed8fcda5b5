/**
 * The API's fences tried as a curious learner would, with their own kubeconfig
 * from a real `course up` (issue 20, ways 2-7 and beyond): every admission rule
 * refuses with its name, what Kubernetes or RBAC already refuses is shown
 * refused, and what is allowed is shown harmless with the reason. Admission
 * needs no running containers, so this suite runs on KWOK too; the few tests
 * that need containers that run and finish are skipped there, by name.
 */
import * as fs from "fs";
import * as path from "path";
import { ADMISSION_RULES } from "../../components/admissionRules";
import { eventually, runCourse, tokenOf, writeRoster } from "./courseRun";
import { KubectlResult, kubectlJsonSync, kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { LAB_NODE, printed, privateBackend, requireLab, WAIT_MS } from "./lab";

const COURSE = "e2ef";
const LEARNER = "ada";
const NS = `podlab-${COURSE}-${LEARNER}`;
const BUSYBOX = "podlab.local/busybox:1.35-deb12";
const FENCE = `podlab-fence-course-${COURSE}`;
/** Tests that need containers that really run (and finish): the real node only; KWOK reports them skipped. */
const realNodeOnly = LAB_NODE === "real" ? it : it.skip;

let root: string;
let out: string;
let rosterFile: string;
/** The roster's expires: no credential of the learner may outlive it. */
let expiresAt: Date;
let podlabPods = 0;
/** Every rule a test saw refuse a request, to prove at the end that none went untried. */
const refusedBy = new Set<string>();

const kubeconfig = () => path.join(out, LEARNER, "kubeconfig");
/** kubectl with the learner's own kubeconfig. */
const asLearner = (...args: string[]) => kubectlRunSync(args, { kubeconfig: kubeconfig() });

interface PodOverrides {
    metadata?: Record<string, unknown>;
    spec?: Record<string, unknown>;
    container?: Record<string, unknown>;
}

/** A pod a learner might write: Pod Security `restricted`, the lab's busybox, nothing else; `o` adds or replaces fields. */
function learnerPod(name: string, o: PodOverrides = {}): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, ...o.metadata },
        spec: {
            terminationGracePeriodSeconds: 0,
            securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                { name: "main", image: BUSYBOX, command: ["sleep", "3600"], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }, ...o.container },
            ],
            ...o.spec,
        },
    };
}

/** `kubectl create` of a manifest with the learner's kubeconfig. */
function createAsLearner(manifest: Record<string, unknown>): KubectlResult {
    return kubectlRunSync(["create", "-f", "-"], { kubeconfig: kubeconfig(), input: JSON.stringify(manifest) });
}

/** Creates the pod with the learner's credential and expects `podlab fence "<rule>"` to refuse it; returns the message. */
function expectRefusedBy(rule: string, manifest: Record<string, unknown>, create = createAsLearner): string {
    const r = create(manifest);
    const got = /podlab fence "([a-z-]+)": .*/.exec(printed(r));
    expect(`${r.exitCode} ${got?.[1] ?? printed(r).trim()}`).toBe(`1 ${rule}`);
    expect(printed(r)).toContain(`ValidatingAdmissionPolicy '${FENCE}' with binding '${FENCE}' denied request`);
    refusedBy.add(rule);
    return got![0];
}

function deleteAsLearner(...pods: string[]): void {
    expect(asLearner("delete", "pod", "--ignore-not-found", "--wait=true", ...pods).exitCode).toBe(0);
}

function adminCreate(manifest: Record<string, unknown>): KubectlResult {
    return kubectlRunSync(["create", "-n", NS, "-f", "-"], { input: JSON.stringify(manifest) });
}

function ip(pod: string): string {
    return kubectlSync(["get", "pod", pod, "-n", NS, "-o", "jsonpath={.status.podIP}"]);
}

beforeAll(() => {
    requireLab();
    // A run killed half-way leaves its namespaces and fence behind; their state went with its private backend.
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`]);
    root = privateBackend();
    out = path.join(root, "course");
    // One learner, one postgres: room for two pods of their own (podlab:quota.extraPods); credentials end in two hours.
    expiresAt = new Date(Math.floor(Date.now() / 1000 + 2 * 3600) * 1000);
    rosterFile = writeRoster(root, "fences", { course: COURSE, expires: expiresAt.toISOString(), config: { postgres: { count: 1 } }, learners: [LEARNER] });
    const t0 = Date.now();
    const up = runCourse("up", "--roster", rosterFile, "--out", out);
    console.log(`course up, 1 learner: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${up.stdout}${up.stderr}`);
    if (up.status !== 0) {
        throw new Error(`course up failed: ${up.stdout}${up.stderr}`);
    }
    // podlab's own pods (postgres, the sidecar pod, the workbench): the quota counts them before any of the learner's.
    podlabPods = kubectlJsonSync<{ items: unknown[] }>(["get", "pods", "-n", NS]).items.length;
});

afterAll(() => {
    runCourse("down", "--roster", rosterFile, "--out", out);
    kubectlRunSync(["delete", "namespace", "-l", `podlab.dev/course=${COURSE}`, "--wait=true"], { timeoutMs: WAIT_MS });
    kubectlRunSync(["delete", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-l", `podlab.dev/course=${COURSE}`]);
});

describe("the course's admission fence", () => {
    it("exists before the learner's environment: one policy and one binding, from the course-level stack, selecting the course's namespaces", () => {
        const binding = kubectlJsonSync(["get", "validatingadmissionpolicybinding", FENCE]);
        expect(binding.spec).toEqual({ policyName: FENCE, validationActions: ["Deny"], matchResources: expect.objectContaining({ namespaceSelector: { matchLabels: { "podlab.dev/course": COURSE, "podlab.dev/fence": "course" } } }) });
        expect(kubectlJsonSync(["get", "namespace", NS]).metadata.labels).toMatchObject({ "podlab.dev/course": COURSE, "podlab.dev/fence": "course" });
        const policy = kubectlJsonSync(["get", "validatingadmissionpolicy", FENCE]);
        expect(policy.spec.validations).toHaveLength(ADMISSION_RULES.length);
        // The API server compiled every expression: type checking found nothing to warn about.
        expect(policy.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
        expect(printed(asLearner("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))).toBe(`system:serviceaccount:${NS}:learner`);
    });

    it("admits the learner's own compliant pod, with no token mounted though it never asked (the default ServiceAccount automounts none)", () => {
        expect(createAsLearner(learnerPod("mine")).exitCode).toBe(0);
        const pod = kubectlJsonSync(["get", "pod", "mine", "-n", NS]);
        expect(pod.spec.serviceAccountName).toBe("default");
        expect(JSON.stringify(pod.spec.volumes ?? [])).not.toContain("serviceAccountToken");
        expect(kubectlJsonSync(["get", "serviceaccount", "default", "-n", NS]).automountServiceAccountToken).toBe(false);
        deleteAsLearner("mine");
    });
});

describe("issue 20's ways, with the learner's kubeconfig", () => {
    const hostProbes: Array<[string, PodOverrides]> = [
        ["readiness tcpSocket at another pod's IP (way 2)", { container: { readinessProbe: { tcpSocket: { host: "@postgres", port: 5432 } } } }],
        ["liveness httpGet with a host and chosen headers", { container: { livenessProbe: { httpGet: { host: "@postgres", port: 5432, path: "/", httpHeaders: [{ name: "X-Learner", value: "hi" }] } } } }],
        ["startup httpGet with a host", { container: { startupProbe: { httpGet: { host: "10.245.0.1", port: 10250, path: "/pods" } } } }],
        ["a postStart hook's httpGet", { container: { lifecycle: { postStart: { httpGet: { host: "10.245.0.1", port: 6443, path: "/" } } } } }],
        ["a preStop hook's tcpSocket", { container: { lifecycle: { preStop: { tcpSocket: { host: "10.245.0.1", port: 22 } } } } }],
        [
            "a native sidecar (restartable init container) with a host in its probe",
            { spec: { initContainers: [{ name: "side", image: BUSYBOX, command: ["sleep", "3600"], restartPolicy: "Always", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }, readinessProbe: { tcpSocket: { host: "10.245.0.1", port: 53 } } }] } },
        ],
    ];
    it.each(hostProbes)("no-probe-host: %s", (_, o) => {
        const withIp = JSON.parse(JSON.stringify(learnerPod("probe", o)).replace(/@postgres/g, ip("postgres")));
        const message = expectRefusedBy("no-probe-host", withIp);
        expect(message).toMatch(/a host in a probe or lifecycle hook of container (main|side): leave host out/);
    });

    it("a gRPC probe has no host to set: the API refuses the field as unknown, and the kubelet dials the pod's own IP", () => {
        const r = createAsLearner(learnerPod("grpc", { container: { readinessProbe: { grpc: { port: 5432, host: "10.245.0.1" } } } }));
        expect(r.exitCode).toBe(1);
        expect(printed(r)).toContain('unknown field "spec.containers[0].readinessProbe.grpc.host"');
    });

    it("no-priority-class: system-node-critical (way 3)", () => {
        expect(expectRefusedBy("no-priority-class", learnerPod("critical", { spec: { priorityClassName: "system-node-critical" } }))).toContain("priorityClassName system-node-critical: leave priorityClassName out");
    });

    it("default-service-account: the learner's own ServiceAccount (way 4)", () => {
        expect(expectRefusedBy("default-service-account", learnerPod("as-learner", { spec: { serviceAccountName: "learner" } }))).toContain("serviceAccountName learner");
    });

    it("no-service-account-token: a year-long projected token, and automountServiceAccountToken: true, each told what to write instead (way 4)", () => {
        const projected = learnerPod("year-token", {
            spec: { volumes: [{ name: "token", projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 31536000 } }] } }] },
            container: { volumeMounts: [{ name: "token", mountPath: "/var/run/token" }] },
        });
        expect(expectRefusedBy("no-service-account-token", projected)).toContain("a serviceAccountToken in volume token: write automountServiceAccountToken: false");
        const automount = learnerPod("automount", { spec: { automountServiceAccountToken: true } });
        expect(expectRefusedBy("no-service-account-token", automount)).toContain("automountServiceAccountToken: true: write automountServiceAccountToken: false (or leave it out)");
    });

    it("no TokenRequest for any account of the namespace either: the Role has no serviceaccounts/token", () => {
        for (const account of ["learner", "default"]) {
            const r = asLearner("create", "token", account);
            expect(`${r.exitCode} ${printed(r)}`).toMatch(new RegExp(`^1 .*cannot create resource "serviceaccounts/token"`, "s"));
        }
    });

    realNodeOnly("count/pods: finished pods free a `pods` slot, not a `count/pods` one; the next is refused (way 5, real node)", async () => {
        const hard = kubectlJsonSync(["get", "resourcequota", "environment", "-n", NS]).spec.hard;
        expect(hard["count/pods"]).toBe(hard.pods);
        // The quota leaves room for two pods beside podlab's own.
        expect(hard.pods).toBe(String(podlabPods + 2));
        for (const name of ["done1", "done2"]) {
            expect(createAsLearner(learnerPod(name, { spec: { restartPolicy: "Never" }, container: { command: ["true"] } })).exitCode).toBe(0);
            await eventually(`${name} Succeeded`, () => kubectlSync(["get", "pod", name, "-n", NS, "-o", "jsonpath={.status.phase}"]) === "Succeeded", 60);
        }
        await eventually(`the quota's used pods back to ${podlabPods}`, () => kubectlJsonSync(["get", "resourcequota", "environment", "-n", NS]).status.used.pods === String(podlabPods), 30);
        const third = createAsLearner(learnerPod("done3", { spec: { restartPolicy: "Never" }, container: { command: ["true"] } }));
        expect(third.exitCode).toBe(1);
        // Refused by count/pods alone: only podlab's pods run, under `pods: podlab's + 2`.
        const full = podlabPods + 2;
        expect(printed(third)).toContain(`exceeded quota: environment, requested: count/pods=1, used: count/pods=${full}, limited: count/pods=${full}`);
        deleteAsLearner("done1", "done2");
    });

    it("volume-kinds: a generic ephemeral volume, which would make a PersistentVolumeClaim (way 6)", () => {
        const claim = learnerPod("claims", {
            spec: { volumes: [{ name: "disk", ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } } }] },
            container: { volumeMounts: [{ name: "disk", mountPath: "/data" }] },
        });
        expect(expectRefusedBy("volume-kinds", claim)).toContain("volume disk: use only emptyDir, configMap, secret, downwardAPI, projected volumes");
        expect(kubectlJsonSync(["get", "resourcequota", "environment", "-n", NS]).spec.hard).toMatchObject({ persistentvolumeclaims: "0", "requests.storage": "0" });
        const direct = kubectlRunSync(["create", "-f", "-"], { kubeconfig: kubeconfig(), input: JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "disk" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }) });
        expect(printed(direct)).toContain('cannot create resource "persistentvolumeclaims"');
    });

    it("emptydir-size-limit: an emptyDir without a sizeLimit", () => {
        const unbounded = learnerPod("unbounded", { spec: { volumes: [{ name: "scratch", emptyDir: {} }] }, container: { volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] } });
        expect(expectRefusedBy("emptydir-size-limit", unbounded)).toContain("emptyDir volume scratch: give every emptyDir a sizeLimit");
    });

    it("no-finalizers: a pod that would survive its deletion (way 7)", () => {
        expect(expectRefusedBy("no-finalizers", learnerPod("held", { metadata: { finalizers: ["example.com/hold"] } }))).toContain("finalizers example.com/hold");
    });
});

describe("beyond issue 20's ways", () => {
    it("no-ephemeral-containers: kubectl debug is refused to the learner by RBAC, and to anyone by the rule (an ephemeral container escapes the quota)", async () => {
        expect(createAsLearner(learnerPod("target")).exitCode).toBe(0);
        // The restricted profile, so that Pod Security (which runs first) admits the container.
        const learner = asLearner("debug", "target", `--image=${BUSYBOX}`, "--container=dbg", "--profile=restricted", "--", "true");
        expect(learner.exitCode).not.toBe(0);
        expect(printed(learner)).toContain('cannot patch resource "pods/ephemeralcontainers"');
        const admin = kubectlRunSync(["debug", "-n", NS, "target", `--image=${BUSYBOX}`, "--container=dbg", "--profile=restricted", "--", "true"]);
        expect(admin.exitCode).not.toBe(0);
        expect(printed(admin)).toContain('podlab fence "no-ephemeral-containers"');
        refusedBy.add("no-ephemeral-containers");
        expect(kubectlJsonSync(["get", "pod", "target", "-n", NS]).spec.ephemeralContainers).toBeUndefined();
    });

    it("updates: the learner cannot update a pod at all; an admin's update may not add what a create may not, and may change the rest", () => {
        expect(printed(asLearner("label", "pod", "target", "x=y"))).toContain('cannot patch resource "pods"');
        expect(asLearner("auth", "can-i", "update", "pods").stdout.trim()).toBe("no");
        const addFinalizer = kubectlRunSync(["patch", "pod", "target", "-n", NS, "--type=merge", "-p", JSON.stringify({ metadata: { finalizers: ["example.com/hold"] } })]);
        expect(printed(addFinalizer)).toContain('podlab fence "no-finalizers"');
        expect(kubectlRunSync(["label", "pod", "target", "-n", NS, "checked=yes"]).exitCode).toBe(0);
    });

    it("a foreground deletion (the API adds a finalizer, the garbage collector removes it by an update) still completes", () => {
        expect(asLearner("delete", "pod", "target", "--cascade=foreground", "--wait=true", "--timeout=60s").exitCode).toBe(0);
        expect(printed(kubectlRunSync(["get", "pod", "target", "-n", NS]))).toContain("NotFound");
    });

    it.each([
        ["nodeName", { spec: { nodeName: "@node" } }, "nodeName "],
        ["a toleration of the control plane's taint", { spec: { tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }] } }, "tolerations of node-role.kubernetes.io/control-plane"],
        ["a toleration of every taint", { spec: { tolerations: [{ operator: "Exists" }] } }, "tolerations of every taint"],
    ] as Array<[string, PodOverrides, string]>)("no-node-choice: %s", (_, o, found) => {
        const node = kubectlJsonSync<{ items: any[] }>(["get", "nodes"]).items[0].metadata.name as string;
        const manifest = JSON.parse(JSON.stringify(learnerPod("placed", o)).replace(/@node/g, node));
        expect(expectRefusedBy("no-node-choice", manifest)).toContain(found);
    });

    it("no-cross-namespace-affinity: a required anti-affinity against every namespace's postgres (it would keep theirs off the node)", () => {
        const term = { labelSelector: { matchLabels: { "app.kubernetes.io/name": "postgres" } }, namespaceSelector: {}, topologyKey: "kubernetes.io/hostname" };
        expect(expectRefusedBy("no-cross-namespace-affinity", learnerPod("crowd", { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } } }))).toContain("keep pod affinity");
    });

    it("bounded-grace-period: a pod that would hold its namespace Terminating for an hour", () => {
        expect(expectRefusedBy("bounded-grace-period", learnerPod("slow", { spec: { terminationGracePeriodSeconds: 3600 } }))).toContain("terminationGracePeriodSeconds 3600");
    });

    it("cluster-dns-only: the node's resolvers, or nameservers of the learner's choosing", () => {
        expect(expectRefusedBy("cluster-dns-only", learnerPod("node-dns", { spec: { dnsPolicy: "Default" } }))).toContain("dnsPolicy Default");
        expect(expectRefusedBy("cluster-dns-only", learnerPod("own-dns", { spec: { dnsPolicy: "None", dnsConfig: { nameservers: ["10.245.0.1"] } } }))).toContain("nameservers [10.245.0.1]");
    });

    it("no-host-aliases: localhost pointed elsewhere in the pod's /etc/hosts", () => {
        expect(expectRefusedBy("no-host-aliases", learnerPod("alias", { spec: { hostAliases: [{ ip: "10.245.0.1", hostnames: ["localhost.lab"] }] } }))).toContain("hostAliases for 10.245.0.1");
    });

    it("linux-pods: a pod that says it is a Windows pod, so that Pod Security skips its Linux checks", () => {
        // Windows pods may not carry Linux-only fields (the API refuses them), so this one has none.
        const windows = { apiVersion: "v1", kind: "Pod", metadata: { name: "windows" }, spec: { os: { name: "windows" }, securityContext: { runAsNonRoot: true }, containers: [{ name: "main", image: BUSYBOX }] } };
        expect(expectRefusedBy("linux-pods", windows)).toContain("os windows");
    });

    it("reserved-labels: a learner's pod passing for podlab's own (a workbench's label), while the admin's pod may carry it", () => {
        expect(expectRefusedBy("reserved-labels", learnerPod("fake-workbench", { metadata: { labels: { "podlab.dev/workbench": "true" } } }))).toContain("label podlab.dev/workbench");
        expect(expectRefusedBy("reserved-labels", learnerPod("fake-learner", { metadata: { labels: { "podlab.dev/learner": "grace" } } }))).toContain("label podlab.dev/learner");
        const own = adminCreate(learnerPod("podlab-own", { metadata: { labels: { "podlab.dev/workbench": "true" } } }));
        expect(own.exitCode).toBe(0);
        expect(kubectlRunSync(["delete", "pod", "podlab-own", "-n", NS, "--wait=true"], { timeoutMs: WAIT_MS }).exitCode).toBe(0);
    });

    it("Pod Security refuses unsafe sysctls (only namespaced safe ones pass, and harm only the pod's own network namespace)", () => {
        const unsafe = createAsLearner(learnerPod("sysctl", { spec: { securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "kernel.msgmax", value: "65536" }] } } }));
        expect(unsafe.exitCode).toBe(1);
        expect(printed(unsafe)).toContain('violates PodSecurity "restricted:latest": forbidden sysctls (kernel.msgmax)');
    });

    it("the RuntimeClass plugin refuses a pod's own spec.overhead and an unknown runtimeClassName; the rule refuses any other", () => {
        const overhead = createAsLearner(learnerPod("overhead", { spec: { overhead: { cpu: "10" } } }));
        expect(overhead.exitCode).toBe(1);
        expect(printed(overhead)).toContain("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead");
        const runtime = createAsLearner(learnerPod("runtime", { spec: { runtimeClassName: "runc" } }));
        expect(runtime.exitCode).toBe(1);
        expect(printed(runtime)).toMatch(/RuntimeClass "runc" not found|podlab fence "no-node-choice"/);
    });

    it("harmless, with the reason: a scheduling gate keeps the learner's own pod Pending, counted by the quota, and only an update (which the learner may not make) lifts it", async () => {
        expect(createAsLearner(learnerPod("gated", { spec: { schedulingGates: [{ name: "example.com/wait" }] } })).exitCode).toBe(0);
        try {
            await eventually("gated pod SchedulingGated", () => /SchedulingGated/.test(kubectlSync(["get", "pod", "gated", "-n", NS, "-o", "jsonpath={.status.conditions}"])), 30);
            // Counted like any other pod: podlab's, and this one (the quota controller catches up on earlier deletions first).
            await eventually(`count/pods used ${podlabPods + 1}`, () => kubectlJsonSync(["get", "resourcequota", "environment", "-n", NS]).status.used["count/pods"] === String(podlabPods + 1), 30);
            expect(asLearner("auth", "can-i", "patch", "pods").stdout.trim()).toBe("no");
        } finally {
            deleteAsLearner("gated");
        }
    });

    it("harmless, with the reason: hostUsers and resourceClaims are dropped by this API server (their feature gates are off), hostname and subdomain name only the pod itself (no Service to publish them: the Role cannot create one)", () => {
        const pod = learnerPod("dropped", { spec: { hostUsers: false, hostname: "postgres", subdomain: "lab", resourceClaims: [{ name: "gpu", resourceClaimName: "gpu" }] } });
        expect(createAsLearner(pod).exitCode).toBe(0);
        const stored = kubectlJsonSync(["get", "pod", "dropped", "-n", NS]).spec;
        expect({ hostUsers: stored.hostUsers, resourceClaims: stored.resourceClaims, hostname: stored.hostname, subdomain: stored.subdomain }).toEqual({ hostUsers: undefined, resourceClaims: undefined, hostname: "postgres", subdomain: "lab" });
        for (const args of [["create", "services"], ["create", "endpoints"], ["create", "endpointslices.discovery.k8s.io"], ["create", "resourceclaims.resource.k8s.io"]]) {
            expect(`${args[1]} ${asLearner("auth", "can-i", ...args).stdout.trim()}`).toBe(`${args[1]} no`);
        }
        deleteAsLearner("dropped");
    });

    it("a Service, Endpoints and a binding of a pod to a node: the Role refuses each", () => {
        const svc = asLearner("create", "service", "clusterip", "reach", "--tcp=5432:5432");
        expect(printed(svc)).toContain('cannot create resource "services"');
        const endpoints = kubectlRunSync(["create", "-f", "-"], { kubeconfig: kubeconfig(), input: JSON.stringify({ apiVersion: "v1", kind: "Endpoints", metadata: { name: "reach" }, subsets: [{ addresses: [{ ip: "10.245.0.1" }], ports: [{ port: 6443 }] }] }) });
        expect(printed(endpoints)).toContain('cannot create resource "endpoints"');
        // Binding a pod to a node of the learner's choosing: the scheduler's right, not the learner's.
        expect(createAsLearner(learnerPod("unbound", { spec: { schedulingGates: [{ name: "example.com/hold" }] } })).exitCode).toBe(0);
        const node = kubectlJsonSync<{ items: any[] }>(["get", "nodes"]).items[0].metadata.name as string;
        const binding = { apiVersion: "v1", kind: "Binding", metadata: { name: "unbound" }, target: { apiVersion: "v1", kind: "Node", name: node } };
        const bound = kubectlRunSync(["create", "--raw", `/api/v1/namespaces/${NS}/pods/unbound/binding`, "-f", "-"], { kubeconfig: kubeconfig(), input: JSON.stringify(binding) });
        expect(printed(bound)).toContain('cannot create resource "pods/binding"');
        deleteAsLearner("unbound");
        for (const sub of ["binding", "eviction", "ephemeralcontainers"]) {
            expect(`${sub} ${asLearner("auth", "can-i", "create", "pods", `--subresource=${sub}`).stdout.trim()}`).toBe(`${sub} no`);
        }
    });

    realNodeOnly("harmless, with the reason: shareProcessNamespace shares processes among the pod's own containers only (real node)", async () => {
        const sidecar = { name: "second", image: BUSYBOX, command: ["sleep", "3601"], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } };
        const pod = learnerPod("shared", { spec: { shareProcessNamespace: true } });
        (pod.spec as any).containers.push(sidecar);
        expect(createAsLearner(pod).exitCode).toBe(0);
        await eventually("shared Running", () => kubectlSync(["get", "pod", "shared", "-n", NS, "-o", "jsonpath={.status.phase}"]) === "Running", 60);
        const ps = asLearner("exec", "shared", "-c", "main", "--", "sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done");
        expect(ps.exitCode).toBe(0);
        expect(ps.stdout).toContain("sleep 3601");
        expect(ps.stdout).not.toMatch(/postgres|nginx|kubelet|containerd/);
        deleteAsLearner("shared");
    });

    it("every admission rule was seen refusing a request in this run", () => {
        expect([...refusedBy].sort()).toEqual(ADMISSION_RULES.map((r) => r.name).sort());
    });
});

describe("credentials, revocation, and the course's commands after a learner tried", () => {
    it("the token ends no later than the roster's expires", () => {
        const payload = JSON.parse(Buffer.from(tokenOf(kubeconfig()).split(".")[1], "base64url").toString()) as { exp: number };
        expect(payload.exp).toBeLessThanOrEqual(expiresAt.getTime() / 1000);
    });

    it("after course credentials no token the learner obtained works: the kubeconfig's is revoked, and no other could be had", async () => {
        const old = path.join(root, "old-kubeconfig");
        fs.copyFileSync(kubeconfig(), old);
        const r = runCourse("credentials", "--roster", rosterFile, "--out", out);
        expect(r.status).toBe(0);
        const seconds = await eventually("the old token refused", () => /Unauthorized|must be logged in/i.test(printed(kubectlRunSync(["get", "pods"], { kubeconfig: old }))), 30);
        expect(asLearner("get", "pods").exitCode).toBe(0);
        console.log(`old token refused ${seconds.toFixed(1)} s after credentials returned`);
    });

    it("reset and down finish after all of the above: nothing the learner tried holds the namespace", () => {
        const reset = runCourse("reset", "--roster", rosterFile, "--out", out, LEARNER);
        expect(`${reset.stdout}${reset.stderr}`).toContain("course reset: 1 done, 0 failed");
        const down = runCourse("down", "--roster", rosterFile, "--out", out);
        expect(down.stdout).toContain(`course fence ${FENCE} removed`);
        expect(down.stdout).toContain(`nothing carrying podlab.dev/course=${COURSE} remains in the cluster`);
        expect(down.status).toBe(0);
        expect(printed(kubectlRunSync(["get", "validatingadmissionpolicy", FENCE]))).toContain("NotFound");
    });
});
