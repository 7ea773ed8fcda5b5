/**
 * Pure validators for podlab's configuration and component arguments.
 *
 * Each throws a {@link PodlabConfigError} whose message names the offending
 * key and value, so a learner sees exactly what to fix before anything is
 * sent to the cluster.
 */
import { RunError } from "@pulumi/pulumi";

/**
 * An invalid configuration value or component argument. A RunError, so that
 * Pulumi's run script reports the message alone under `pulumi up` (no
 * "unhandled exception", no stack).
 */
export class PodlabConfigError extends RunError {
    constructor(message: string) {
        super(message);
        this.name = "PodlabConfigError";
    }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes object names used here (pods, namespaces) must be RFC 1123 labels. */
export function assertDnsLabel(key: string, value: unknown): string {
    if (typeof value !== "string" || value.length > 63 || !DNS_LABEL.test(value)) {
        throw new PodlabConfigError(
            `${key} must be an RFC 1123 label (lower-case letters, digits and '-', ` +
                `starting and ending with a letter or digit, at most 63 characters); got ${JSON.stringify(value)}`,
        );
    }
    return value;
}

/** A TCP port number a container can declare. */
export function assertPort(key: string, value: unknown): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        throw new PodlabConfigError(`${key} must be an integer port in 1-65535; got ${JSON.stringify(value)}`);
    }
    return value;
}

/** An integer in [min, max]. */
export function assertIntInRange(key: string, value: unknown, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new PodlabConfigError(`${key} must be an integer in ${min}-${max}; got ${JSON.stringify(value)}`);
    }
    return value;
}

/** A non-negative integer uid or gid. */
export function assertId(key: string, value: unknown): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2147483647) {
        throw new PodlabConfigError(`${key} must be a positive integer (non-root) id; got ${JSON.stringify(value)}`);
    }
    return value;
}

/**
 * An image reference pinned to a version tag or a digest.
 * `latest` and missing tags are refused: a lab must come up the same way every time.
 */
export function assertPinnedImage(key: string, value: unknown): string {
    if (typeof value !== "string" || value.length === 0 || /\s/.test(value)) {
        throw new PodlabConfigError(`${key} must be an image reference; got ${JSON.stringify(value)}`);
    }
    const { tag, digest } = parseImageRef(value);
    if (digest !== undefined) {
        if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
            throw new PodlabConfigError(`${key} has a malformed digest in ${JSON.stringify(value)}`);
        }
        return value;
    }
    if (tag === undefined) {
        throw new PodlabConfigError(`${key} must be pinned to a version tag or digest; got ${JSON.stringify(value)}`);
    }
    if (tag === "latest") {
        throw new PodlabConfigError(`${key} must not use the 'latest' tag; got ${JSON.stringify(value)}`);
    }
    return value;
}

/** Splits an image reference into repository, tag and digest. */
export function parseImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    // A ':' after the last '/' separates the tag; one before it is a registry port.
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        const tag = rest.slice(colon + 1);
        return { repository: rest.slice(0, colon), tag: tag.length > 0 ? tag : undefined, digest };
    }
    return { repository: rest, digest };
}

const CPU_QUANTITY = /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/;
const MEMORY_QUANTITY = /^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL_SUFFIX: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A cpu quantity ("250m", "0.5", "2"), returned with its value in millicores. */
export function assertCpu(key: string, value: unknown): { text: string; millis: number } {
    if (typeof value !== "string" || !CPU_QUANTITY.test(value) || parseCpuMillis(value) <= 0) {
        throw new PodlabConfigError(`${key} must be a positive cpu quantity such as "250m" or "0.5"; got ${JSON.stringify(value)}`);
    }
    return { text: value, millis: parseCpuMillis(value) };
}

/** A memory quantity ("128Mi", "1Gi"), returned with its value in bytes. */
export function assertMemory(key: string, value: unknown): { text: string; bytes: number } {
    if (typeof value !== "string" || !MEMORY_QUANTITY.test(value) || parseMemoryBytes(value) <= 0) {
        throw new PodlabConfigError(`${key} must be a positive memory quantity such as "128Mi"; got ${JSON.stringify(value)}`);
    }
    return { text: value, bytes: parseMemoryBytes(value) };
}

/** The value of a cpu quantity in millicores ("250m" is 250, "2" is 2000). */
export function parseCpuMillis(text: string): number {
    return text.endsWith("m") ? Number(text.slice(0, -1)) : Math.round(Number(text) * 1000);
}

/** The value of a memory or storage quantity in bytes ("64Mi", "1G"); NaN when malformed. */
export function parseMemoryBytes(text: string): number {
    const match = /^([0-9]+)([A-Za-z]*)$/.exec(text);
    if (!match) {
        return NaN;
    }
    const suffix = match[2];
    const scale = BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix] ?? (suffix === "" ? 1 : NaN);
    return Number(match[1]) * scale;
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Label prefixes podlab sets itself; an environment's own labels may not override them. */
export const RESERVED_LABEL_PREFIXES = ["app.kubernetes.io/", "pod-security.kubernetes.io/", "kubernetes.io/", "k8s.io/"];

/**
 * Extra labels for an environment's objects (e.g. `podlab.dev/course`): valid
 * Kubernetes label keys and values, and none under a prefix podlab sets itself.
 */
export function assertLabels(key: string, value: unknown): Record<string, string> {
    return labelMap(key, value, true);
}

/** Labels that select objects (e.g. another component's pods): valid names and values, any prefix. */
export function assertLabelSelector(key: string, value: unknown): Record<string, string> {
    return labelMap(key, value, false);
}

function labelMap(key: string, value: unknown, refuseReserved: boolean): Record<string, string> {
    if (value === undefined || value === null) {
        return {};
    }
    if (typeof value !== "object" || Array.isArray(value)) {
        throw new PodlabConfigError(`${key} must be a map of label names to values; got ${JSON.stringify(value)}`);
    }
    const labels: Record<string, string> = {};
    for (const [name, v] of Object.entries(value)) {
        const slash = name.lastIndexOf("/");
        const prefix = slash >= 0 ? name.slice(0, slash) : undefined;
        const short = slash >= 0 ? name.slice(slash + 1) : name;
        if (short.length > 63 || !LABEL_NAME.test(short) || (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix)))) {
            throw new PodlabConfigError(`${key}: ${JSON.stringify(name)} is not a valid label name ([prefix/]name, name at most 63 characters)`);
        }
        const reserved = RESERVED_LABEL_PREFIXES.find((p) => name.startsWith(p) || (prefix !== undefined && `${prefix}/`.endsWith(`.${p}`)));
        if (refuseReserved && reserved !== undefined) {
            throw new PodlabConfigError(`${key}: label ${JSON.stringify(name)} is under ${reserved}, which podlab sets itself`);
        }
        if (typeof v !== "string" || v.length > 63 || (v !== "" && !LABEL_NAME.test(v))) {
            throw new PodlabConfigError(`${key}.${name} must be a label value (at most 63 letters, digits, '-', '_' or '.'); got ${JSON.stringify(v)}`);
        }
        labels[name] = v;
    }
    return labels;
}

/** Throws when a name occurs twice, naming the name and both keys it came from. */
export function assertUnique(what: string, entries: ReadonlyArray<{ key: string; value: string | number }>): void {
    const seen = new Map<string | number, string>();
    for (const { key, value } of entries) {
        const first = seen.get(value);
        if (first !== undefined) {
            throw new PodlabConfigError(`duplicate ${what} ${JSON.stringify(value)}: ${first} and ${key}`);
        }
        seen.set(value, key);
    }
}

/** An object (or nothing) whose keys are all known; a misspelt key is an error, not a silent default. */
export function objectWithKnownKeys(key: string, value: unknown, known: string[]): Record<string, unknown> {
    if (value === undefined || value === null) {
        return {};
    }
    if (typeof value !== "object" || Array.isArray(value)) {
        throw new PodlabConfigError(`${key} must be an object; got ${JSON.stringify(value)}`);
    }
    for (const k of Object.keys(value)) {
        if (!known.includes(k)) {
            throw new PodlabConfigError(`${key}.${k} is not a podlab setting (known: ${known.join(", ")})`);
        }
    }
    return value as Record<string, unknown>;
}
