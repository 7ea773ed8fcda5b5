/** What of a course is left in the cluster: every object carrying its label. */
import { kubectlJson } from "../kubectl";
import { COURSE_LABEL } from "./roster";

/** Everything in the cluster that carries the course's label, as kind/namespace/name. */
export async function labelledObjects(course: string): Promise<string[]> {
    const kinds =
        "namespaces,pods,secrets,configmaps,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,networkpolicies.networking.k8s.io,resourcequotas,limitranges," +
        "validatingadmissionpolicies.admissionregistration.k8s.io,validatingadmissionpolicybindings.admissionregistration.k8s.io";
    const list = await kubectlJson<{ items: Array<{ kind: string; metadata: { namespace?: string; name: string } }> }>(["get", kinds, "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`]);
    return list.items.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`);
}
