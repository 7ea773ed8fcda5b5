import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nginxContainer, nginxSiteFiles, nginxVolumes } from "./nginx";
import { ContainerSummary, ResourceSpec, childMetadata, container, execProbe, podLabels, podSpec } from "./podSpec";
import { assertDnsLabel, assertId, assertIntInRange, assertPinnedImage, assertPort } from "./validation";

/** Defaults of {@link SidecarPodArgs}, stated once. */
export const SIDECAR_DEFAULTS = {
    /** The unprivileged nginx build runs as uid 101 and needs no root to bind a port above 1023. */
    nginxImage: "docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine",
    nginxPort: 8080,
    nginxUser: 101,
    /** curlimages/curl names its user (curl_user); uid 100 is that user. */
    curlImage: "docker.io/curlimages/curl:8.11.1",
    curlUser: 100,
    fetchIntervalSeconds: 5,
    nginxResources: {
        requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" },
        limits: { cpu: "250m", memory: "64Mi", "ephemeral-storage": "64Mi" },
    } as ResourceSpec,
    curlResources: {
        requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" },
        limits: { cpu: "100m", memory: "32Mi", "ephemeral-storage": "32Mi" },
    } as ResourceSpec,
} as const;

export interface SidecarPodArgs {
    /** Namespace for the pod and its ConfigMap. */
    readonly namespace: pulumi.Input<string>;
    /** Kubernetes name of the pod (an RFC 1123 label). Default: the component's name. */
    readonly podName?: string;
    /** nginx image, pinned. Default: `docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine`. */
    readonly nginxImage?: string;
    /** Port nginx serves on; the sidecar follows it. Default: 8080. */
    readonly nginxPort?: number;
    /** Numeric uid of the nginx image's user. Default: 101. */
    readonly nginxUser?: number;
    /** curl image for the sidecar, pinned. Default: `docker.io/curlimages/curl:8.11.1`. */
    readonly curlImage?: string;
    /** Numeric uid of the curl image's user. Default: 100. */
    readonly curlUser?: number;
    /** Seconds between the sidecar's fetches. Default: 5. */
    readonly fetchIntervalSeconds?: number;
    /**
     * A containerPort to declare on the sidecar container. Default: none. It exists
     * for the course's exercise: set it to the nginx port and podlab refuses the pod,
     * because both containers share one network namespace.
     */
    readonly sidecarPort?: number;
    /** nginx container resources (cpu/memory/ephemeral-storage). Default: 50m/32Mi/16Mi requested, 250m/64Mi/64Mi limit. */
    readonly nginxResources?: ResourceSpec;
    /** Sidecar container resources (cpu/memory/ephemeral-storage). Default: 10m/16Mi/8Mi requested, 100m/32Mi/32Mi limit. */
    readonly curlResources?: ResourceSpec;
    /** Extra labels on the pod and its ConfigMap (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * One pod, two containers, one network namespace: nginx serves a page and a
 * curl sidecar fetches it from `localhost`. The sidecar is Ready only while
 * that fetch succeeds, so a Ready pod proves the shared-namespace wiring.
 */
export class SidecarPod extends pulumi.ComponentResource {
    /** The pod's name in the cluster. */
    public readonly podName: string;
    /** The pod's IP, as the cluster reports it once the pod is Ready. */
    public readonly podIp: pulumi.Output<string>;
    /** The port nginx serves on inside the pod. */
    public readonly nginxPort: number;
    /** The URL the sidecar fetches: always localhost, always nginx's port. */
    public readonly sidecarTarget: string;
    /** The pod's containers and their declared ports. */
    public readonly containers: ContainerSummary[];

    constructor(name: string, args: SidecarPodArgs, opts?: pulumi.ComponentResourceOptions) {
        const d = SIDECAR_DEFAULTS;
        const podName = assertDnsLabel(`SidecarPod ${name}: podName`, args.podName ?? name);
        const nginxImage = assertPinnedImage(`SidecarPod ${name}: nginxImage`, args.nginxImage ?? d.nginxImage);
        const curlImage = assertPinnedImage(`SidecarPod ${name}: curlImage`, args.curlImage ?? d.curlImage);
        const nginxPort = assertPort(`SidecarPod ${name}: nginxPort`, args.nginxPort ?? d.nginxPort);
        const nginxUser = assertId(`SidecarPod ${name}: nginxUser`, args.nginxUser ?? d.nginxUser);
        const curlUser = assertId(`SidecarPod ${name}: curlUser`, args.curlUser ?? d.curlUser);
        const interval = assertIntInRange(`SidecarPod ${name}: fetchIntervalSeconds`, args.fetchIntervalSeconds ?? d.fetchIntervalSeconds, 1, 3600);
        const sidecarPorts = args.sidecarPort === undefined ? [] : [assertPort(`SidecarPod ${name}: sidecarPort`, args.sidecarPort)];
        const target = `http://localhost:${nginxPort}/`;
        const labels = podLabels("nginx-sidecar", podName, "web", args.labels);
        const nginxResources = args.nginxResources ?? d.nginxResources;
        const curlResources = args.curlResources ?? d.curlResources;
        const configMapName = `${podName}-nginx`;

        const nginx = nginxContainer({ image: nginxImage, uid: nginxUser, port: nginxPort, resources: nginxResources });
        const sidecar = container({
            name: "sidecar",
            image: curlImage,
            uid: curlUser,
            command: ["/bin/sh", "-c", SIDECAR_LOOP],
            ports: sidecarPorts.map((p) => ({ name: "sidecar", containerPort: p })),
            env: [
                { name: "TARGET_URL", value: target },
                { name: "INTERVAL_SECONDS", value: String(interval) },
            ],
            resources: curlResources,
            // Ready only while nginx answers over the pod's shared loopback.
            readinessProbe: execProbe(["curl", "--fail", "--silent", "--show-error", "--max-time", "2", "--output", "/dev/null", target]),
        });
        const spec = podSpec(podName, {
            containers: [nginx, sidecar],
            volumes: nginxVolumes(configMapName),
            fsGroup: nginxUser,
        });

        super("podlab:index:SidecarPod", name, {}, opts);
        this.podName = podName;
        this.nginxPort = nginxPort;
        this.sidecarTarget = target;
        this.containers = [
            { name: "nginx", image: nginxImage, ports: [nginxPort] },
            { name: "sidecar", image: curlImage, ports: sidecarPorts },
        ];

        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-nginx`,
            {
                metadata: childMetadata(configMapName, args.namespace, labels),
                data: nginxSiteFiles(podName, nginxPort),
            },
            { parent: this, deleteBeforeReplace: true },
        );
        const pod = new k8s.core.v1.Pod(
            `${name}-pod`,
            { metadata: childMetadata(podName, args.namespace, labels), spec },
            // A fixed pod name cannot exist twice, so a replacement must delete first.
            { parent: this, dependsOn: [configMap], deleteBeforeReplace: true },
        );

        this.podIp = pod.status.podIP;
        this.registerOutputs({ podIp: this.podIp });
    }
}

/**
 * The sidecar's main loop: fetch nginx over localhost, log each result, sleep.
 * It runs until the pod stops (a fixed `sleep 300` would end the lesson after five minutes).
 */
const SIDECAR_LOOP = [
    "trap 'exit 0' TERM INT",
    "while true; do",
    '  if out=$(curl --fail --silent --show-error --max-time 2 --output /dev/null --write-out "%{http_code} in %{time_total}s" "$TARGET_URL" 2>&1); then',
    '    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) GET $TARGET_URL -> $out"',
    "  else",
    '    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) GET $TARGET_URL failed: $out"',
    "  fi",
    '  sleep "$INTERVAL_SECONDS" & wait $!',
    "done",
].join("\n");

