import { ofType, resetMocks, settle } from "../mocks";
import { allViolations } from "../policy/harness";
import {
    WORKBENCH_CONTAINER,
    WORKBENCH_DEFAULTS,
    WORKBENCH_HOME,
    WORKBENCH_KUBECONFIG,
    WORKBENCH_KUBECONFIG_SECRET,
    WORKBENCH_LABEL,
    WORKBENCH_POD_NAME,
    WORKBENCH_SHELL,
    Workbench,
} from "../../components/workbench";
import { PodlabConfigError, parseMemoryBytes } from "../../components/validation";

beforeEach(() => resetMocks());

async function deploy(args: Partial<ConstructorParameters<typeof Workbench>[1]> = {}) {
    const wb = new Workbench("podlab-c-ada-workbench", { namespace: "podlab-c-ada", labels: { "podlab.dev/course": "c", "podlab.dev/learner": "ada" }, ...args });
    await settle();
    const pods = ofType("kubernetes:core/v1:Pod");
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    return { wb, pod, spec: pod.inputs.spec, c: pod.inputs.spec.containers[0] };
}

describe("Workbench", () => {
    it("is one pod named workbench in the learner's namespace, its child named from the component, with the shell a terminal runs", async () => {
        const { wb, pod } = await deploy();
        expect(pod.name).toBe("podlab-c-ada-workbench-pod");
        expect(pod.inputs.metadata).toMatchObject({ name: WORKBENCH_POD_NAME, namespace: "podlab-c-ada" });
        expect([wb.podName, wb.containerName, wb.shell]).toEqual(["workbench", "workbench", WORKBENCH_SHELL]);
        expect(pod.inputs.spec.containers.map((c: any) => c.name)).toEqual([WORKBENCH_CONTAINER]);
        // The shell's script: bash where there is one, else sh.
        expect(WORKBENCH_SHELL.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
        expect(WORKBENCH_SHELL[2]).toContain("exec bash -l");
        expect(WORKBENCH_SHELL[2]).toContain("exec sh -l");
    });

    it("carries the reserved workbench label, the learner's labels and podlab's, and tells Pulumi not to wait for Ready", async () => {
        const { pod } = await deploy();
        expect(pod.inputs.metadata.labels).toMatchObject({
            [WORKBENCH_LABEL]: "true",
            "podlab.dev/course": "c",
            "podlab.dev/learner": "ada",
            "app.kubernetes.io/name": "workbench",
            "app.kubernetes.io/part-of": "podlab",
        });
        expect(pod.inputs.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });

    it("holds no credential of its own: no ServiceAccount token, the learner's kubeconfig from a Secret mounted read-only", async () => {
        const { spec, c } = await deploy();
        expect(spec.automountServiceAccountToken).toBe(false);
        expect(spec.serviceAccountName).toBeUndefined();
        const kubeconfig = spec.volumes.find((v: any) => v.name === "kubeconfig");
        expect(kubeconfig).toEqual({ name: "kubeconfig", secret: { secretName: WORKBENCH_KUBECONFIG_SECRET, optional: true, defaultMode: 0o440 } });
        expect(c.volumeMounts).toContainEqual({ name: "kubeconfig", mountPath: "/var/run/podlab/kubeconfig", readOnly: true });
        expect(c.env).toEqual([
            { name: "HOME", value: WORKBENCH_HOME },
            { name: "KUBECONFIG", value: WORKBENCH_KUBECONFIG },
        ]);
        // fsGroup makes the 0440 file readable by the shell's group.
        expect(spec.securityContext.fsGroup).toBe(WORKBENCH_DEFAULTS.runAsUser);
    });

    it("passes Pod Security restricted with a read-only root, and gives HOME and /tmp size-limited emptyDirs; the shell starts in HOME", async () => {
        const { spec, c } = await deploy();
        expect(c.securityContext).toEqual({
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(spec.hostNetwork).toBe(false);
        expect(c.workingDir).toBe(WORKBENCH_HOME);
        const emptyDirs = spec.volumes.filter((v: any) => v.emptyDir);
        expect(emptyDirs.map((v: any) => v.name)).toEqual(["home", "tmp"]);
        expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: "home", mountPath: WORKBENCH_HOME }, { name: "tmp", mountPath: "/tmp" }]));
        // The emptyDirs fit within the container's ephemeral-storage limit.
        const total = emptyDirs.reduce((n: number, v: any) => n + parseMemoryBytes(v.emptyDir.sizeLimit), 0);
        expect(total).toBeLessThan(parseMemoryBytes(c.resources.limits["ephemeral-storage"]));
    });

    it("has requests and limits of cpu, memory and ephemeral storage, a pinned image and a readiness probe on its kubeconfig and kubectl", async () => {
        const { c } = await deploy();
        expect(c.image).toBe("docker.io/alpine/k8s:1.32.13");
        expect(c.resources).toEqual(WORKBENCH_DEFAULTS.resources);
        expect(c.readinessProbe.exec.command).toEqual(["/bin/sh", "-c", 'test -s "$KUBECONFIG" && command -v kubectl >/dev/null']);
        expect(c.ports).toEqual([]);
    });

    it("takes the image, uid and resources it is given", async () => {
        const resources = { requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "32Mi" }, limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "512Mi" } };
        const { c, spec } = await deploy({ image: "podlab.local/workbench:1.32-deb12", runAsUser: 4242, resources });
        expect(c.image).toBe("podlab.local/workbench:1.32-deb12");
        expect(c.securityContext.runAsUser).toBe(4242);
        expect(spec.securityContext.fsGroup).toBe(4242);
        expect(c.resources).toEqual(resources);
    });

    it.each([
        [{ image: "docker.io/alpine/k8s:latest" }, "Workbench w: image must not use the 'latest' tag"],
        [{ image: "alpine/k8s" }, "Workbench w: image must be pinned to a version tag or digest"],
        [{ runAsUser: 0 }, "Workbench w: runAsUser must be a positive integer (non-root) id; got 0"],
    ])("refuses %j before registering anything", async (args, message) => {
        expect(() => new Workbench("w", { namespace: "ns", ...args })).toThrow(PodlabConfigError);
        expect(() => new Workbench("w", { namespace: "ns", ...args })).toThrow(message);
        await settle();
        expect(ofType("kubernetes:core/v1:Pod")).toHaveLength(0);
    });

    it("passes every policy of the pack", async () => {
        const { pod } = await deploy();
        expect(allViolations([{ type: pod.type, name: pod.name, props: pod.inputs }])).toEqual([]);
    });
});
