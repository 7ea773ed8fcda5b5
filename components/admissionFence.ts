import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ADMISSION_RULES, AdmissionRuleOptions, messageExpression, staticMessage, validationExpression } from "./admissionRules";
import { PROJECT_LABELS } from "./podSpec";
import { PodlabConfigError, assertIntInRange } from "./validation";

/**
 * The label on every environment's namespace that says which admission fence
 * covers it: `stack` (the stack's own policy, a single `pulumi up`) or
 * `course` (the course's policy, from the course-level stack).
 */
export const FENCE_LABEL = "podlab.dev/fence";
export type FenceScope = "stack" | "course";
export const FENCE_SCOPES: readonly FenceScope[] = ["stack", "course"];

/** The name of a single stack's policy and binding: from its namespace, which is unique in the cluster. */
export function stackFenceName(namespace: string): string {
    return `podlab-fence-stack-${namespace}`;
}

/** The name of a course's policy and binding (never equal to a stack's: "course-" vs "stack-"). */
export function courseFenceName(course: string): string {
    return `podlab-fence-course-${course}`;
}

/** Defaults of {@link AdmissionFenceArgs}, stated once. */
export const ADMISSION_FENCE_DEFAULTS: AdmissionRuleOptions = {
    allowedPriorityClasses: [],
    // The kubelet's own default: a pod that ignores SIGTERM is killed within it.
    maxGracePeriodSeconds: 30,
};

export interface AdmissionFenceArgs {
    /**
     * Labels (all of them) that select the namespaces the rules apply to. Required and
     * never empty: an empty selector would put every namespace of the cluster, kube-system
     * included, under a learner's rules.
     */
    readonly namespaceSelector: Readonly<Record<string, string>>;
    /** PriorityClasses a pod may name. Default: none (a cluster with a globalDefault PriorityClass must list it). */
    readonly allowedPriorityClasses?: readonly string[];
    /** The longest terminationGracePeriodSeconds a pod may ask for, 0-300. Default: 30. */
    readonly maxGracePeriodSeconds?: number;
    /** Extra labels on both objects (e.g. the course). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The rules of admissionRules.ts as one ValidatingAdmissionPolicy and its
 * binding: the API server itself refuses a pod in a selected namespace that
 * breaks one, naming the rule (no webhook server to run). Both objects are
 * cluster-scoped and named after the component, so the component's name must
 * come from what owns them (a stack's namespace, a course) and be unique in
 * the cluster.
 */
export class AdmissionFence extends pulumi.ComponentResource {
    /** The ValidatingAdmissionPolicy's (and its binding's) name. */
    public readonly policyName: pulumi.Output<string>;

    constructor(name: string, args: AdmissionFenceArgs, opts?: pulumi.ComponentResourceOptions) {
        if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
            throw new PodlabConfigError(`AdmissionFence ${name}: the name must be a DNS subdomain (it names cluster-scoped objects); got ${JSON.stringify(name)}`);
        }
        if (Object.keys(args.namespaceSelector).length === 0) {
            throw new PodlabConfigError(`AdmissionFence ${name}: namespaceSelector is empty; it would select every namespace of the cluster`);
        }
        const options: AdmissionRuleOptions = {
            allowedPriorityClasses: [...(args.allowedPriorityClasses ?? ADMISSION_FENCE_DEFAULTS.allowedPriorityClasses)],
            maxGracePeriodSeconds: assertIntInRange(`AdmissionFence ${name}: maxGracePeriodSeconds`, args.maxGracePeriodSeconds ?? ADMISSION_FENCE_DEFAULTS.maxGracePeriodSeconds, 0, 300),
        };
        super("podlab:index:AdmissionFence", name, {}, opts);
        const metadata = {
            name,
            labels: { ...args.labels, ...PROJECT_LABELS, "app.kubernetes.io/name": "admission-fence", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "isolation" },
        };
        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-policy`, { metadata, spec: admissionPolicySpec(options) }, { parent: this });
        new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            `${name}-binding`,
            {
                metadata,
                spec: {
                    // The name itself rather than the policy's output, so the policy pack can match the two during a preview.
                    policyName: name,
                    validationActions: ["Deny"],
                    matchResources: { namespaceSelector: { matchLabels: { ...args.namespaceSelector } } },
                },
            },
            { parent: this, dependsOn: [policy] },
        );
        this.policyName = policy.metadata.name;
        this.registerOutputs({ policyName: this.policyName });
    }
}

/**
 * The policy's spec: pods created, and pods updated (ephemeral containers are
 * added by an update of the pods/ephemeralcontainers subresource). Status
 * updates (pods/status) and deletions are not matched, so the kubelet and
 * graceful deletion are never held up. Fail closed: a rule the API server
 * cannot evaluate refuses the pod.
 */
export function admissionPolicySpec(options: AdmissionRuleOptions): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods", "pods/ephemeralcontainers"] }],
        },
        validations: ADMISSION_RULES.map((rule) => ({
            expression: validationExpression(rule, options),
            messageExpression: messageExpression(rule, options),
            message: staticMessage(rule, options),
            reason: "Forbidden",
        })),
    };
}
