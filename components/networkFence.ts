import { isIP } from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podLabels } from "./podSpec";
import { PodlabConfigError, assertDnsLabel, assertLabelSelector, assertPort } from "./validation";

/** Name of the fence's NetworkPolicy in every environment. */
export const NETWORK_FENCE_POLICY_NAME = "same-namespace-only";
/** Name of the policy that lets podlab's own API clients (the workbench) reach the API server. */
export const API_SERVER_ACCESS_POLICY_NAME = "api-server-access";
/** DNS, over UDP and TCP. */
export const DNS_PORT = 53;

/** The cluster's DNS servers, as pods: a namespace and the labels of its DNS pods. */
export interface ClusterDns {
    /** The namespace the DNS pods run in (matched by its immutable `kubernetes.io/metadata.name` label). */
    readonly namespace: string;
    /** Labels of the DNS pods (a selector: at least one). */
    readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * Where kubeadm, kind, k3s and the managed clusters run CoreDNS (or kube-dns):
 * pods labelled `k8s-app: kube-dns` in kube-system. The stack config's default
 * (podlab:network.dns); `course up` says whether the cluster has them.
 */
export const CONVENTIONAL_CLUSTER_DNS: ClusterDns = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } };

/**
 * The one exception to the egress fence: pods podlab itself runs (the
 * workbench, whose shell uses kubectl) may reach the API server.
 */
export interface ApiServerAccess {
    /**
     * The pods allowed: labels only podlab may set on a learner's pods (the
     * admission rules reserve them), never empty (that would be every pod).
     */
    readonly podSelector: Readonly<Record<string, string>>;
    /**
     * The API server's addresses as a pod's packets reach them: its endpoints
     * (after a Service's translation), IPv4 and IPv6 alike; each becomes a /32 or /128.
     */
    readonly addresses: readonly string[];
    /** The API server's port at those addresses (its endpoints' port, not the Service's 443). */
    readonly port: number;
}

export interface NetworkFenceArgs {
    /** The environment's namespace: the policy selects every pod in it. */
    readonly namespace: pulumi.Input<string>;
    /** Extra labels on the policies (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
    /** The cluster DNS the namespace's pods may query (port 53, UDP and TCP). Default: none, no DNS egress. */
    readonly dns?: ClusterDns;
    /** Pods that may also reach the API server. Default: none, no pod of the namespace reaches it. */
    readonly apiServerAccess?: ApiServerAccess;
}

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** A host address as a NetworkPolicy ipBlock: /32 for IPv4, /128 for IPv6. Throws on anything else. */
export function hostIpBlock(key: string, address: string): NetworkPolicyPeer {
    const family = isIP(address);
    if (family === 0) {
        throw new PodlabConfigError(`${key}: ${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
    }
    return { ipBlock: { cidr: `${address}/${family === 4 ? 32 : 128}` } };
}

/** The egress rule to the cluster's DNS pods: selected by namespace name and pod labels, so it holds for IPv4 and IPv6 alike. */
export function dnsEgressRule(dns: ClusterDns): NetworkPolicyEgressRule {
    return {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": dns.namespace } }, podSelector: { matchLabels: { ...dns.podLabels } } }],
        ports: [
            { protocol: "UDP", port: DNS_PORT },
            { protocol: "TCP", port: DNS_PORT },
        ],
    };
}

/**
 * Environments on one cluster cannot reach each other, nor anything else: every
 * pod of the namespace accepts connections only from pods of the same
 * namespace, and opens connections only to pods of the same namespace (and to
 * the cluster's DNS pods, where given). So the lesson's psql from one pod to
 * another pod's IP keeps working, while another learner's pods, the node (the
 * kubelet's port, anything listening on its addresses), the control plane and
 * the outside world are out of reach. The kubelet's probes still reach the
 * pods: policies leave traffic from the pod's own node alone. Every rule
 * selects pods, never address ranges, so it covers IPv4 and IPv6 alike on a
 * dual-stack cluster; the only ipBlocks are the API server's addresses for
 * {@link ApiServerAccess}, one per address of each family given. Enforcement
 * needs a network plugin that implements NetworkPolicy, for ingress and
 * egress, over every address family the pods have (`course check` proves it);
 * one that ignores it silently lets everything through.
 */
export class NetworkFence extends pulumi.ComponentResource {
    /** The fence's NetworkPolicy name. */
    public readonly policyName: pulumi.Output<string>;
    /** The API server allowance's NetworkPolicy name, when there is one. */
    public readonly apiServerPolicyName?: pulumi.Output<string>;

    constructor(name: string, args: NetworkFenceArgs, opts?: pulumi.ComponentResourceOptions) {
        const dns = args.dns && checkedDns(`NetworkFence ${name}: dns`, args.dns);
        const api = args.apiServerAccess && checkedApiServerAccess(`NetworkFence ${name}: apiServerAccess`, args.apiServerAccess);
        super("podlab:index:NetworkFence", name, {}, opts);
        const policy = new k8s.networking.v1.NetworkPolicy(
            `${name}-policy`,
            {
                metadata: {
                    name: NETWORK_FENCE_POLICY_NAME,
                    namespace: args.namespace,
                    labels: podLabels("network-fence", NETWORK_FENCE_POLICY_NAME, "isolation", args.labels),
                },
                spec: {
                    podSelector: {},
                    policyTypes: ["Ingress", "Egress"],
                    // A podSelector without a namespaceSelector means: this namespace only.
                    ingress: [{ from: [{ podSelector: {} }] }],
                    egress: [{ to: [{ podSelector: {} }] }, ...(dns ? [dnsEgressRule(dns)] : [])],
                },
            },
            { parent: this },
        );
        this.policyName = policy.metadata.name;
        if (api) {
            const allowance = new k8s.networking.v1.NetworkPolicy(
                `${name}-api-server`,
                {
                    metadata: {
                        name: API_SERVER_ACCESS_POLICY_NAME,
                        namespace: args.namespace,
                        labels: podLabels("network-fence", API_SERVER_ACCESS_POLICY_NAME, "isolation", args.labels),
                    },
                    spec: {
                        podSelector: { matchLabels: { ...api.podSelector } },
                        policyTypes: ["Egress"],
                        egress: [{ to: api.addresses.map((a) => hostIpBlock(`NetworkFence ${name}: apiServerAccess.addresses`, a)), ports: [{ protocol: "TCP", port: api.port }] }],
                    },
                },
                { parent: this },
            );
            this.apiServerPolicyName = allowance.metadata.name;
        }
        this.registerOutputs({ policyName: this.policyName, apiServerPolicyName: this.apiServerPolicyName });
    }
}

function checkedDns(key: string, dns: ClusterDns): ClusterDns {
    const podLabels = assertLabelSelector(`${key}.podLabels`, dns.podLabels);
    if (Object.keys(podLabels).length === 0) {
        throw new PodlabConfigError(`${key}.podLabels must name at least one label: an empty selector would allow every pod of ${dns.namespace}`);
    }
    return { namespace: assertDnsLabel(`${key}.namespace`, dns.namespace), podLabels };
}

function checkedApiServerAccess(key: string, api: ApiServerAccess): ApiServerAccess {
    const podSelector = assertLabelSelector(`${key}.podSelector`, api.podSelector);
    if (Object.keys(podSelector).length === 0) {
        throw new PodlabConfigError(`${key}.podSelector must name at least one label: an empty selector would let every pod of the namespace reach the API server`);
    }
    if (api.addresses.length === 0) {
        throw new PodlabConfigError(`${key}.addresses must list at least one address of the API server`);
    }
    api.addresses.forEach((a) => hostIpBlock(`${key}.addresses`, a));
    return { podSelector, addresses: [...new Set(api.addresses)], port: assertPort(`${key}.port`, api.port) };
}
