import { show } from "./podSpecs";
import { listOf, podRule } from "./podRule";

/** Pods resolve names through the cluster's DNS only: dnsPolicy ClusterFirst (the default), no nameservers of their own. */
export const clusterDnsOnly = podRule("cluster-dns-only", "dnsPolicy ClusterFirst and no dnsConfig nameservers: pods resolve through the cluster's DNS only.", (pod) => {
    const problems: string[] = [];
    const policy = pod.spec.dnsPolicy;
    if (policy !== undefined && policy !== null && policy !== "ClusterFirst") {
        problems.push(`dnsPolicy sends the pod's lookups elsewhere than the cluster's DNS (dnsPolicy ${show(policy)})`);
    }
    if (listOf(pod.spec.dnsConfig?.nameservers).length > 0) {
        problems.push(`dnsConfig names nameservers of its own (nameservers ${show(pod.spec.dnsConfig.nameservers)})`);
    }
    return problems;
});
