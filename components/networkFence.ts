import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podLabels } from "./podSpec";

/** Name of the fence's NetworkPolicy in every environment. */
export const NETWORK_FENCE_POLICY_NAME = "same-namespace-only";

export interface NetworkFenceArgs {
    /** The environment's namespace: the policy selects every pod in it. */
    readonly namespace: pulumi.Input<string>;
    /** Extra labels on the policy (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Environments on one cluster cannot reach each other: every pod of the
 * namespace accepts connections only from pods of the same namespace, so the
 * lesson's psql from one pod to another pod's IP keeps working while another
 * learner's pods cannot connect. Egress stays open (it goes nowhere but other
 * pods here). Enforcement needs a network plugin that implements NetworkPolicy;
 * one that ignores it silently lets everything through.
 */
export class NetworkFence extends pulumi.ComponentResource {
    /** The NetworkPolicy's name. */
    public readonly policyName: pulumi.Output<string>;

    constructor(name: string, args: NetworkFenceArgs, opts?: pulumi.ComponentResourceOptions) {
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
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: {} }] }],
                },
            },
            { parent: this },
        );
        this.policyName = policy.metadata.name;
        this.registerOutputs({ policyName: this.policyName });
    }
}
