/**
 * How pods reach the API server, as lab/env says it on the lab's real node
 * (PODLAB_API_SERVER_FROM_PODS): what a config with the workbench needs
 * (podlab:network.apiServer), for the unit tests that enable it.
 */
export const API_SERVER_FROM_PODS = "https://10.245.0.1:6444";

/** The `podlab:network` part of a config that says how pods reach the API server. */
export const NETWORK_WITH_API_SERVER = { apiServer: { url: API_SERVER_FROM_PODS } };

/** A roster's base config (the course's `baseConfig()` on the lab) with nothing but that. */
export const LAB_BASE_CONFIG: Record<string, unknown> = { network: NETWORK_WITH_API_SERVER };
