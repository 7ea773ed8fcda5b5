/**
 * Shared builders for every podlab pod: labels, security contexts, container
 * defaults and the pod spec itself. Components describe what differs (image,
 * ports, probes); everything the restricted Pod Security profile and a
 * well-behaved lab need is written once, here.
 */
import * as k8s from "@pulumi/kubernetes";
import { PodlabConfigError, assertCpu, assertMemory, assertUnique, objectWithKnownKeys } from "./validation";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;
type Volume = k8s.types.input.core.v1.Volume;

/** Labels every podlab object carries; the policy pack checks for them. */
export const PROJECT_LABELS = {
    "app.kubernetes.io/part-of": "podlab",
    "app.kubernetes.io/managed-by": "pulumi",
} as const;

/**
 * Pod Security admission labels: enforce, audit and warn at the `restricted`
 * level. Every namespace podlab makes carries them: each environment's
 * (environmentNamespace.ts) and the course check's canary (cli/course/canary.ts).
 */
export const RESTRICTED_POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
} as const;

/** The labels that mark a course's objects in the cluster (the course command sets them through `podlab:labels`). */
export const COURSE_LABEL = "podlab.dev/course";
export const LEARNER_LABEL = "podlab.dev/learner";

/** The resources podlab sizes for every container, by their Kubernetes names. */
export const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage"] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

/** One amount of each resource, as Kubernetes quantities ("250m", "128Mi"). */
export type ResourceAmounts = Record<ResourceName, string>;

/**
 * Requests and limits for one container. Ephemeral storage covers the
 * container's writable layer and logs, and its pod's emptyDirs count against
 * the sum of its containers' limits: without it one learner could fill the node's disk.
 */
export interface ResourceSpec {
    requests: ResourceAmounts;
    limits: ResourceAmounts;
}

/**
 * Requests and limits of one container, checked: each amount left out takes
 * its default, so adding `ephemeral-storage` to the defaults keeps older stack files valid.
 */
export function resolveResources(key: string, value: unknown, defaults: ResourceSpec): ResourceSpec {
    const r = objectWithKnownKeys(key, value, ["requests", "limits"]);
    const requests = objectWithKnownKeys(`${key}.requests`, r.requests, [...RESOURCE_NAMES]);
    const limits = objectWithKnownKeys(`${key}.limits`, r.limits, [...RESOURCE_NAMES]);
    const resolved: ResourceSpec = { requests: { ...defaults.requests }, limits: { ...defaults.limits } };
    for (const name of RESOURCE_NAMES) {
        const check = name === "cpu" ? assertCpu : assertMemory;
        const request = check(`${key}.requests.${name}`, requests[name] ?? defaults.requests[name]);
        const limit = check(`${key}.limits.${name}`, limits[name] ?? defaults.limits[name]);
        const size = (q: { millis: number } | { bytes: number }) => ("millis" in q ? q.millis : q.bytes);
        if (size(request) > size(limit)) {
            throw new PodlabConfigError(`${key}.requests.${name} ${request.text} exceeds ${key}.limits.${name} ${limit.text}`);
        }
        resolved.requests[name] = request.text;
        resolved.limits[name] = limit.text;
    }
    return resolved;
}

/** Requests and limits as a stack's config or a component's args give them: each amount left out takes its default ({@link resolveResources}). */
export interface ResourceSpecInput {
    requests?: Partial<ResourceAmounts>;
    limits?: Partial<ResourceAmounts>;
}

/** One container as the stack outputs describe it: what a learner needs to find it. */
export interface ContainerSummary {
    name: string;
    image: string;
    ports: number[];
}

/** A port a container declares. Protocol is always TCP in podlab. */
export interface PortSpec {
    name: string;
    containerPort: number;
}

/**
 * The labels of one object: the environment's own (`extra`, e.g. the course and
 * learner; validated by {@link assertLabels}), then the `app.kubernetes.io/*` ones,
 * which podlab owns and which therefore win.
 */
export function podLabels(app: string, instance: string, component: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
        ...extra,
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
        ...PROJECT_LABELS,
    };
}

/** Object metadata for a child of a pod-owning component. */
export function childMetadata(
    name: string,
    namespace: k8s.types.input.meta.v1.ObjectMeta["namespace"],
    labels: Record<string, string>,
): k8s.types.input.meta.v1.ObjectMeta {
    return { name, namespace, labels };
}

/**
 * A container security context the Pod Security `restricted` profile admits.
 * The uid is numeric so the kubelet can verify `runAsNonRoot` even for images
 * whose USER is a name (curlimages/curl) or root (postgres before its entrypoint drops).
 */
export function restrictedSecurityContext(uid: number, gid: number): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** What a component says about one container; the rest comes from {@link container}. */
export interface ContainerArgs {
    name: string;
    image: string;
    /** Numeric uid (and gid) the image's process runs as. */
    uid: number;
    ports?: PortSpec[];
    resources: ResourceSpec;
    command?: string[];
    env?: k8s.types.input.core.v1.EnvVar[];
    volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    readinessProbe: Probe;
    livenessProbe?: Probe;
}

/** A container with podlab's defaults: restricted security, resources, TCP ports, no hostPort. */
export function container(args: ContainerArgs): Container {
    return {
        name: args.name,
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        command: args.command,
        env: args.env,
        ports: (args.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: "TCP" })),
        resources: args.resources,
        securityContext: restrictedSecurityContext(args.uid, args.uid),
        volumeMounts: args.volumeMounts,
        readinessProbe: args.readinessProbe,
        livenessProbe: args.livenessProbe,
    };
}

/** A probe that runs a command inside the container. */
export function execProbe(command: string[], timing: { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number } = {}): Probe {
    return {
        exec: { command },
        initialDelaySeconds: timing.initialDelaySeconds ?? 2,
        periodSeconds: timing.periodSeconds ?? 5,
        timeoutSeconds: 3,
        failureThreshold: timing.failureThreshold ?? 3,
    };
}

/** An emptyDir volume with a size limit: the kubelet evicts the pod that writes past it, instead of the node's disk filling up. */
export function emptyDir(name: string, sizeLimit: string): Volume {
    return { name, emptyDir: { sizeLimit } };
}

/**
 * Containers of one pod share one network namespace, so no two may declare the
 * same containerPort and protocol. The API server only warns about this; podlab refuses.
 */
export function assertNoPortConflicts(podName: string, containers: ReadonlyArray<Container>): void {
    const entries: { key: string; value: string }[] = [];
    for (const c of containers) {
        for (const p of (c.ports ?? []) as k8s.types.input.core.v1.ContainerPort[]) {
            if (typeof p.containerPort !== "number") {
                throw new PodlabConfigError(`pod ${podName}: container ${c.name} declares a port that is not a plain number`);
            }
            if (p.hostPort !== undefined) {
                throw new PodlabConfigError(`pod ${podName}: container ${c.name} declares hostPort ${String(p.hostPort)}; podlab pods never use host ports`);
            }
            entries.push({ key: `container ${c.name}`, value: `${p.containerPort}/${String(p.protocol ?? "TCP")}` });
        }
    }
    try {
        assertUnique("containerPort", entries);
    } catch (e) {
        throw new PodlabConfigError(`pod ${podName}: ${(e as Error).message} (containers in one pod share one network namespace)`);
    }
}

/**
 * The pod spec every podlab pod uses: non-root with the given fsGroup, seccomp
 * RuntimeDefault, no service-account token, no service links, no host namespaces.
 */
export function podSpec(podName: string, args: { containers: Container[]; volumes?: Volume[]; fsGroup: number }): PodSpec {
    assertUnique(
        `container name in pod ${podName}:`,
        args.containers.map((c, i) => ({ key: `containers[${i}]`, value: String(c.name) })),
    );
    assertNoPortConflicts(podName, args.containers);
    return {
        containers: args.containers,
        volumes: args.volumes,
        securityContext: {
            runAsNonRoot: true,
            fsGroup: args.fsGroup,
            seccompProfile: { type: "RuntimeDefault" },
        },
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        hostNetwork: false,
        restartPolicy: "Always",
        terminationGracePeriodSeconds: 10,
    };
}
