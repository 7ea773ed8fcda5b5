import { show } from "./podSpecs";
import { listOf, podRule } from "./podRule";

/**
 * No finalizers on a pod: a pod that cannot go away holds its namespace in
 * Terminating, and `down` and `reset` never finish.
 */
export const noFinalizers = podRule("no-finalizers", "No finalizers on pods: a pod that cannot go away keeps its namespace Terminating.", (pod) =>
    listOf(pod.metadata?.finalizers).length > 0 ? [`finalizers keep the pod, and its namespace, from going away (finalizers ${show(pod.metadata.finalizers)})`] : [],
);
