import { show } from "./podSpecs";
import { podRule } from "./podRule";

/** The longest grace period a pod or a killing probe may ask for: the kubelet's own default. */
export const MAX_GRACE_PERIOD_SECONDS = 30;

/**
 * terminationGracePeriodSeconds at most 30, in the pod and in its liveness and
 * startup probes: a pod that ignores SIGTERM holds its namespace Terminating
 * for its whole grace period, and `down` and `reset` with it.
 */
export const boundedGracePeriod = podRule("bounded-grace-period", `terminationGracePeriodSeconds at most ${MAX_GRACE_PERIOD_SECONDS}, in the pod and its probes.`, (pod) => {
    const problems: string[] = [];
    const long = (v: unknown) => typeof v === "number" && v > MAX_GRACE_PERIOD_SECONDS;
    if (long(pod.spec.terminationGracePeriodSeconds)) {
        problems.push(`a pod that ignores SIGTERM holds its namespace this long (terminationGracePeriodSeconds ${show(pod.spec.terminationGracePeriodSeconds)})`);
    }
    for (const c of pod.containers) {
        for (const probe of ["livenessProbe", "startupProbe"]) {
            if (long(c.spec[probe]?.terminationGracePeriodSeconds)) {
                problems.push(`container ${c.name}: ${probe} kills with a long grace period (terminationGracePeriodSeconds ${show(c.spec[probe].terminationGracePeriodSeconds)})`);
            }
        }
    }
    return problems;
});
