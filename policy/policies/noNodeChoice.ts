import { show } from "./podSpecs";
import { isSetString, listOf, podRule } from "./podRule";

/** The tolerations the DefaultTolerationSeconds admission plugin adds to every pod anyway. */
const DEFAULT_TOLERATION_KEYS: readonly string[] = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

/**
 * The scheduler places pods: no nodeName (which skips it, and the taints with
 * it), no runtimeClassName, and no tolerations beyond the default ones, which
 * would let a pod onto nodes kept from learners (the control plane's).
 */
export const noNodeChoice = podRule("no-node-choice", "No nodeName, runtimeClassName or tolerations: the scheduler places pods on the nodes meant for them.", (pod) => {
    const problems: string[] = [];
    for (const key of ["nodeName", "runtimeClassName"]) {
        if (isSetString(pod.spec[key])) {
            problems.push(`${key} chooses where or how the pod runs (${key} ${show(pod.spec[key])})`);
        }
    }
    const extra = listOf(pod.spec.tolerations).filter((t) => !(DEFAULT_TOLERATION_KEYS.includes(t?.key) && t?.effect === "NoExecute"));
    if (extra.length > 0) {
        problems.push(`tolerations let the pod onto tainted nodes (tolerations ${show(extra)})`);
    }
    return problems;
});
