import { show } from "./podSpecs";
import { isSetString, podRule } from "./podRule";

/** A pod runs as its namespace's default ServiceAccount, which has no rights; any other account's rights go with the pod. */
export const defaultServiceAccount = podRule("default-service-account", "Pods run as their namespace's default ServiceAccount (no serviceAccountName but default).", (pod) => {
    const name = pod.spec.serviceAccountName ?? pod.spec.serviceAccount;
    return isSetString(name) && name !== "default" ? [`serviceAccountName gives the pod that account's rights (serviceAccountName ${show(name)})`] : [];
});
