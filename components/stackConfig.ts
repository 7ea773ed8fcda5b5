/**
 * Stack configuration: every knob podlab reads, its default, and the checks
 * that run before a single resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { ENVIRONMENT_QUOTA_DEFAULTS, MAX_EXTRA_PODS } from "./environmentQuota";
import { NetworkConfig, resolveNetworkConfig } from "./networkConfig";
import { RESOURCE_NAMES, ResourceSpec } from "./podSpec";
import { POSTGRES_DEFAULTS } from "./postgresPod";
import { SIDECAR_DEFAULTS } from "./sidecarPod";
import {
    PodlabConfigError,
    assertCpu,
    assertDnsLabel,
    assertId,
    assertIntInRange,
    assertLabels,
    assertMemory,
    assertPinnedImage,
    assertPort,
    assertUnique,
    objectWithKnownKeys,
} from "./validation";

/** More postgres pods than this is a typo, not a lab. */
export const MAX_POSTGRES_COUNT = 100;

/** The validated configuration of one podlab stack. */
export interface StackConfig {
    namespace: string;
    /** Extra labels on every object of the environment (the course command sets the course and learner). */
    labels: Record<string, string>;
    quota: { extraPods: number };
    /** What the network fence needs to know about the cluster (networkConfig.ts). */
    network: NetworkConfig;
    postgres: {
        names: string[];
        image: string;
        port: number;
        runAsUser: number;
        resources: ResourceSpec;
    };
    sidecar: {
        name: string;
        nginxImage: string;
        nginxPort: number;
        nginxUser: number;
        curlImage: string;
        curlUser: number;
        fetchIntervalSeconds: number;
        sidecarPort?: number;
        nginxResources: ResourceSpec;
        curlResources: ResourceSpec;
    };
}

/** The config values as the stack holds them, before validation. */
export interface RawStackConfig {
    namespace?: unknown;
    labels?: unknown;
    quota?: unknown;
    network?: unknown;
    postgres?: unknown;
    sidecar?: unknown;
}

/** Defaults of every key under `podlab:postgres`, as written in Pulumi.dev.yaml. */
export const POSTGRES_CONFIG_DEFAULTS = {
    count: 2,
    baseName: "postgres",
    image: POSTGRES_DEFAULTS.image,
    port: POSTGRES_DEFAULTS.port,
    runAsUser: POSTGRES_DEFAULTS.runAsUser,
    resources: POSTGRES_DEFAULTS.resources,
};

/** Defaults of every key under `podlab:sidecar`, as written in Pulumi.dev.yaml. */
export const SIDECAR_CONFIG_DEFAULTS = {
    name: "sidecar",
    nginxImage: SIDECAR_DEFAULTS.nginxImage,
    nginxPort: SIDECAR_DEFAULTS.nginxPort,
    nginxUser: SIDECAR_DEFAULTS.nginxUser,
    curlImage: SIDECAR_DEFAULTS.curlImage,
    curlUser: SIDECAR_DEFAULTS.curlUser,
    fetchIntervalSeconds: SIDECAR_DEFAULTS.fetchIntervalSeconds,
    resources: { nginx: SIDECAR_DEFAULTS.nginxResources, curl: SIDECAR_DEFAULTS.curlResources },
};

/** Defaults of every key under `podlab:quota`, as written in Pulumi.dev.yaml. */
export const QUOTA_CONFIG_DEFAULTS = {
    extraPods: ENVIRONMENT_QUOTA_DEFAULTS.extraPods,
};

/** Every `podlab:*` key a stack may set: a key not listed here is a typo. */
export const STACK_CONFIG_KEYS = ["namespace", "labels", "quota", "network", "postgres", "sidecar", "postgresPassword"] as const;

/** Optional `podlab:sidecar` keys that have no default. */
const SIDECAR_OPTIONAL_KEYS = ["sidecarPort"];

/** The namespace a stack gets unless `podlab:namespace` says otherwise: `<project>-<stack>`. */
export function defaultNamespace(project: string, stack: string): string {
    const name = `${project}-${stack}`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "")
        .slice(0, 63)
        .replace(/-+$/, "");
    if (name.length === 0) {
        throw new PodlabConfigError(`cannot derive a namespace from project ${JSON.stringify(project)} and stack ${JSON.stringify(stack)}; set podlab:namespace`);
    }
    return name;
}

/** The course's naming: `postgres`, `postgres2`, `postgres3`, ... */
export function postgresPodNames(baseName: string, count: number): string[] {
    return Array.from({ length: count }, (_, i) => (i === 0 ? baseName : `${baseName}${i + 1}`));
}

/** Validates raw config against the defaults; throws a {@link PodlabConfigError} naming the first bad key and value. */
export function resolveStackConfig(raw: RawStackConfig, ctx: { project: string; stack: string }): StackConfig {
    const namespace =
        raw.namespace === undefined ? defaultNamespace(ctx.project, ctx.stack) : assertDnsLabel("podlab:namespace", raw.namespace);

    const labels = assertLabels("podlab:labels", raw.labels);
    const quota = objectWithKnownKeys("podlab:quota", raw.quota, Object.keys(QUOTA_CONFIG_DEFAULTS));
    const extraPods = assertIntInRange("podlab:quota.extraPods", quota.extraPods ?? QUOTA_CONFIG_DEFAULTS.extraPods, 0, MAX_EXTRA_PODS);

    const pg = objectWithKnownKeys("podlab:postgres", raw.postgres, Object.keys(POSTGRES_CONFIG_DEFAULTS));
    const pgd = POSTGRES_CONFIG_DEFAULTS;
    const count = assertIntInRange("podlab:postgres.count", pg.count ?? pgd.count, 1, MAX_POSTGRES_COUNT);
    const baseName = assertDnsLabel("podlab:postgres.baseName", pg.baseName ?? pgd.baseName);
    const names = postgresPodNames(baseName, count).map((n, i) => assertDnsLabel(`podlab:postgres pod name #${i + 1}`, n));

    const sc = objectWithKnownKeys("podlab:sidecar", raw.sidecar, [...Object.keys(SIDECAR_CONFIG_DEFAULTS), ...SIDECAR_OPTIONAL_KEYS]);
    const scd = SIDECAR_CONFIG_DEFAULTS;
    const sidecarName = assertDnsLabel("podlab:sidecar.name", sc.name ?? scd.name);
    const nginxPort = assertPort("podlab:sidecar.nginxPort", sc.nginxPort ?? scd.nginxPort);
    const sidecarPort = sc.sidecarPort === undefined ? undefined : assertPort("podlab:sidecar.sidecarPort", sc.sidecarPort);
    if (sidecarPort === nginxPort) {
        throw new PodlabConfigError(
            `podlab:sidecar.sidecarPort ${sidecarPort} is also podlab:sidecar.nginxPort: the nginx and sidecar containers ` +
                `share one network namespace, so two containers of one pod cannot use the same containerPort`,
        );
    }
    const sidecarResources = objectWithKnownKeys("podlab:sidecar.resources", sc.resources, ["nginx", "curl"]);

    assertUnique("pod name", [
        ...names.map((n, i) => ({ key: i === 0 ? "podlab:postgres.baseName" : `podlab:postgres pod #${i + 1}`, value: n })),
        { key: "podlab:sidecar.name", value: sidecarName },
    ]);

    return {
        namespace,
        labels,
        quota: { extraPods },
        network: resolveNetworkConfig("podlab:network", raw.network),
        postgres: {
            names,
            image: assertPinnedImage("podlab:postgres.image", pg.image ?? pgd.image),
            port: assertPort("podlab:postgres.port", pg.port ?? pgd.port),
            runAsUser: assertId("podlab:postgres.runAsUser", pg.runAsUser ?? pgd.runAsUser),
            resources: resolveResources("podlab:postgres.resources", pg.resources, pgd.resources),
        },
        sidecar: {
            name: sidecarName,
            nginxImage: assertPinnedImage("podlab:sidecar.nginxImage", sc.nginxImage ?? scd.nginxImage),
            nginxPort,
            nginxUser: assertId("podlab:sidecar.nginxUser", sc.nginxUser ?? scd.nginxUser),
            curlImage: assertPinnedImage("podlab:sidecar.curlImage", sc.curlImage ?? scd.curlImage),
            curlUser: assertId("podlab:sidecar.curlUser", sc.curlUser ?? scd.curlUser),
            fetchIntervalSeconds: assertIntInRange("podlab:sidecar.fetchIntervalSeconds", sc.fetchIntervalSeconds ?? scd.fetchIntervalSeconds, 1, 3600),
            sidecarPort,
            nginxResources: resolveResources("podlab:sidecar.resources.nginx", sidecarResources.nginx, scd.resources.nginx),
            curlResources: resolveResources("podlab:sidecar.resources.curl", sidecarResources.curl, scd.resources.curl),
        },
    };
}

/** Reads `podlab:*` from the current stack and validates it. */
export function loadStackConfig(): { config: StackConfig; postgresPassword?: pulumi.Output<string> } {
    const cfg = new pulumi.Config("podlab");
    const config = resolveStackConfig(
        {
            namespace: cfg.get("namespace"),
            labels: cfg.getObject("labels"),
            quota: cfg.getObject("quota"),
            network: cfg.getObject("network"),
            postgres: cfg.getObject("postgres"),
            sidecar: cfg.getObject("sidecar"),
        },
        { project: pulumi.getProject(), stack: pulumi.getStack() },
    );
    return { config, postgresPassword: cfg.getSecret("postgresPassword") };
}

/**
 * Requests and limits of one container: each amount the config leaves out takes
 * its default, so adding `ephemeral-storage` to the defaults keeps older stack files valid.
 */
function resolveResources(key: string, value: unknown, defaults: ResourceSpec): ResourceSpec {
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
