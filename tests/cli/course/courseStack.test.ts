import { ofType, resetMocks, settle, valueOf } from "../../mocks";
import { courseProgram } from "../../../cli/course/courseStack";
import { courseStackName, parseRoster } from "../../../cli/course/roster";
import { LAB_BASE_CONFIG } from "../../apiServer";

beforeEach(() => resetMocks());

describe("the course-level stack", () => {
    it("is named so no learner's stack can take its name (course and learner names hold no '.')", () => {
        expect(courseStackName("pods101")).toBe("pods101.course");
        const roster = parseRoster("course: pods101\nlearners: [ada, course]\n", "r.yaml", { now: new Date(), baseConfig: LAB_BASE_CONFIG });
        expect(roster.learners.map((l) => l.stack)).not.toContain(courseStackName("pods101"));
    });

    it("holds the course's admission fence over every namespace with the course's label and fence: course, which every learner's gets", async () => {
        const outputs = await courseProgram("pods101", ["grace", "ada", "grace"])();
        expect(await valueOf(outputs.policyName as any)).toBe("podlab-fence-course-pods101");
        // The course's membership (records.ts reads it), each learner once.
        expect(outputs.learners).toEqual(["ada", "grace"]);
        await settle();
        const [policy] = ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
        const [binding] = ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
        expect(policy.inputs.metadata.labels["podlab.dev/course"]).toBe("pods101");
        expect(binding.inputs.spec.matchResources.namespaceSelector.matchLabels).toEqual({ "podlab.dev/course": "pods101", "podlab.dev/fence": "course" });
        const roster = parseRoster("course: pods101\nlearners: [ada]\n", "r.yaml", { now: new Date(), baseConfig: LAB_BASE_CONFIG });
        expect(roster.learners[0].config).toMatchObject({ fence: "course", labels: { "podlab.dev/course": "pods101" } });
        // Nothing else: no namespace, no pods.
        expect(ofType("kubernetes:core/v1:Namespace")).toHaveLength(0);
    });
});
