import { show } from "./podSpecs";
import { listOf, podRule } from "./podRule";

/** No hostAliases: a name the lesson uses (localhost, a pod's name) means in every pod what it means everywhere. */
export const noHostAliases = podRule("no-host-aliases", "No hostAliases: the names the lesson uses mean the same in every pod.", (pod) =>
    listOf(pod.spec.hostAliases).length > 0 ? [`hostAliases rewrite names in the pod's /etc/hosts (hostAliases ${show(pod.spec.hostAliases)})`] : [],
);
