/**
 * podlab's whole lifecycle against the lab cluster, with the real Pulumi CLI,
 * engine and Kubernetes provider: on the lab's real node by default (every pod
 * runs and must be Ready), or on the KWOK fallback (PODLAB_NODE=kwok). Run with
 * `npm run e2e`. The tests run in order and share one deployment of the lab
 * stack (Pulumi.lab.yaml: the dev stack's values with the lab's images).
 */
import { Stack } from "@pulumi/pulumi/automation";
import { PASSWORD_KEY } from "../../cli/automation";
import { labImageRef } from "../labImages";
import { kubectlJsonSync, kubectlRunSync, kubectlSync } from "../../cli/kubectl";
import { deployCommand, expectReadyPodsAt, LAB_STACK_CONFIG, labImageDigest, podlabObjects, podsIn, printed, privateBackend, requireLab, scratchStack, stateFile, stepRecorder, urnName, WAIT_MS } from "./lab";

const STACK = "lab";
const NS = "podlab-e2e-lab";
const LEARNER2 = "e2e-learner2";
const LEARNER2_NS = `podlab-${LEARNER2}`;

let root: string;
let labStack: Stack;
let learner2: Stack | undefined;

async function outputs(stack: Stack): Promise<Record<string, any>> {
    return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
}

beforeAll(async () => {
    requireLab();
    // A run killed half-way leaves its namespaces behind; their state went with its private backend.
    for (const ns of [NS, LEARNER2_NS]) {
        kubectlRunSync(["delete", "namespace", ns, "--ignore-not-found", "--wait=true"], { timeoutMs: WAIT_MS });
    }
    root = privateBackend();
    // The lab stack's config, with its namespace moved aside so a learner's own lab stack is left alone.
    labStack = await scratchStack(root, STACK, LAB_STACK_CONFIG);
    await labStack.setConfig("podlab:namespace", { value: NS });
});

afterAll(async () => {
    // Leave the lab as we found it even when a test failed half-way.
    for (const stack of [learner2, labStack]) {
        if (stack) {
            await stack.destroy().catch(() => undefined);
        }
    }
});

describe("podlab on the lab cluster", () => {
    it("pulumi up of the lab stack: every pod Ready, distinct pod IPs from the pod CIDR, as the API server reports them", async () => {
        const result = await labStack.up();
        expect(result.summary.result).toBe("succeeded");
        const out = await outputs(labStack);
        expect(out.namespace).toBe(NS);
        const ips: Record<string, string> = out.podIps;
        expect(Object.keys(ips).sort()).toEqual(["postgres", "postgres2", "sidecar"]);
        const pods = expectReadyPodsAt(NS, ips);
        for (const name of ["postgres", "postgres2"]) {
            expect(pods[name].spec.containers.map((c: any) => c.ports.map((p: any) => p.containerPort))).toEqual([[5432]]);
        }
        expect(pods.sidecar.spec.containers.map((c: any) => c.name)).toEqual(["nginx", "sidecar"]);
        expect(out.commands.sidecarCurl).toBe(`kubectl -n ${NS} exec sidecar -c sidecar -- curl -s http://localhost:8080/`);
    });

    it("the namespace enforces Pod Security restricted, and refuses a privileged pod", () => {
        const ns = kubectlJsonSync(["get", "namespace", NS]);
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
        const refused = kubectlRunSync(["run", "intruder", "-n", NS, "--image=docker.io/library/busybox:1.36", "--privileged", "--dry-run=server"]);
        expect(refused.exitCode).not.toBe(0);
        expect(printed(refused)).toMatch(/violates PodSecurity "restricted:latest"/);
        // Every podlab pod was admitted under that profile: re-admitting each spec changes nothing.
        for (const name of Object.keys(podsIn(NS))) {
            const readmit = kubectlRunSync(["label", "--dry-run=server", "--overwrite", "-n", NS, `pod/${name}`, "podlab.dev/e2e=readmitted"]);
            expect(readmit.exitCode).toBe(0);
        }
        const warn = kubectlRunSync(["label", "--dry-run=server", "--overwrite", `namespace/${NS}`, "pod-security.kubernetes.io/enforce=restricted"]);
        expect(printed(warn)).not.toMatch(/violate/);
    });

    it("a single stack has its own admission fence, named after its namespace, which refuses what a learner has no business asking for", () => {
        const fence = `podlab-fence-stack-${NS}`;
        expect(kubectlJsonSync(["get", "validatingadmissionpolicybinding", fence]).spec.matchResources.namespaceSelector.matchLabels).toEqual({ "kubernetes.io/metadata.name": NS, "podlab.dev/fence": "stack" });
        // Restricted in every other way, so that Pod Security (which runs first) admits it.
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "critical", namespace: NS },
            spec: {
                priorityClassName: "system-node-critical",
                securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
                containers: [{ name: "main", image: "podlab.local/busybox:1.35-deb12", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
            },
        };
        const critical = kubectlRunSync(["create", "--dry-run=server", "-f", "-"], { input: JSON.stringify(pod) });
        expect(critical.stderr).toContain(`ValidatingAdmissionPolicy '${fence}' with binding '${fence}' denied request: podlab fence "no-priority-class"`);
        // The other learner's stack has its own, which does not cover this namespace.
        expect(printed(kubectlRunSync(["get", "validatingadmissionpolicy", `podlab-fence-stack-${LEARNER2_NS}`]))).toContain("NotFound");
    });

    it("keeps the postgres password encrypted: not in state, outputs or pod specs", async () => {
        const password = (await labStack.getConfig(PASSWORD_KEY)).value;
        expect(password.length).toBeGreaterThanOrEqual(20);
        const state = stateFile(root, STACK);
        expect(state).not.toContain(password);
        expect(state).toContain("ciphertext");
        expect(JSON.stringify(await labStack.outputs())).not.toContain(password);
        expect(kubectlSync(["get", "pods", "-n", NS, "-o", "json"])).not.toContain(password);
        // The Secret does hold it, for the pod's secretKeyRef.
        const secret = kubectlJsonSync(["get", "secret", "postgres-credentials", "-n", NS]);
        expect(Buffer.from(secret.data.password, "base64").toString()).toBe(password);
    });

    it("a second up changes nothing; preview and refresh find no changes", async () => {
        const again = await labStack.up();
        expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
        await labStack.preview({ expectNoChanges: true });
        await labStack.refresh({ expectNoChanges: true });
    });

    // Pinning the same image by digest is a new image reference: the pods are replaced, and on the real node they start from it.
    let pinnedRef: string | undefined;
    const pinned = () => (pinnedRef ??= `${labImageRef("postgres")}@${labImageDigest("postgres")}`);

    it("a new postgres image reference (pinned by digest) replaces exactly the postgres pods", async () => {
        const before = podsIn(NS);
        await labStack.setConfig("podlab:postgres", { value: JSON.stringify({ image: pinned() }) });
        const steps = stepRecorder();
        await labStack.up({ onEvent: steps.onEvent });
        const changed = [...steps.changed().keys()].map(urnName).sort();
        expect(changed).toEqual(["postgres-pod", "postgres2-pod"]);
        const after = podsIn(NS);
        expect(after.postgres.spec.containers[0].image).toBe(pinned());
        expect(after.postgres.metadata.uid).not.toBe(before.postgres.metadata.uid);
        expect(after.postgres.status.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
        expect(after.sidecar.metadata.uid).toBe(before.sidecar.metadata.uid);
    });

    it("a larger instance count adds exactly one postgres pod", async () => {
        const before = podsIn(NS);
        await labStack.setConfig("podlab:postgres", { value: JSON.stringify({ image: pinned(), count: 3 }) });
        const steps = stepRecorder();
        await labStack.up({ onEvent: steps.onEvent });
        const ops = [...steps.changed()].map(([urn, s]) => `${urnName(urn)}: ${[...s].join(",")}`).sort();
        // The namespace's quota makes room first (the pods depend on it), then the pod and its Secret are created.
        expect(ops).toEqual([`${NS}-quota: update`, "postgres3-credentials: create", "postgres3-pod: create", "postgres3: create"]);
        const after = podsIn(NS);
        expect(Object.keys(after).sort()).toEqual(["postgres", "postgres2", "postgres3", "sidecar"]);
        for (const name of Object.keys(before)) {
            expect(after[name].metadata.uid).toBe(before[name].metadata.uid);
        }
        expect(new Set(Object.values((await outputs(labStack)).podIps)).size).toBe(4);
    });

    it("detects a pod deleted behind Pulumi's back, and the next up recreates it", async () => {
        kubectlSync(["delete", "pod", "postgres2", "-n", NS, "--wait=true"], { timeoutMs: WAIT_MS });
        await labStack.refresh();
        const urns = (await labStack.exportStack()).deployment.resources.map((r: any) => urnName(r.urn));
        expect(urns).not.toContain("postgres2-pod");
        expect(urns).toContain("postgres-pod");
        const steps = stepRecorder();
        await labStack.up({ onEvent: steps.onEvent });
        expect([...steps.changed().keys()].map(urnName)).toEqual(["postgres2-pod"]);
        const pods = podsIn(NS);
        expect(pods.postgres2.status.podIP).toBe((await outputs(labStack)).podIps.postgres2);
    });

    it("a second learner's stack deploys beside the first; destroying it leaves the first intact", async () => {
        const before = podsIn(NS);
        learner2 = await scratchStack(root, LEARNER2, LAB_STACK_CONFIG);
        await learner2.up();
        const out2 = await outputs(learner2);
        expect(out2.namespace).toBe(LEARNER2_NS);
        expect(Object.keys(podsIn(LEARNER2_NS)).sort()).toEqual(["postgres", "postgres2", "sidecar"]);
        await learner2.destroy();
        await learner2.workspace.removeStack(LEARNER2);
        learner2 = undefined;
        expect(kubectlRunSync(["get", "namespace", LEARNER2_NS]).exitCode).not.toBe(0);
        const after = podsIn(NS);
        expect(Object.fromEntries(Object.entries(after).map(([n, p]) => [n, p.metadata.uid]))).toEqual(
            Object.fromEntries(Object.entries(before).map(([n, p]) => [n, p.metadata.uid])),
        );
    });

    it("invalid config fails before anything is created: the cluster is unchanged", async () => {
        const before = podlabObjects([NS, LEARNER2_NS]);
        const good = (await labStack.getConfig("podlab:postgres")).value;
        const goodSidecar = (await labStack.getConfig("podlab:sidecar")).value;
        const deploy = () => deployCommand("up", STACK, labStack.workspace.workDir);

        await labStack.setConfig("podlab:postgres", { value: JSON.stringify({ count: 0 }) });
        const badCount = deploy();
        expect(badCount.status).not.toBe(0);
        expect(badCount.output).toContain("podlab:postgres.count must be an integer in 1-100; got 0");

        await labStack.setConfig("podlab:postgres", { value: good });
        await labStack.setConfig("podlab:sidecar", { value: JSON.stringify({ nginxPort: 8080, sidecarPort: 8080 }) });
        const samePort = deploy();
        expect(samePort.status).not.toBe(0);
        expect(samePort.output).toContain("podlab:sidecar.sidecarPort 8080 is also podlab:sidecar.nginxPort");

        expect(podlabObjects([NS, LEARNER2_NS])).toEqual(before);
        await labStack.setConfig("podlab:sidecar", { value: goodSidecar });
        await labStack.preview({ expectNoChanges: true });
    });

    it("pulumi destroy leaves no podlab object in the cluster", async () => {
        expect(podlabObjects([NS])).not.toEqual([]);
        await labStack.destroy();
        expect(podlabObjects([NS, LEARNER2_NS])).toEqual([]);
        expect(printed(kubectlRunSync(["get", "validatingadmissionpolicy,validatingadmissionpolicybinding", `podlab-fence-stack-${NS}`]))).toMatch(/NotFound/);
        expect(kubectlRunSync(["get", "namespace", NS]).exitCode).not.toBe(0);
    });
});
