/**
 * `podlab:network`: what the network fence needs to know about the cluster,
 * which differs from one cluster to the next: where its DNS runs (if anywhere),
 * and how pods reach the API server (for podlab's own API clients, the workbench).
 *
 *   podlab:network:
 *     dns: none                          # or {namespace: kube-system, podLabels: {k8s-app: kube-dns}} (the default)
 *     apiServer:                         # optional: how pods reach the API server
 *       url: https://10.245.0.1:6444     # what a pod's kubeconfig names
 *       addresses: [10.245.0.1]          # its endpoints' addresses (default: the URL's, when it is an IP)
 *       port: 6444                       # its endpoints' port (default: the URL's)
 */
import { isIP } from "net";
import { CONVENTIONAL_CLUSTER_DNS, ClusterDns, hostIpBlock } from "./networkFence";
import { PodlabConfigError, assertDnsLabel, assertLabelSelector, assertPort, objectWithKnownKeys } from "./validation";

/** How pods reach the API server: the URL a kubeconfig in a pod names, and the endpoints the fence lets through. */
export interface ApiServerFromPods {
    url: string;
    addresses: string[];
    port: number;
}

export interface NetworkConfig {
    /** Undefined: the cluster has no DNS the pods may use (`dns: none`). */
    dns?: ClusterDns;
    /** Undefined: not configured; no pod of an environment reaches the API server. */
    apiServer?: ApiServerFromPods;
}

/** Defaults of the keys under `podlab:network`, as written in Pulumi.dev.yaml. */
export const NETWORK_CONFIG_DEFAULTS = { dns: CONVENTIONAL_CLUSTER_DNS };

/** `dns: none` says the cluster has no DNS for pods (the lab). */
export const NO_DNS = "none";

/** Validates `podlab:network`; throws a {@link PodlabConfigError} naming the bad key and value. */
export function resolveNetworkConfig(key: string, raw: unknown): NetworkConfig {
    const net = objectWithKnownKeys(key, raw, ["dns", "apiServer"]);
    return { dns: resolveDns(`${key}.dns`, net.dns), apiServer: net.apiServer === undefined ? undefined : resolveApiServer(`${key}.apiServer`, net.apiServer) };
}

function resolveDns(key: string, raw: unknown): ClusterDns | undefined {
    if (raw === undefined) {
        return NETWORK_CONFIG_DEFAULTS.dns;
    }
    if (raw === NO_DNS) {
        return undefined;
    }
    const dns = objectWithKnownKeys(key, raw, ["namespace", "podLabels"]);
    const podLabels = assertLabelSelector(`${key}.podLabels`, dns.podLabels);
    if (Object.keys(podLabels).length === 0) {
        throw new PodlabConfigError(`${key}.podLabels must name at least one label of the DNS pods (or set ${key}: ${NO_DNS})`);
    }
    return { namespace: assertDnsLabel(`${key}.namespace`, dns.namespace), podLabels };
}

function resolveApiServer(key: string, raw: unknown): ApiServerFromPods {
    const api = objectWithKnownKeys(key, raw, ["url", "addresses", "port"]);
    let url: URL;
    try {
        url = new URL(String(api.url));
    } catch {
        throw new PodlabConfigError(`${key}.url must be an https:// URL; got ${JSON.stringify(api.url)}`);
    }
    if (url.protocol !== "https:" || typeof api.url !== "string") {
        throw new PodlabConfigError(`${key}.url must be an https:// URL; got ${JSON.stringify(api.url)}`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const addresses = api.addresses ?? (isIP(host) ? [host] : undefined);
    if (!Array.isArray(addresses) || addresses.length === 0) {
        throw new PodlabConfigError(`${key}.addresses must list the API server's endpoint addresses (the URL's host ${JSON.stringify(host)} is a name, not an address)`);
    }
    for (const a of addresses) {
        hostIpBlock(`${key}.addresses`, String(a));
    }
    const port = assertPort(`${key}.port`, api.port ?? Number(url.port || 443));
    return { url: api.url, addresses: addresses.map(String), port };
}
