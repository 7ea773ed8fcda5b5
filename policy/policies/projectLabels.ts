import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describeObject, labelProblems, parseKubernetesType, podSpecsOf } from "./podSpecs";
import { labelMapSetting } from "./settings";

/**
 * The labels every podlab object carries. The same values as `PROJECT_LABELS`
 * in components/podSpec.ts: the pack does not import the program it checks, and
 * a root test asserts the two are equal so they cannot drift.
 */
export const PROJECT_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/part-of": "podlab",
    "app.kubernetes.io/managed-by": "pulumi",
};

/** Configuration of {@link projectLabels}. */
export interface ProjectLabelsConfig {
    /** Label name to required value. Default: {@link PROJECT_LABELS}. */
    labels: Record<string, string>;
}

export const PROJECT_LABELS_DEFAULTS: ProjectLabelsConfig = { labels: { ...PROJECT_LABELS } };

/** Type groups that are Pulumi components (no object of their own), not Kubernetes objects. */
const COMPONENT_GROUPS = new Set(["yaml", "helm.sh", "kustomize"]);

/**
 * Every Kubernetes object the stack creates carries the project's labels, and
 * so does every workload's pod template (the pods it creates are podlab's too),
 * so `kubectl get all -l app.kubernetes.io/part-of=podlab` finds a whole lab.
 * `*Patch` and `*List` kinds change or group objects podlab did not create, and
 * are not checked.
 */
export const projectLabels: ResourceValidationPolicy = {
    name: "project-labels",
    description: "Every podlab Kubernetes object carries the project's labels (app.kubernetes.io/part-of: podlab, app.kubernetes.io/managed-by: pulumi).",
    // Advisory: labels are bookkeeping, not safety, and a lab may reasonably add objects
    // from a course's upstream manifests that carry their own labels.
    enforcementLevel: "advisory",
    severity: "low",
    configSchema: {
        properties: {
            labels: labelMapSetting("Label name to the value every object must carry.", PROJECT_LABELS_DEFAULTS.labels),
        },
    },
    validateResource: (args, reportViolation) => {
        const t = parseKubernetesType(args.type);
        if (!t || COMPONENT_GROUPS.has(t.group) || t.kind.endsWith("Patch") || t.kind.endsWith("List")) {
            return;
        }
        const { labels: required } = { ...PROJECT_LABELS_DEFAULTS, ...args.getConfig<Partial<ProjectLabelsConfig>>() };
        const check = (what: string, labels: any) => {
            for (const problem of labelProblems(labels, required)) {
                reportViolation(`${what}: ${problem}`);
            }
        };
        check(describeObject(args), args.props?.metadata?.labels);
        for (const pod of podSpecsOf(args)) {
            if (pod.kind !== "Pod") {
                check(pod.describe, pod.metadata?.labels);
            }
        }
    },
};
