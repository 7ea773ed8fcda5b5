/**
 * Stack configuration: every knob podlab reads, its default, and the checks
 * that run before a single resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { FENCE_SCOPES, FenceScope } from "./admissionFence";
import { ENVIRONMENT_QUOTA_DEFAULTS, MAX_EXTRA_PODS } from "./environmentQuota";
import { NetworkConfig, resolveNetworkConfig } from "./networkConfig";
import { COURSE_LABEL, ResourceSpec, resolveResources } from "./podSpec";
import { POSTGRES_DEFAULTS } from "./postgresPod";
import { SIDECAR_DEFAULTS, SIDECAR_SETTING_KEYS, SidecarSettings, resolveSidecarSettings } from "./sidecarPod";
import { WORKBENCH_DEFAULTS } from "./workbench";
import {
    PodlabConfigError,
    assertDnsLabel,
    assertId,
    assertIntInRange,
    assertLabels,
    assertPinnedImage,
    assertPort,
    assertUnique,
    objectWithKnownKeys,
} from "./validation";

/** More postgres pods than this is a typo, not a lab. */
export const MAX_POSTGRES_COUNT = 100;

/**
 * What an environment is: `environment`, podlab makes the lesson's pods and the
 * learner explores them; `exercise`, podlab makes only the fenced namespace and
 * the workbench, and the learner makes the pods by following the lesson's steps.
 */
export const LESSON_MODES = ["environment", "exercise"] as const;
export type LessonMode = (typeof LESSON_MODES)[number];

/** The validated configuration of one podlab stack. */
export interface StackConfig {
    namespace: string;
    mode: LessonMode;
    /** Extra labels on every object of the environment (the course command sets the course and learner). */
    labels: Record<string, string>;
    /** Which admission fence covers the environment: the stack's own (`stack`) or its course's (`course`). */
    fence: FenceScope;
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
    /** The sidecar pod: its name and its settings, in the shape of `podlab:sidecar` and of SidecarPodArgs. */
    sidecar: { name: string } & SidecarSettings;
    workbench: {
        enabled: boolean;
        image: string;
        runAsUser: number;
        resources: ResourceSpec;
        /** The API server as the workbench's kubectl reaches it from inside a pod; undefined: the course uses the admin kubeconfig's server. */
        apiServer?: string;
    };
}

/** The config values as the stack holds them, before validation. */
export interface RawStackConfig {
    namespace?: unknown;
    mode?: unknown;
    labels?: unknown;
    fence?: unknown;
    quota?: unknown;
    network?: unknown;
    postgres?: unknown;
    sidecar?: unknown;
    workbench?: unknown;
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

/** Defaults of every key under `podlab:quota`, as written in Pulumi.dev.yaml. */
export const QUOTA_CONFIG_DEFAULTS = {
    extraPods: ENVIRONMENT_QUOTA_DEFAULTS.extraPods,
};

/** Defaults of every key under `podlab:workbench`, as written in Pulumi.dev.yaml. Off unless a stack (or the course) turns it on. */
export const WORKBENCH_CONFIG_DEFAULTS = {
    enabled: false,
    image: WORKBENCH_DEFAULTS.image,
    runAsUser: WORKBENCH_DEFAULTS.runAsUser,
    resources: WORKBENCH_DEFAULTS.resources,
};

/** The default of `podlab:mode`. */
export const DEFAULT_MODE: LessonMode = "environment";

/** The admission fence a stack gets unless `podlab:fence` says otherwise: its own. */
export const DEFAULT_FENCE: FenceScope = "stack";

/** Every `podlab:*` key a stack may set: a key not listed here is a typo. */
export const STACK_CONFIG_KEYS = ["namespace", "mode", "labels", "fence", "quota", "network", "postgres", "sidecar", "workbench", "postgresPassword"] as const;

/** Optional `podlab:workbench` keys that have no default. */
const WORKBENCH_OPTIONAL_KEYS = ["apiServer"];

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

    const mode = assertMode("podlab:mode", raw.mode ?? DEFAULT_MODE);
    const labels = assertLabels("podlab:labels", raw.labels);
    const fence = resolveFence(raw.fence, labels);
    const quota = objectWithKnownKeys("podlab:quota", raw.quota, Object.keys(QUOTA_CONFIG_DEFAULTS));
    const extraPods = assertIntInRange("podlab:quota.extraPods", quota.extraPods ?? QUOTA_CONFIG_DEFAULTS.extraPods, 0, MAX_EXTRA_PODS);

    const pg = objectWithKnownKeys("podlab:postgres", raw.postgres, Object.keys(POSTGRES_CONFIG_DEFAULTS));
    const pgd = POSTGRES_CONFIG_DEFAULTS;
    const count = assertIntInRange("podlab:postgres.count", pg.count ?? pgd.count, 1, MAX_POSTGRES_COUNT);
    const baseName = assertDnsLabel("podlab:postgres.baseName", pg.baseName ?? pgd.baseName);
    const names = postgresPodNames(baseName, count).map((n, i) => assertDnsLabel(`podlab:postgres pod name #${i + 1}`, n));

    // The sidecar pod's settings are checked by the component's own check, under their config keys.
    const sc = objectWithKnownKeys("podlab:sidecar", raw.sidecar, [...SIDECAR_SETTING_KEYS]);
    const sidecarName = assertDnsLabel("podlab:sidecar.name", sc.name ?? SIDECAR_DEFAULTS.name);
    const sidecar = resolveSidecarSettings(sc, (setting) => `podlab:sidecar.${setting}`);

    assertUnique("pod name", [
        ...names.map((n, i) => ({ key: i === 0 ? "podlab:postgres.baseName" : `podlab:postgres pod #${i + 1}`, value: n })),
        { key: "podlab:sidecar.name", value: sidecarName },
    ]);

    const wb = objectWithKnownKeys("podlab:workbench", raw.workbench, [...Object.keys(WORKBENCH_CONFIG_DEFAULTS), ...WORKBENCH_OPTIONAL_KEYS]);
    const wbd = WORKBENCH_CONFIG_DEFAULTS;
    const workbenchEnabled = wb.enabled ?? wbd.enabled;
    if (typeof workbenchEnabled !== "boolean") {
        throw new PodlabConfigError(`podlab:workbench.enabled must be true or false; got ${JSON.stringify(workbenchEnabled)}`);
    }
    if (mode === "exercise" && !workbenchEnabled) {
        throw new PodlabConfigError("podlab:mode exercise needs podlab:workbench.enabled true: the learner makes the lesson's pods from the workbench");
    }
    const network = resolveNetworkConfig("podlab:network", raw.network);
    const workbenchApiServer = wb.apiServer === undefined ? network.apiServer?.url : assertApiServerUrl("podlab:workbench.apiServer", wb.apiServer);
    if (workbenchEnabled && network.apiServer === undefined) {
        // Without it the workbench's kubectl has no address, and the network fence no allowance: every command would time out.
        throw new PodlabConfigError(
            "podlab:workbench.enabled true needs podlab:network.apiServer.url, the API server's https URL as pods reach it " +
                "(such as https://10.0.0.1:6443): the workbench's kubectl uses it and the network fence lets the workbench through to it only. " +
                "A course takes it from PODLAB_API_SERVER_FROM_PODS (lab/env sets it on the lab); a course in environment mode may instead turn the workbench off (config: {workbench: {enabled: false}})",
        );
    }

    return {
        namespace,
        mode,
        labels,
        fence,
        quota: { extraPods },
        network,
        postgres: {
            names,
            image: assertPinnedImage("podlab:postgres.image", pg.image ?? pgd.image),
            port: assertPort("podlab:postgres.port", pg.port ?? pgd.port),
            runAsUser: assertId("podlab:postgres.runAsUser", pg.runAsUser ?? pgd.runAsUser),
            resources: resolveResources("podlab:postgres.resources", pg.resources, pgd.resources),
        },
        sidecar: { name: sidecarName, ...sidecar },
        workbench: {
            enabled: workbenchEnabled,
            image: assertPinnedImage("podlab:workbench.image", wb.image ?? wbd.image),
            runAsUser: assertId("podlab:workbench.runAsUser", wb.runAsUser ?? wbd.runAsUser),
            resources: resolveResources("podlab:workbench.resources", wb.resources, wbd.resources),
            // How the workbench's kubectl reaches the API server: its own key, else the network's (one fact, set once on the lab).
            apiServer: workbenchApiServer,
        },
    };
}

function assertMode(key: string, value: unknown): LessonMode {
    if (!(LESSON_MODES as readonly unknown[]).includes(value)) {
        throw new PodlabConfigError(`${key} must be one of ${LESSON_MODES.join(", ")}; got ${JSON.stringify(value)}`);
    }
    return value as LessonMode;
}

/** An https URL with a host and nothing after it but an optional port (what a kubeconfig's `server` holds). */
function assertApiServerUrl(key: string, value: unknown): string {
    let url: URL | undefined;
    try {
        url = typeof value === "string" ? new URL(value) : undefined;
    } catch {
        url = undefined;
    }
    if (url === undefined || url.protocol !== "https:" || url.hostname === "" || url.username !== "" || url.search !== "" || url.hash !== "" || !["", "/"].includes(url.pathname)) {
        throw new PodlabConfigError(`${key} must be the API server's https URL as pods reach it, such as https://10.245.0.1:6443; got ${JSON.stringify(value)}`);
    }
    return `${url.protocol}//${url.host}`;
}

/**
 * Every `podlab:*` key must be one podlab reads: `pulumi.Config` would simply
 * never ask for `podlab:postgress`, and the stack would come up with the defaults.
 */
export function assertKnownStackConfigKeys(keys: ReadonlyArray<string>): void {
    const known: ReadonlyArray<string> = STACK_CONFIG_KEYS;
    for (const key of keys) {
        if (!known.includes(key)) {
            const near = known.find((k) => editDistance(k, key) <= 2);
            throw new PodlabConfigError(
                `podlab:${key} is not a podlab setting${near === undefined ? "" : `; did you mean podlab:${near}?`} (known: ${known.map((k) => `podlab:${k}`).join(", ")})`,
            );
        }
    }
}

/** Reads `podlab:*` from the current stack and validates it. */
export function loadStackConfig(): { config: StackConfig; postgresPassword?: pulumi.Output<string> } {
    assertKnownStackConfigKeys(
        Object.keys(pulumi.runtime.allConfig())
            .filter((k) => k.startsWith("podlab:"))
            .map((k) => k.slice("podlab:".length)),
    );
    const cfg = new pulumi.Config("podlab");
    const config = resolveStackConfig(
        {
            namespace: cfg.get("namespace"),
            mode: cfg.get("mode"),
            labels: cfg.getObject("labels"),
            fence: cfg.get("fence"),
            quota: cfg.getObject("quota"),
            network: cfg.getObject("network"),
            postgres: cfg.getObject("postgres"),
            sidecar: cfg.getObject("sidecar"),
            workbench: cfg.getObject("workbench"),
        },
        { project: pulumi.getProject(), stack: pulumi.getStack() },
    );
    return { config, postgresPassword: cfg.getSecret("postgresPassword") };
}

/**
 * `stack` (default): the stack makes its own admission policy. `course`: the
 * course's policy covers it, selecting its namespace by the course label,
 * which the stack must therefore carry.
 */
function resolveFence(value: unknown, labels: Record<string, string>): FenceScope {
    const fence = value ?? DEFAULT_FENCE;
    if (!FENCE_SCOPES.includes(fence as FenceScope)) {
        throw new PodlabConfigError(`podlab:fence must be one of ${FENCE_SCOPES.join(", ")}; got ${JSON.stringify(value)}`);
    }
    if (fence === "course" && labels[COURSE_LABEL] === undefined) {
        throw new PodlabConfigError(`podlab:fence course needs podlab:labels.${COURSE_LABEL}: the course's policy selects its learners' namespaces by that label`);
    }
    return fence as FenceScope;
}

/** Levenshtein distance, for "did you mean" on a misspelt key. */
function editDistance(a: string, b: string): number {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) {
            next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[b.length];
}
