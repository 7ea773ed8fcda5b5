import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FENCE_LABEL, FenceScope } from "./admissionFence";
import { PROJECT_LABELS } from "./podSpec";
import { assertDnsLabel } from "./validation";

export interface LabNamespaceArgs {
    /** Kubernetes name of the namespace (an RFC 1123 label). Default: the component's name. */
    readonly namespaceName?: string;
    /** The Pulumi stack this environment belongs to, recorded as a label. */
    readonly stack: string;
    /** Extra labels (e.g. the course and learner). Default: none. Pod Security and podlab's own labels win over them. */
    readonly labels?: Readonly<Record<string, string>>;
    /** Which admission fence covers the namespace, as its `podlab.dev/fence` label (admissionFence.ts). Default: `stack`. */
    readonly fence?: FenceScope;
}

/** Pod Security admission labels: enforce, audit and warn at the `restricted` level. */
export const RESTRICTED_POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
} as const;

/**
 * One learner's environment: a namespace that admits only pods meeting the
 * Pod Security `restricted` profile. Each stack gets its own, so several
 * environments share one cluster without touching each other. Its labels
 * also select it for an admission fence (admissionFence.ts). A learner has
 * no rights on namespaces (learnerAccess.ts), so cannot relabel theirs.
 */
export class LabNamespace extends pulumi.ComponentResource {
    /** The namespace's name, known once it exists. */
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: LabNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        const namespaceName = assertDnsLabel(`LabNamespace ${name}: namespaceName`, args.namespaceName ?? name);
        super("podlab:index:LabNamespace", name, {}, opts);
        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: namespaceName,
                    labels: {
                        ...args.labels,
                        ...RESTRICTED_POD_SECURITY,
                        ...PROJECT_LABELS,
                        "app.kubernetes.io/instance": namespaceName,
                        "podlab.dev/stack": args.stack,
                        [FENCE_LABEL]: args.fence ?? "stack",
                    },
                },
            },
            { parent: this },
        );
        this.name = ns.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
