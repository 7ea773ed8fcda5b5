import { show } from "./podSpecs";
import { listOf, podRule } from "./podRule";

/**
 * Pod affinity and anti-affinity stay in the pod's namespace: a required
 * anti-affinity term that matches other namespaces' pods keeps theirs off the
 * node too (the scheduler honours existing pods' anti-affinity).
 */
export const noCrossNamespaceAffinity = podRule(
    "no-cross-namespace-affinity",
    "Pod affinity and anti-affinity terms name no other namespace and no namespaceSelector.",
    (pod) =>
        ["podAffinity", "podAntiAffinity"].flatMap((kind) => {
            const a = pod.spec.affinity?.[kind];
            const terms = [...listOf(a?.requiredDuringSchedulingIgnoredDuringExecution), ...listOf(a?.preferredDuringSchedulingIgnoredDuringExecution).map((w) => w?.podAffinityTerm)];
            const namespace = pod.metadata?.namespace;
            return terms
                .filter((t) => (t?.namespaceSelector !== undefined && t?.namespaceSelector !== null) || listOf(t?.namespaces).some((n) => n !== namespace))
                .map((t) => `${kind} reaches pods of other namespaces (${show(t)})`);
        }),
);
