import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nginxContainer, nginxSiteFiles, nginxVolumes } from "./nginx";
import { ContainerSummary, ResourceSpec, ResourceSpecInput, childMetadata, container, execProbe, podLabels, podSpec, resolveResources } from "./podSpec";
import { PodlabConfigError, assertDnsLabel, assertId, assertIntInRange, assertPinnedImage, assertPort, objectWithKnownKeys } from "./validation";

/**
 * Defaults of a sidecar pod's settings, stated once: every `podlab:sidecar` key
 * of a stack's config, and every {@link SidecarPodArgs} field of the same name.
 */
export const SIDECAR_DEFAULTS = {
    /** The pod's name, when the stack's config names none (a SidecarPod's own is its component name). */
    name: "sidecar",
    /** The unprivileged nginx build runs as uid 101 and needs no root to bind a port above 1023. */
    nginxImage: "docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine",
    nginxPort: 8080,
    nginxUser: 101,
    /** curlimages/curl names its user (curl_user); uid 100 is that user. */
    curlImage: "docker.io/curlimages/curl:8.11.1",
    curlUser: 100,
    fetchIntervalSeconds: 5,
    resources: {
        nginx: {
            requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" },
            limits: { cpu: "250m", memory: "64Mi", "ephemeral-storage": "64Mi" },
        } as ResourceSpec,
        curl: {
            requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" },
            limits: { cpu: "100m", memory: "32Mi", "ephemeral-storage": "32Mi" },
        } as ResourceSpec,
    },
};

/** The settings a sidecar pod may be given (`podlab:sidecar`'s keys): the defaults' and sidecarPort, which has none. */
export const SIDECAR_SETTING_KEYS: readonly string[] = [...Object.keys(SIDECAR_DEFAULTS), "sidecarPort"];

/** A sidecar pod's settings, checked and with every default filled in (`podlab:sidecar` but its name). */
export interface SidecarSettings {
    nginxImage: string;
    nginxPort: number;
    nginxUser: number;
    curlImage: string;
    curlUser: number;
    fetchIntervalSeconds: number;
    sidecarPort?: number;
    resources: { nginx: ResourceSpec; curl: ResourceSpec };
}

/**
 * Checks a sidecar pod's settings and fills in their defaults: the one check of
 * `podlab:sidecar` (stackConfig.ts, before anything is registered) and of a
 * SidecarPod's args. Throws a {@link PodlabConfigError} naming the setting as
 * the caller calls it (`key`) and the bad value.
 */
export function resolveSidecarSettings(given: { readonly [K in keyof SidecarSettings]?: unknown }, key: (setting: string) => string): SidecarSettings {
    const d = SIDECAR_DEFAULTS;
    const nginxPort = assertPort(key("nginxPort"), given.nginxPort ?? d.nginxPort);
    const sidecarPort = given.sidecarPort === undefined ? undefined : assertPort(key("sidecarPort"), given.sidecarPort);
    if (sidecarPort === nginxPort) {
        throw new PodlabConfigError(
            `${key("sidecarPort")} ${sidecarPort} is also ${key("nginxPort")}: the nginx and sidecar containers ` +
                `share one network namespace, so two containers of one pod cannot use the same containerPort`,
        );
    }
    const resources = objectWithKnownKeys(key("resources"), given.resources, Object.keys(d.resources));
    return {
        nginxImage: assertPinnedImage(key("nginxImage"), given.nginxImage ?? d.nginxImage),
        nginxPort,
        nginxUser: assertId(key("nginxUser"), given.nginxUser ?? d.nginxUser),
        curlImage: assertPinnedImage(key("curlImage"), given.curlImage ?? d.curlImage),
        curlUser: assertId(key("curlUser"), given.curlUser ?? d.curlUser),
        fetchIntervalSeconds: assertIntInRange(key("fetchIntervalSeconds"), given.fetchIntervalSeconds ?? d.fetchIntervalSeconds, 1, 3600),
        sidecarPort,
        resources: {
            nginx: resolveResources(key("resources.nginx"), resources.nginx, d.resources.nginx),
            curl: resolveResources(key("resources.curl"), resources.curl, d.resources.curl),
        },
    };
}

/** A SidecarPod's arguments: the settings of `podlab:sidecar` (same names, same defaults) and where the pod goes. */
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
    /**
     * Each container's requests and limits (cpu/memory/ephemeral-storage); an amount left out takes its default.
     * Default: nginx 50m/32Mi/16Mi requested, 250m/64Mi/64Mi limit; curl 10m/16Mi/8Mi requested, 100m/32Mi/32Mi limit.
     */
    readonly resources?: { readonly nginx?: ResourceSpecInput; readonly curl?: ResourceSpecInput };
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
        const podName = assertDnsLabel(`SidecarPod ${name}: podName`, args.podName ?? name);
        const { nginxImage, nginxPort, nginxUser, curlImage, curlUser, fetchIntervalSeconds, sidecarPort, resources } = resolveSidecarSettings(
            args,
            (setting) => `SidecarPod ${name}: ${setting}`,
        );
        const sidecarPorts = sidecarPort === undefined ? [] : [sidecarPort];
        const target = `http://localhost:${nginxPort}/`;
        const labels = podLabels("nginx-sidecar", podName, "web", args.labels);
        const configMapName = `${podName}-nginx`;

        const nginx = nginxContainer({ image: nginxImage, uid: nginxUser, port: nginxPort, resources: resources.nginx });
        const sidecar = container({
            name: "sidecar",
            image: curlImage,
            uid: curlUser,
            command: ["/bin/sh", "-c", SIDECAR_LOOP],
            ports: sidecarPorts.map((p) => ({ name: "sidecar", containerPort: p })),
            env: [
                { name: "TARGET_URL", value: target },
                { name: "INTERVAL_SECONDS", value: String(fetchIntervalSeconds) },
            ],
            resources: resources.curl,
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

