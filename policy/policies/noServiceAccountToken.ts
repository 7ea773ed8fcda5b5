import { show } from "./podSpecs";
import { listOf, podRule } from "./podRule";

/**
 * No ServiceAccount token in a pod: automountServiceAccountToken is false
 * (written out, since whether an account automounts is decided outside the
 * stack) and no projected volume has a serviceAccountToken source. A token in a
 * pod lives as long as the pod, past any revocation of the learner's credential.
 */
export const noServiceAccountToken = podRule(
    "no-service-account-token",
    "automountServiceAccountToken: false and no projected serviceAccountToken: a token in a pod outlives the learner's credential.",
    (pod) => {
        const problems: string[] = [];
        if (pod.spec.automountServiceAccountToken !== false) {
            problems.push(`automountServiceAccountToken is not false, so the account's token may be mounted (automountServiceAccountToken ${show(pod.spec.automountServiceAccountToken)})`);
        }
        for (const v of listOf(pod.spec.volumes)) {
            const tokens = listOf(v?.projected?.sources).filter((s) => s?.serviceAccountToken !== undefined && s?.serviceAccountToken !== null);
            if (tokens.length > 0) {
                problems.push(`volume ${show(v.name)} projects a ServiceAccount token (${show(tokens[0].serviceAccountToken)})`);
            }
        }
        return problems;
    },
);
