/**
 * The learner's workbench: one pod in the learner's own namespace with a shell,
 * kubectl, curl and psql, where kubectl acts as the learner's own
 * ServiceAccount. It is what the browser's terminal opens (`course serve`), and
 * where a learner following the exercise writes `postgres-pod.yaml` and runs
 * `kubectl apply -f` on it.
 *
 * The pod holds no credential of its own: no ServiceAccount token is mounted.
 * kubectl reads the learner's kubeconfig from a Secret that the course command
 * writes when it mints the learner's credential (cli/course/workbenchCredential.ts),
 * so the token never passes through Pulumi's state; when `course credentials`
 * rotates the token, the Secret is rewritten and new shells get the new one.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResourceSpec, childMetadata, container, emptyDir, execProbe, podLabels, podSpec } from "./podSpec";
import { assertDnsLabel, assertId, assertPinnedImage } from "./validation";

/** Defaults of {@link WorkbenchArgs}, stated once. */
export const WORKBENCH_DEFAULTS = {
    /**
     * Off the lab: kubectl 1.32.13 (the lab's own version), bash, curl and jq on
     * Alpine (alpine-docker/k8s). No public image with a maintained release line
     * ships kubectl, curl and psql together; this one lacks psql, which the
     * lesson's commands never need in the workbench (psql runs inside the
     * learner's postgres pods). The lab builds its own with all three
     * (lab/images, `podlab.local/workbench`).
     */
    image: "docker.io/alpine/k8s:1.32.13",
    /** A uid no image gives a special meaning; the lab image names it `learner`. */
    runAsUser: 1000,
    /** kubectl is a Go program: ~30-60 MiB per running command, a burst of cpu at start. */
    resources: {
        requests: { cpu: "20m", memory: "64Mi", "ephemeral-storage": "64Mi" },
        limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "256Mi" },
    } as ResourceSpec,
} as const;

/** The workbench pod's name in every learner's namespace: what the terminal opens. */
export const WORKBENCH_POD_NAME = "workbench";
/** The workbench's one container. */
export const WORKBENCH_CONTAINER = "workbench";
/**
 * What a terminal runs in the workbench: a login shell, bash where the image has
 * it (line editing, history), else sh. Its working directory is the learner's home.
 */
export const WORKBENCH_SHELL = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l"];

/**
 * The label that marks the workbench pod, for the rights only it has (reaching
 * the API server through the network fence). A learner may not put it on a pod
 * of their own: the fence's admission rules reserve it.
 */
export const WORKBENCH_LABEL = "podlab.dev/workbench";
export const WORKBENCH_SELECTOR: Readonly<Record<string, string>> = { [WORKBENCH_LABEL]: "true" };

/** The Secret holding the learner's kubeconfig for the workbench, and its key. Written by the course, never by Pulumi. */
export const WORKBENCH_KUBECONFIG_SECRET = "workbench-kubeconfig";
export const WORKBENCH_KUBECONFIG_KEY = "config";
/** Where the workbench finds that kubeconfig (KUBECONFIG). */
export const WORKBENCH_KUBECONFIG_DIR = "/var/run/podlab/kubeconfig";
export const WORKBENCH_KUBECONFIG = `${WORKBENCH_KUBECONFIG_DIR}/${WORKBENCH_KUBECONFIG_KEY}`;
/** The learner's writable home (and the shell's working directory): their YAML files and kubectl's cache. */
export const WORKBENCH_HOME = "/home/learner";

/**
 * Size limits of the writable directories. The root filesystem is read-only;
 * together they stay within the container's ephemeral-storage limit.
 */
const VOLUME_SIZE_LIMITS = { home: "64Mi", tmp: "32Mi" } as const;

/**
 * The annotation that tells the Kubernetes provider not to wait for the pod to
 * be Ready: it is Ready only once its kubeconfig is there, which the course
 * writes after `pulumi up` (the credential needs the namespace and the
 * ServiceAccount first). The course waits for Ready itself.
 */
const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" } as const;

export interface WorkbenchArgs {
    /** The learner's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** Image with sh, kubectl (and curl, psql), pinned. Default: `docker.io/alpine/k8s:1.32.13` (no psql; the lab's has it). */
    readonly image?: string;
    /** Numeric non-root uid (and gid) the shell runs as. Default: 1000. */
    readonly runAsUser?: number;
    /** cpu, memory and ephemeral-storage. Default: 20m/64Mi/64Mi requested, 500m/256Mi/256Mi limit. */
    readonly resources?: ResourceSpec;
    /** Extra labels on the pod (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * One learner's workbench pod, named {@link WORKBENCH_POD_NAME}. Pod Security
 * restricted, a read-only root with size-limited emptyDirs for HOME and /tmp,
 * no ServiceAccount token; Ready once its kubeconfig is mounted and kubectl is there.
 */
export class Workbench extends pulumi.ComponentResource {
    /** The pod's name in the cluster. */
    public readonly podName: string;
    /** The container a terminal execs into. */
    public readonly containerName: string;
    /** The command a terminal runs there. */
    public readonly shell: string[];
    /** The image the workbench runs. */
    public readonly image: string;

    constructor(name: string, args: WorkbenchArgs, opts?: pulumi.ComponentResourceOptions) {
        const image = assertPinnedImage(`Workbench ${name}: image`, args.image ?? WORKBENCH_DEFAULTS.image);
        const uid = assertId(`Workbench ${name}: runAsUser`, args.runAsUser ?? WORKBENCH_DEFAULTS.runAsUser);
        assertDnsLabel(`Workbench ${name}: name`, name);
        const spec = workbenchPodSpec({ image, uid, resources: args.resources ?? WORKBENCH_DEFAULTS.resources });

        super("podlab:index:Workbench", name, {}, opts);
        this.podName = WORKBENCH_POD_NAME;
        this.containerName = WORKBENCH_CONTAINER;
        this.shell = [...WORKBENCH_SHELL];
        this.image = image;
        const labels = { ...podLabels("workbench", WORKBENCH_POD_NAME, "workbench", args.labels), ...WORKBENCH_SELECTOR };
        new k8s.core.v1.Pod(
            `${name}-pod`,
            { metadata: { ...childMetadata(WORKBENCH_POD_NAME, args.namespace, labels), annotations: { ...SKIP_AWAIT } }, spec },
            // A fixed pod name cannot exist twice, so a replacement must delete first.
            { parent: this, deleteBeforeReplace: true },
        );
        this.registerOutputs({ podName: this.podName, containerName: this.containerName });
    }
}

/** The workbench's pod spec: exported for the tests and the policy pack's checks. */
export function workbenchPodSpec(a: { image: string; uid: number; resources: ResourceSpec }): k8s.types.input.core.v1.PodSpec {
    const main = container({
        name: WORKBENCH_CONTAINER,
        image: a.image,
        uid: a.uid,
        // Stays up doing nothing; every terminal is an exec of its own. `sleep infinity` is not in every sh.
        command: ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"],
        resources: a.resources,
        env: [
            { name: "HOME", value: WORKBENCH_HOME },
            { name: "KUBECONFIG", value: WORKBENCH_KUBECONFIG },
        ],
        volumeMounts: [
            { name: "kubeconfig", mountPath: WORKBENCH_KUBECONFIG_DIR, readOnly: true },
            { name: "home", mountPath: WORKBENCH_HOME },
            { name: "tmp", mountPath: "/tmp" },
        ],
        // Ready when a terminal would work: the learner's kubeconfig is mounted and kubectl is on PATH.
        readinessProbe: execProbe(["/bin/sh", "-c", 'test -s "$KUBECONFIG" && command -v kubectl >/dev/null'], { initialDelaySeconds: 1, periodSeconds: 5 }),
    });
    return podSpec(WORKBENCH_POD_NAME, {
        containers: [{ ...main, workingDir: WORKBENCH_HOME }],
        volumes: [
            // Optional: the pod starts before the course has written the Secret; the kubelet fills it in when it appears.
            { name: "kubeconfig", secret: { secretName: WORKBENCH_KUBECONFIG_SECRET, optional: true, defaultMode: 0o440 } },
            emptyDir("home", VOLUME_SIZE_LIMITS.home),
            emptyDir("tmp", VOLUME_SIZE_LIMITS.tmp),
        ],
        // fsGroup makes the 0440 kubeconfig readable by the shell's group.
        fsGroup: a.uid,
    });
}
