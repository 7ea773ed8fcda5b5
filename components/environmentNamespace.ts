import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FENCE_LABEL, FenceScope } from "./admissionFence";
import { PROJECT_LABELS, RESTRICTED_POD_SECURITY } from "./podSpec";
import { assertDnsLabel } from "./validation";

export interface EnvironmentNamespaceArgs {
    /** Kubernetes name of the namespace (an RFC 1123 label). Default: the component's name. */
    readonly namespaceName?: string;
    /** The Pulumi stack this environment belongs to, recorded as a label. */
    readonly stack: string;
    /** Extra labels (e.g. the course and learner). Default: none. Pod Security and podlab's own labels win over them. */
    readonly labels?: Readonly<Record<string, string>>;
    /** Which admission fence covers the namespace, as its `podlab.dev/fence` label (admissionFence.ts). Default: `stack`. */
    readonly fence?: FenceScope;
}

/** The type token of this component before it was renamed; stacks made then still hold it. */
export const LAB_NAMESPACE_TYPE = "podlab:index:LabNamespace";

/**
 * One learner's environment: a namespace that admits only pods meeting the
 * Pod Security `restricted` profile. Each stack gets its own, so several
 * environments share one cluster without touching each other. Its labels
 * also select it for an admission fence (admissionFence.ts). A learner has
 * no rights on namespaces (learnerAccess.ts), so cannot relabel theirs.
 */
export class EnvironmentNamespace extends pulumi.ComponentResource {
    /** The namespace's name, known once it exists. */
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: EnvironmentNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        const namespaceName = assertDnsLabel(`EnvironmentNamespace ${name}: namespaceName`, args.namespaceName ?? name);
        // Stacks made before the rename hold this component as LabNamespace. The alias adopts
        // it, and through it its Namespace (a child's URN names its parent's type), where the
        // new type alone would replace them: delete the learner's namespace and all in it.
        super("podlab:index:EnvironmentNamespace", name, {}, pulumi.mergeOptions(opts, { aliases: [{ type: LAB_NAMESPACE_TYPE }] }));
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
