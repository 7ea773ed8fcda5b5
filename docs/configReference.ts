/**
 * The stack configuration reference (docs/program.md), generated: every key
 * and default comes from the code (components/stackConfig.ts and the
 * components' defaults it names); only each key's meaning is written here.
 * A key the code gains without a meaning here fails `npm run docs` and the
 * unit test, naming the key; a meaning for a key the code lost fails too.
 */
import { LIMIT_RANGE_DEFAULTS, MAX_EXTRA_PODS } from "../components/environmentQuota";
import { NETWORK_CONFIG_DEFAULTS } from "../components/networkConfig";
import { ResourceSpec } from "../components/podSpec";
import { SIDECAR_DEFAULTS } from "../components/sidecarPod";
import {
    DEFAULT_FENCE,
    DEFAULT_MODE,
    LESSON_MODES,
    MAX_POSTGRES_COUNT,
    POSTGRES_CONFIG_DEFAULTS,
    QUOTA_CONFIG_DEFAULTS,
    STACK_CONFIG_KEYS,
    WORKBENCH_CONFIG_DEFAULTS,
    defaultNamespace,
} from "../components/stackConfig";

/** What the reference says of one key that the code does not: its meaning, and for a key without a default what happens when it is unset. */
export interface KeyDoc {
    meaning: string;
    /** Only for keys the code gives no default: what "unset" means. */
    unset?: string;
    /** Only for keys without a default: a valid value, which the unit test feeds to the validation. */
    example?: unknown;
}

const amounts = (r: ResourceSpec["requests"]) => `${r.cpu}/${r.memory}/${r["ephemeral-storage"]}`;

/** The meaning of every `podlab:` key, by its dotted path under `podlab:`. */
export const KEY_DOCS: Record<string, KeyDoc> = {
    namespace: { meaning: "the environment's namespace (an RFC 1123 label)", unset: `\`<project>-<stack>\`, e.g. \`${defaultNamespace("podlab", "dev")}\``, example: "podlab-example" },
    mode: {
        meaning: `${LESSON_MODES.map((m) => `\`${m}\``).join(" or ")}: in \`environment\` podlab makes the lesson's pods; in \`exercise\` only the fences, the workbench and the password Secret the lesson's files refer to, and the learner makes the pods ([exercise.md](exercise.md)); \`exercise\` needs \`workbench.enabled\``,
    },
    labels: {
        meaning: "extra labels on every object of the environment (the course command sets `podlab.dev/course` and `podlab.dev/learner`); `app.kubernetes.io/*` and `pod-security.kubernetes.io/*` are podlab's own and refused",
        unset: "none",
        example: { team: "blue" },
    },
    fence: {
        meaning: "`stack`: the stack makes its own admission policy (cluster-scoped, named after the namespace); `course`: the course's policy covers it (the course command sets this, with the course label)",
    },
    postgresPassword: {
        meaning: "(secret) one password for every postgres pod: `pulumi config set --secret podlab:postgresPassword`, value on stdin",
        unset: "each postgres pod gets its own `RandomPassword` (where no `random` provider is installed, as on the lab, the deploy and course commands set a generated one)",
        example: "not-validated-here",
    },
    "network.dns": {
        meaning:
            "the cluster's DNS pods, `{namespace, podLabels}`, which the network fence lets pods query on port 53; `none` on a cluster without DNS for pods (the lab's `Pulumi.lab.yaml`)",
    },
    "network.apiServer": {
        meaning:
            "how pods reach the API server, `{url, addresses, port}` (addresses: its endpoints', default the URL's host when it is an IP; port: default the URL's): the network fence lets the workbench, and only it, reach those addresses and port (`apiServerAccess`), and the workbench's kubeconfig names the URL",
        unset: "no pod reaches the API server (on the lab, and off it with `PODLAB_API_SERVER_FROM_PODS` set, the course fills it in)",
        example: { url: "https://10.245.0.1:6444" },
    },
    "postgres.count": { meaning: `number of postgres pods, 1-${MAX_POSTGRES_COUNT}` },
    "postgres.baseName": { meaning: "pod names are `postgres`, `postgres2`, `postgres3`, ... from this base" },
    "postgres.image": { meaning: "pinned tag or digest; `latest` and untagged images are refused" },
    "postgres.port": { meaning: "containerPort, passed to postgres as `PGPORT`" },
    "postgres.runAsUser": { meaning: "numeric uid and gid postgres runs as: the image's `postgres` user, or any other non-root uid (the entrypoint stands in a passwd entry for initdb)" },
    "postgres.resources": { meaning: "requests and limits of cpu, memory and ephemeral-storage; an amount left out takes its default" },
    "sidecar.name": { meaning: "name of the nginx + curl pod" },
    "sidecar.nginxImage": { meaning: "pinned nginx image that runs as non-root" },
    "sidecar.nginxPort": { meaning: "the port nginx serves on; the sidecar's target follows it" },
    "sidecar.nginxUser": { meaning: "numeric uid of the nginx image's user" },
    "sidecar.curlImage": { meaning: "pinned curl image for the sidecar" },
    "sidecar.curlUser": { meaning: "numeric uid of `curl_user` (the image names its user, so `runAsNonRoot` needs the number)" },
    "sidecar.fetchIntervalSeconds": { meaning: "seconds between the sidecar's fetches of nginx's page" },
    "sidecar.sidecarPort": {
        meaning: "a containerPort declared on the curl container. The lesson's exercise: set it to `nginxPort` and podlab refuses, since both containers share one network namespace",
        unset: "none",
        example: 9090,
    },
    "sidecar.resources.nginx": { meaning: "requests and limits of the nginx container" },
    "sidecar.resources.curl": { meaning: "requests and limits of the curl container" },
    "quota.extraPods": {
        meaning: `pods a learner may start beside podlab's own (0-${MAX_EXTRA_PODS}); the ResourceQuota is sized for podlab's pods plus these, each at the LimitRange defaults (requests ${amounts(LIMIT_RANGE_DEFAULTS.requests)}, limits ${amounts(LIMIT_RANGE_DEFAULTS.limits)})`,
    },
    "workbench.enabled": { meaning: "a `workbench` pod with a shell and kubectl acting as the learner's ServiceAccount ([exercise.md](exercise.md)); every course turns it on; it needs `network.apiServer` (refused without it)" },
    "workbench.image": { meaning: "pinned workbench image (the lab's `Pulumi.lab.yaml` names its own)" },
    "workbench.runAsUser": { meaning: "numeric non-root uid of the shell" },
    "workbench.resources": { meaning: "requests and limits of the workbench container" },
    "workbench.apiServer": {
        meaning: "the API server's https URL as pods reach it, written into the workbench's kubeconfig",
        unset: "`network.apiServer.url`",
        example: "https://10.245.0.1:6444",
    },
};

/** One row of the reference: the key, its default as the code holds it (or what unset means), its meaning. */
export interface ConfigKey {
    key: string;
    default: string;
    meaning: string;
}

function isResourceSpec(v: unknown): v is ResourceSpec {
    return typeof v === "object" && v !== null && "requests" in v && "limits" in v;
}

/**
 * The leaves of a defaults object as dotted keys. A ResourceSpec is one leaf,
 * and so is an object the docs describe as one key (`network.dns`); any
 * other object is walked, so a key it gains surfaces by its own name.
 */
function leaves(prefix: string, value: unknown): [string, unknown][] {
    if (typeof value === "object" && value !== null && !Array.isArray(value) && !isResourceSpec(value) && KEY_DOCS[prefix] === undefined) {
        return Object.entries(value).flatMap(([k, v]) => leaves(`${prefix}.${k}`, v));
    }
    return [[prefix, value]];
}

function formatDefault(v: unknown): string {
    if (isResourceSpec(v)) {
        return `requests \`${amounts(v.requests)}\`, limits \`${amounts(v.limits)}\` (cpu/memory/ephemeral-storage)`;
    }
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        return `\`${JSON.stringify(v).replace(/"/g, "").replace(/,/g, ", ").replace(/:/g, ": ")}\``;
    }
    return `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;
}

/** Every key with a default in the code, by dotted path. */
export function codeDefaults(): Map<string, unknown> {
    return new Map<string, unknown>([
        ["mode", DEFAULT_MODE],
        ["fence", DEFAULT_FENCE],
        ...leaves("postgres", POSTGRES_CONFIG_DEFAULTS),
        ...leaves("sidecar", SIDECAR_DEFAULTS),
        ...leaves("quota", QUOTA_CONFIG_DEFAULTS),
        ...leaves("network", NETWORK_CONFIG_DEFAULTS),
        ...leaves("workbench", WORKBENCH_CONFIG_DEFAULTS),
    ]);
}

/**
 * The reference's rows in the order of STACK_CONFIG_KEYS: each key with a
 * default in the code, and each key the docs name as having none. Throws
 * naming a key that has no meaning here, a meaning for no key, or a
 * top-level key the code accepts that the reference would leave out.
 */
export function configKeys(docs: Record<string, KeyDoc> = KEY_DOCS): ConfigKey[] {
    const defaults = codeDefaults();
    const undocumented = [...defaults.keys()].filter((k) => docs[k] === undefined);
    if (undocumented.length > 0) {
        throw new Error(`podlab:${undocumented.join(", podlab:")} has a default in the code but no meaning in docs/configReference.ts`);
    }
    const stale = Object.entries(docs)
        .filter(([k, d]) => !defaults.has(k) && d.unset === undefined)
        .map(([k]) => k);
    if (stale.length > 0) {
        throw new Error(`docs/configReference.ts describes podlab:${stale.join(", podlab:")}, which has no default in the code: remove it, or say what unset means`);
    }
    const top = (k: string) => k.split(".")[0];
    const missing = STACK_CONFIG_KEYS.filter((k) => !Object.keys(docs).some((d) => top(d) === k));
    if (missing.length > 0) {
        throw new Error(`podlab:${missing.join(", podlab:")} is a stack config key (STACK_CONFIG_KEYS) with no row in docs/configReference.ts`);
    }
    const order = (k: string) => (STACK_CONFIG_KEYS as readonly string[]).indexOf(top(k));
    return Object.entries(docs)
        .map(([key, d], i) => ({ key, i, default: defaults.has(key) ? formatDefault(defaults.get(key)) : `unset: ${d.unset}`, meaning: d.meaning }))
        .sort((a, b) => order(a.key) - order(b.key) || a.i - b.i)
        .map(({ key, default: def, meaning }) => ({ key, default: def, meaning }));
}
