import { show } from "./podSpecs";
import { podRule } from "./podRule";

/** spec.os absent or linux: Pod Security skips its Linux checks for a pod that says it is not one. */
export const linuxPods = podRule("linux-pods", "spec.os is linux or absent: Pod Security skips its Linux checks for any other.", (pod) => {
    const name = pod.spec.os?.name;
    return name !== undefined && name !== null && name !== "linux" ? [`spec.os.name makes Pod Security skip its Linux checks (os ${show(pod.spec.os)})`] : [];
});
