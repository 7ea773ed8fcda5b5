/**
 * The real-CLI check's program (policy/testdata/noncompliant) registers one
 * object per policy; this keeps its table honest without a CLI: each object
 * breaks its policy, with the message the check looks for, and no other.
 * Stack policies see all the objects at once and name the object they flag.
 */
import { policies } from "../../policy/policies";
import { NONCOMPLIANT_OBJECTS, describeNoncompliant, typeOf } from "../../policy/testdata/noncompliant/objects";
import { isStackPolicy, stackReports, urnOf, violations } from "./harness";

const resources = NONCOMPLIANT_OBJECTS.map((o) => ({ type: typeOf(o.manifest), name: o.name, props: o.manifest }));

/** Policy name to what it reports about one object of the program. */
function reportsOn(index: number): Record<string, string[]> {
    const resource = resources[index];
    const found = policies.map((p): [string, string[]] => [
        p.name,
        isStackPolicy(p) ? stackReports(p, resources).filter((r) => r.urn === urnOf(resource)).map((r) => r.message) : violations(p, resource),
    ]);
    return Object.fromEntries(found.filter(([, messages]) => messages.length > 0));
}

describe("the non-compliant test program", () => {
    it("has one object for every policy", () => {
        expect(NONCOMPLIANT_OBJECTS.map((o) => o.policy).sort()).toEqual(policies.map((p) => p.name).sort());
    });

    it("registers each object under its Kubernetes type token", () => {
        expect(resources.map((r) => r.type)).toEqual(
            expect.arrayContaining(["kubernetes:core/v1:Pod", "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:core/v1:Namespace"]),
        );
        expect(NONCOMPLIANT_OBJECTS.map(describeNoncompliant)).toEqual(expect.arrayContaining(["pod latest-image", "Role namespace-editor"]));
    });

    it.each(NONCOMPLIANT_OBJECTS.map((o, i) => [describeNoncompliant(o), o.policy, i] as const))("%s breaks %s and nothing else", (_, policy, i) => {
        const byPolicy = reportsOn(i);
        expect(Object.keys(byPolicy)).toEqual([policy]);
        expect(byPolicy[policy]).toEqual(expect.arrayContaining([expect.stringContaining(NONCOMPLIANT_OBJECTS[i].expected)]));
    });

    it("has stack policies name the object they flag, never just the stack", () => {
        for (const p of policies.filter(isStackPolicy)) {
            expect(stackReports(p, resources).filter((r) => r.urn === undefined)).toEqual([]);
        }
    });
});
