/**
 * The program's own resources pass every policy: each policy runs on every
 * resource the mocked program registers, as the analyzer would at preview.
 */
import { podSpecsOf } from "../../policy/policies/podSpecs";
import { asRegistered, registered, runProgram } from "../mocks";
import { allViolations, violations } from "./harness";
import { noDuplicateContainerPorts } from "../../policy/policies/containerPorts";

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

describe("the podlab program under the policy pack", () => {
    it.each([
        ["the default config", {}, 3],
        ["a sidecar port of its own", { sidecar: { sidecarPort: 9091 } }, 3],
        ["four postgres pods", { postgres: { count: 4 } }, 5],
        ["four postgres pods, a sidecar port and a moved nginx port", { postgres: { count: 4 }, sidecar: { nginxPort: 9090, sidecarPort: 8080 } }, 5],
    ])("passes every policy with %s", async (_, config, pods) => {
        await runProgram(config);
        const all = resources();
        // Not vacuous: the pods, their namespace, Secrets and ConfigMap all reach the policies.
        expect(all.flatMap(podSpecsOf)).toHaveLength(pods);
        expect(all.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type.split(":")[2])).toEqual(
            expect.arrayContaining(["Namespace", "Pod", "Secret", "ConfigMap"]),
        );
        expect(all.flatMap((r) => allViolations(r))).toEqual([]);
    });

    it("would catch the course's exercise had the program let it through", async () => {
        await runProgram({ sidecar: { sidecarPort: 9091 } });
        const sidecar = resources().find((r) => r.type === "kubernetes:core/v1:Pod" && r.props.metadata.name === "sidecar")!;
        sidecar.props.spec.containers[1].ports[0].containerPort = 8080;
        expect(violations(noDuplicateContainerPorts, sidecar)).toEqual([
            "pod podlab-unittest/sidecar: container sidecar: containerPort already declared by container nginx, in the same network namespace (8080/TCP)",
        ]);
    });
});
