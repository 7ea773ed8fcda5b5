import { PROJECT_LABELS as PROGRAM_LABELS } from "../../components/podSpec";
import { PROJECT_LABELS, PROJECT_LABELS_DEFAULTS, projectLabels as policy } from "../../policy/policies/projectLabels";
import { LABELS, goodContainer, pod, violations, workload } from "./harness";

/** An object `lab/obj` of the given type; a null namespace makes it cluster-scoped. */
const object = (type: string, labels?: Record<string, string>, namespace: string | null = "lab") => ({
    type,
    name: "res",
    props: { metadata: { name: "obj", namespace: namespace ?? undefined, labels } },
});

describe("project-labels", () => {
    it("uses the same labels as the program's PROJECT_LABELS", () => {
        expect(PROJECT_LABELS).toEqual(PROGRAM_LABELS);
        expect(LABELS).toEqual(PROGRAM_LABELS);
    });

    it.each(["kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Service"])(
        "passes a labelled %s and names what a bare one lacks",
        (type) => {
            const kind = type.split(":")[2];
            const ns = kind === "Namespace" ? null : "lab";
            const id = ns ? `lab/obj` : "obj";
            expect(violations(policy, object(type, { ...LABELS, extra: "ok" }, ns))).toEqual([]);
            expect(violations(policy, object(type, { "app.kubernetes.io/part-of": "other" }, ns))).toEqual([
                `${kind} ${id}: label app.kubernetes.io/part-of is not "podlab" ("other")`,
                `${kind} ${id}: label app.kubernetes.io/managed-by is not "pulumi" (unset)`,
            ]);
        },
    );

    it("checks a Pod's own labels", () => {
        expect(violations(policy, pod([goodContainer()]))).toEqual([]);
        expect(violations(policy, pod([goodContainer()], {}, { labels: { app: "web" } }))).toHaveLength(2);
    });

    it("checks a workload's pod template as well as the workload", () => {
        const deployment = workload("Deployment", [goodContainer()]);
        expect(violations(policy, deployment)).toEqual([]);
        deployment.props.spec.template.metadata.labels = { app: "web" };
        expect(violations(policy, deployment)).toEqual([
            'Deployment lab/web (pod template): label app.kubernetes.io/part-of is not "podlab" (unset)',
            'Deployment lab/web (pod template): label app.kubernetes.io/managed-by is not "pulumi" (unset)',
        ]);
    });

    it.each([
        ["a provider", "pulumi:providers:kubernetes"],
        ["another package", "random:index/randomPassword:RandomPassword"],
        ["a podlab component", "podlab:index:PostgresPod"],
        ["a yaml component", "kubernetes:yaml/v2:ConfigGroup"],
        ["a helm component", "kubernetes:helm.sh/v4:Chart"],
        ["a patch of an object podlab did not create", "kubernetes:core/v1:NamespacePatch"],
    ])("leaves %s alone", (_, type) => {
        expect(violations(policy, object(type))).toEqual([]);
    });

    it("requires the labels its config names", () => {
        const labelled = object("kubernetes:core/v1:ConfigMap", { ...LABELS });
        expect(violations(policy, labelled, { labels: { "podlab.dev/course": "k8s-101" } })).toEqual([
            'ConfigMap lab/obj: label podlab.dev/course is not "k8s-101" (unset)',
        ]);
    });

    it("documents its defaults in the config schema", () => {
        expect(policy.configSchema!.properties.labels.default).toEqual(PROJECT_LABELS_DEFAULTS.labels);
    });
});
