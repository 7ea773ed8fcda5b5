import { show } from "./podSpecs";
import { isSetString, podRule } from "./podRule";

/**
 * No priorityClassName: a priority lets a pod preempt other learners' pods,
 * and a critical one (system-node-critical) is never evicted by the kubelet,
 * so its ephemeral-storage limit stops meaning anything.
 */
export const noPriorityClass = podRule("no-priority-class", "No priorityClassName: a priority lets a pod preempt other learners' pods and escape eviction.", (pod) =>
    isSetString(pod.spec.priorityClassName) ? [`priorityClassName lets the pod preempt other learners' pods (priorityClassName ${show(pod.spec.priorityClassName)})`] : [],
);
