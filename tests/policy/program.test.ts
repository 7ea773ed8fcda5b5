/**
 * The program's own resources pass every policy: each resource policy runs on
 * every resource the mocked program registers, and each stack policy on all of
 * them at once, as the analyzer would at preview (where a stack policy sees the
 * planned objects, which are their inputs).
 */
import { fencedNamespaces } from "../../policy/policies/fencedNamespaces";
import { leastPrivilegeRbac } from "../../policy/policies/leastPrivilegeRbac";
import { podSpecsOf } from "../../policy/policies/podSpecs";
import { asRegistered, registered, runProgram } from "../mocks";
import { allViolations, stackViolations, violations } from "./harness";
import { noDuplicateContainerPorts } from "../../policy/policies/containerPorts";
import { NETWORK_WITH_API_SERVER } from "../apiServer";

/** Registered inputs as the analyzer sees them: secrets unwrapped to plain values. */
function plain(v: any): any {
    const { value } = asRegistered(v);
    if (Array.isArray(value)) {
        return value.map(plain);
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, plain(x)]));
    }
    return value;
}

const resources = () => registered.map((r) => ({ type: r.type, name: r.name, props: plain(r.inputs) }));
const kindOf = (r: { type: string }) => r.type.split(":")[2];

describe("the podlab program under the policy pack", () => {
    it.each([
        ["the default config", {}, 3],
        ["a sidecar port of its own", { sidecar: { sidecarPort: 9091 } }, 3],
        ["four postgres pods", { postgres: { count: 4 } }, 5],
        ["four postgres pods, a sidecar port and a moved nginx port", { postgres: { count: 4 }, sidecar: { nginxPort: 9090, sidecarPort: 8080 } }, 5],
        ["a workbench", { workbench: { enabled: true }, network: NETWORK_WITH_API_SERVER }, 4],
    ])("passes every policy with %s", async (_, config, pods) => {
        await runProgram(config);
        const all = resources();
        // Not vacuous: the pods, their namespace, its fences and the learner's RBAC all reach the policies.
        expect(all.flatMap(podSpecsOf)).toHaveLength(pods);
        expect(all.filter((r) => r.type.startsWith("kubernetes:")).map(kindOf)).toEqual(
            expect.arrayContaining(["Namespace", "Pod", "Secret", "ConfigMap", "NetworkPolicy", "ResourceQuota", "LimitRange", "ServiceAccount", "Role", "RoleBinding"]),
        );
        expect(all.flatMap(podSpecsOf).flatMap((p) => p.spec.volumes ?? []).filter((v: any) => v.emptyDir)).not.toHaveLength(0);
        expect(allViolations(all)).toEqual([]);
    });

    it("passes every policy in exercise mode: the workbench and the lesson's password", async () => {
        await runProgram({ mode: "exercise", workbench: { enabled: true }, network: NETWORK_WITH_API_SERVER });
        const all = resources();
        expect(all.flatMap(podSpecsOf).map((p) => p.metadata.name)).toEqual(["workbench"]);
        expect(all.filter((r) => r.type.startsWith("kubernetes:")).map(kindOf)).toEqual(
            expect.arrayContaining(["Namespace", "Pod", "Secret", "NetworkPolicy", "ResourceQuota", "LimitRange", "ServiceAccount", "Role", "RoleBinding"]),
        );
        expect(allViolations(all)).toEqual([]);
    });

    it("would catch the course's exercise had the program let it through", async () => {
        await runProgram({ sidecar: { sidecarPort: 9091 } });
        const sidecar = resources().find((r) => r.type === "kubernetes:core/v1:Pod" && r.props.metadata.name === "sidecar")!;
        sidecar.props.spec.containers[1].ports[0].containerPort = 8080;
        expect(violations(noDuplicateContainerPorts, sidecar)).toEqual([
            "pod podlab-unittest/sidecar: container sidecar: containerPort already declared by container nginx, in the same network namespace (8080/TCP)",
        ]);
    });

    it("would catch an environment left without one of its fences", async () => {
        await runProgram();
        const all = resources();
        for (const kind of ["NetworkPolicy", "ResourceQuota", "LimitRange", "ValidatingAdmissionPolicyBinding"]) {
            const found = stackViolations(fencedNamespaces, all.filter((r) => kindOf(r) !== kind));
            expect(found).not.toHaveLength(0);
            for (const message of found) {
                expect(message).toMatch(new RegExp(`^Namespace podlab-unittest: no ${kind} `));
            }
        }
    });

    it("would catch a learner Role that lets them relabel their namespace", async () => {
        await runProgram();
        const role = resources().find((r) => kindOf(r) === "Role")!;
        role.props.rules.push({ apiGroups: [""], resources: ["namespaces"], verbs: ["patch"] });
        expect(violations(leastPrivilegeRbac, role)).toEqual([
            `Role podlab-unittest/learner: rules[${role.props.rules.length - 1}] grants rights on namespaces, which would let a learner loosen a fence (verbs ["patch"])`,
        ]);
    });
});
