/**
 * The real-CLI check's program (policy/testdata/noncompliant) registers one pod
 * per policy; this keeps its table honest without a CLI: each pod breaks its
 * policy, with the message the check looks for, and no other.
 */
import { policies } from "../../policy/policies";
import { NONCOMPLIANT_PODS } from "../../policy/testdata/noncompliant/pods";
import { violations } from "./harness";

describe("the non-compliant test program", () => {
    it("has one pod for every policy", () => {
        expect(NONCOMPLIANT_PODS.map((p) => p.policy).sort()).toEqual(policies.map((p) => p.name).sort());
    });

    it.each(NONCOMPLIANT_PODS.map((p) => [p.name, p.policy, p] as const))("pod %s breaks %s and nothing else", (_, __, pod) => {
        const resource = { type: "kubernetes:core/v1:Pod", name: pod.name, props: pod.manifest };
        const byPolicy = Object.fromEntries(policies.map((p) => [p.name, violations(p, resource)]).filter(([, found]) => found.length > 0));
        expect(Object.keys(byPolicy)).toEqual([pod.policy]);
        expect(byPolicy[pod.policy]).toEqual(expect.arrayContaining([expect.stringContaining(pod.expected)]));
    });
});
