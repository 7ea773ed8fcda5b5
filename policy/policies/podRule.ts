import type { ResourceValidationPolicy } from "@pulumi/policy";
import { PodView, podSpecsOf } from "./podSpecs";

/**
 * A mandatory policy on pod specs, for the rules the API server also enforces
 * on learners' pods (components/admissionRules.ts, same names): the pack checks
 * podlab's own pods before they exist, admission checks the learners' after.
 * `problems` returns what breaks the rule in one pod, each with its values; the
 * pod's description prefixes every message.
 */
export function podRule(name: string, description: string, problems: (pod: PodView) => string[]): ResourceValidationPolicy {
    return {
        name,
        description,
        // Mandatory: each rule fences one learner from the others, the node or the cluster (docs/security.md).
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: (args, reportViolation) => {
            for (const pod of podSpecsOf(args)) {
                for (const problem of problems(pod)) {
                    reportViolation(`${pod.describe}: ${problem}`);
                }
            }
        },
    };
}

/** A list field of plain JSON, or none. */
export const listOf = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** A set string field (the API treats "" as unset). */
export const isSetString = (v: unknown): v is string => typeof v === "string" && v !== "";
