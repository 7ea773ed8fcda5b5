import type { ResourceValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, podSpecsOf, safeRead, show } from "./podSpecs";

/** Configuration of {@link noLiteralSecretEnv}. */
export interface SecretEnvConfig {
    /** An env var whose name contains one of these (case-insensitive) holds a secret. */
    namePatterns: string[];
    /** Env var names exempt from the check, matched exactly (for a name that only looks secret). */
    allowNames: string[];
}

export const SECRET_ENV_DEFAULTS: SecretEnvConfig = {
    namePatterns: ["PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "SECRET", "KEY", "CREDENTIAL"],
    allowNames: [],
};

/**
 * A secret in a pod spec is readable by anyone who can read the pod, and lands
 * in the stack's state in plain text: a secret-looking env var (POSTGRES_PASSWORD,
 * API_TOKEN, ...) must come from a Secret through `valueFrom.secretKeyRef`,
 * never a literal `value` (nor a ConfigMap). Messages never print the value itself.
 */
export const noLiteralSecretEnv: ResourceValidationPolicy = {
    name: "no-literal-secret-env",
    description: "A secret-looking env var (PASSWORD, TOKEN, SECRET, KEY, ...) comes from a secretKeyRef, never a literal value.",
    // Mandatory: once applied, the literal is in the cluster and in the stack's history.
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            namePatterns: {
                type: "array",
                items: { type: "string", minLength: 1 },
                description: "An env var whose name contains one of these (case-insensitive) must come from a secretKeyRef.",
                default: [...SECRET_ENV_DEFAULTS.namePatterns],
            },
            allowNames: {
                type: "array",
                items: { type: "string" },
                description: "Env var names exempt from the check, matched exactly.",
                default: [...SECRET_ENV_DEFAULTS.allowNames],
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const config = { ...SECRET_ENV_DEFAULTS, ...args.getConfig<Partial<SecretEnvConfig>>() };
        const patterns = config.namePatterns.map((p) => p.toUpperCase());
        for (const pod of podSpecsOf(args)) {
            for (const c of pod.containers) {
                for (const env of Array.isArray(c.spec.env) ? c.spec.env : []) {
                    const name = String(env?.name);
                    if (config.allowNames.includes(name) || !patterns.some((p) => name.toUpperCase().includes(p))) {
                        continue;
                    }
                    const problem = literalSecretProblem(env);
                    if (problem !== undefined) {
                        reportViolation(`${c.where}: env ${name} ${problem}`);
                    }
                }
            }
        }
    },
};

/** Why a secret-looking env var is not taken from a Secret, describing (never printing) its value. */
function literalSecretProblem(env: any): string | undefined {
    // A value only known at deploy time throws when read during preview; it is still a literal.
    const value = "value" in env ? safeRead(() => env.value) : undefined;
    if (value !== undefined && value !== null) {
        const described =
            value === UNKNOWN ? "a value computed at deploy time" : typeof value === "string" ? `${value.length} characters, redacted` : "redacted";
        return `has a literal value instead of valueFrom.secretKeyRef (${described})`;
    }
    const from = env.valueFrom;
    if (from === undefined || from === null) {
        return "has no value and no valueFrom.secretKeyRef (unset)";
    }
    if (from.secretKeyRef === undefined || from.secretKeyRef === null) {
        const source = Object.keys(from)[0] ?? "nothing";
        return `comes from valueFrom.${source}, not a secretKeyRef (${show(from[source])})`;
    }
    return undefined;
}
