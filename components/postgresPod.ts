import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ContainerSummary, ResourceSpec, childMetadata, container, emptyDir, execProbe, podLabels, podSpec } from "./podSpec";
import { assertDnsLabel, assertId, assertPinnedImage, assertPort } from "./validation";

/** Defaults of {@link PostgresPodArgs}, stated once. */
export const POSTGRES_DEFAULTS = {
    image: "docker.io/library/postgres:17.6-bookworm",
    port: 5432,
    /** The `postgres` user of the Debian-based official image. */
    runAsUser: 999,
    resources: {
        requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "256Mi" },
        limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "1Gi" },
    } as ResourceSpec,
} as const;

/**
 * emptyDir size limits. The data directory gets most of the container's 1Gi
 * ephemeral-storage limit (initdb writes about 40 MB, WAL grows to min_wal_size 80 MB).
 */
export const POSTGRES_VOLUME_SIZE_LIMITS = { data: "768Mi", run: "1Mi", tmp: "64Mi" } as const;

/** Where the data lives: a subdirectory of the emptyDir mount, as the image expects. */
export const POSTGRES_DATA_MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${POSTGRES_DATA_MOUNT}/pgdata`;
/** The key of the password in a postgres Secret. */
export const POSTGRES_PASSWORD_KEY = "password";

export interface PostgresPodArgs {
    /** Namespace for the pod and its Secret. */
    readonly namespace: pulumi.Input<string>;
    /** Kubernetes name of the pod (an RFC 1123 label). Default: the component's name. */
    readonly podName?: string;
    /** Image, pinned to a tag or digest. Default: `docker.io/library/postgres:17.6-bookworm`. */
    readonly image?: string;
    /** containerPort postgres listens on (passed as PGPORT). Default: 5432. */
    readonly port?: number;
    /** Numeric uid and gid of the image's postgres user. Default: 999. */
    readonly runAsUser?: number;
    /** cpu, memory and ephemeral-storage requests and limits. Default: 100m/256Mi/256Mi requested, 1/512Mi/1Gi limit. */
    readonly resources?: ResourceSpec;
    /** Extra labels on the pod and its Secret (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
    /**
     * Superuser password. Default: a 24-character `RandomPassword` owned by this
     * component. Either way it is kept as a Pulumi secret and reaches the pod
     * only through a Kubernetes Secret.
     */
    readonly password?: pulumi.Input<string>;
}

/**
 * One PostgreSQL pod, the course's port lesson: several of these all listen on
 * the same containerPort without conflict, because each pod has its own IP.
 */
export class PostgresPod extends pulumi.ComponentResource {
    /** The pod's name in the cluster. */
    public readonly podName: string;
    /** The pod's IP, as the cluster reports it once the pod is Ready. */
    public readonly podIp: pulumi.Output<string>;
    /** The Secret holding the password under key `password` (the name only). */
    public readonly secretName: pulumi.Output<string>;
    /** The port postgres listens on. */
    public readonly port: number;
    /** The pod's containers and their declared ports. */
    public readonly containers: ContainerSummary[];

    constructor(name: string, args: PostgresPodArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before registering anything, so a bad argument leaves nothing half-made.
        const podName = assertDnsLabel(`PostgresPod ${name}: podName`, args.podName ?? name);
        const image = assertPinnedImage(`PostgresPod ${name}: image`, args.image ?? POSTGRES_DEFAULTS.image);
        const port = assertPort(`PostgresPod ${name}: port`, args.port ?? POSTGRES_DEFAULTS.port);
        const uid = assertId(`PostgresPod ${name}: runAsUser`, args.runAsUser ?? POSTGRES_DEFAULTS.runAsUser);
        const resources = args.resources ?? POSTGRES_DEFAULTS.resources;
        const labels = podLabels("postgres", podName, "database", args.labels);
        const containerSpec = container({
            name: "postgres",
            image,
            uid,
            ports: [{ name: "postgres", containerPort: port }],
            resources,
            env: [
                { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: `${podName}-credentials`, key: POSTGRES_PASSWORD_KEY } } },
                { name: "PGDATA", value: PGDATA },
                { name: "PGPORT", value: String(port) },
            ],
            volumeMounts: [
                { name: "data", mountPath: POSTGRES_DATA_MOUNT },
                { name: "run", mountPath: "/var/run/postgresql" },
                { name: "tmp", mountPath: "/tmp" },
            ],
            readinessProbe: execProbe(pgIsReady(port), { initialDelaySeconds: 3, periodSeconds: 5 }),
            livenessProbe: execProbe(pgIsReady(port), { initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 }),
        });
        const spec = podSpec(podName, {
            containers: [containerSpec],
            volumes: [emptyDir("data", POSTGRES_VOLUME_SIZE_LIMITS.data), emptyDir("run", POSTGRES_VOLUME_SIZE_LIMITS.run), emptyDir("tmp", POSTGRES_VOLUME_SIZE_LIMITS.tmp)],
            fsGroup: uid,
        });

        super("podlab:index:PostgresPod", name, {}, opts);
        this.podName = podName;
        this.port = port;
        this.containers = [{ name: "postgres", image, ports: [port] }];

        const password =
            args.password ??
            new random.RandomPassword(`${name}-password`, { length: 24, special: false }, { parent: this }).result;

        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: childMetadata(`${podName}-credentials`, args.namespace, labels),
                type: "Opaque",
                stringData: { [POSTGRES_PASSWORD_KEY]: pulumi.secret(password) },
            },
            { parent: this, deleteBeforeReplace: true },
        );

        const pod = new k8s.core.v1.Pod(
            `${name}-pod`,
            {
                metadata: childMetadata(podName, args.namespace, labels),
                spec,
            },
            // A fixed pod name cannot exist twice, so a replacement must delete first.
            { parent: this, dependsOn: [secret], deleteBeforeReplace: true },
        );

        this.secretName = secret.metadata.name;
        this.podIp = pod.status.podIP;
        this.registerOutputs({ podIp: this.podIp, secretName: this.secretName });
    }
}

/** The readiness check of a postgres container listening on `port`. */
export function pgIsReady(port: number): string[] {
    return ["pg_isready", "--host=127.0.0.1", `--port=${port}`, "--username=postgres"];
}
