import * as pulumi from "@pulumi/pulumi";
import { ofType, registered, resetMocks, settle, valueOf } from "../mocks";
import { EnvironmentNamespace, LAB_NAMESPACE_TYPE } from "../../components/environmentNamespace";
import { RESTRICTED_POD_SECURITY } from "../../components/podSpec";

beforeEach(() => resetMocks());

/** The registration requests the program sends the (mock) resource monitor, as the engine would receive them. */
function recordRequests(): { requests: any[]; restore: () => void } {
    const monitor = pulumi.runtime.getMonitor() as any;
    const original = monitor.registerResource;
    const requests: any[] = [];
    monitor.registerResource = (req: any, callback: unknown) => {
        requests.push(req.toObject());
        return original.call(monitor, req, callback);
    };
    return { requests, restore: () => (monitor.registerResource = original) };
}

describe("EnvironmentNamespace", () => {
    it("makes a namespace under Pod Security restricted, labelled with its stack and fence, podlab's labels winning over extra ones", async () => {
        const ns = new EnvironmentNamespace("podlab-pods101-ada", {
            stack: "pods101-ada",
            fence: "course",
            labels: { "podlab.dev/course": "pods101", "pod-security.kubernetes.io/enforce": "privileged" },
        });
        expect(await valueOf(ns.name)).toBe("podlab-pods101-ada");
        const [namespace] = ofType("kubernetes:core/v1:Namespace");
        expect(namespace.name).toBe("podlab-pods101-ada-namespace");
        expect(namespace.inputs.metadata.labels).toMatchObject({
            ...RESTRICTED_POD_SECURITY,
            "podlab.dev/course": "pods101",
            "podlab.dev/stack": "pods101-ada",
            "podlab.dev/fence": "course",
            "app.kubernetes.io/part-of": "podlab",
        });
    });

    it("refuses a namespace name that is not an RFC 1123 label, before registering anything", () => {
        expect(() => new EnvironmentNamespace("Ada", { stack: "dev" })).toThrow('EnvironmentNamespace Ada: namespaceName must be an RFC 1123 label');
        expect(registered).toHaveLength(0);
    });

    it("carries an alias to its old type, LabNamespace, so a stack made before the rename keeps its namespace", async () => {
        const { requests, restore } = recordRequests();
        try {
            new EnvironmentNamespace("podlab-dev", { stack: "dev" });
            await settle();
        } finally {
            restore();
        }
        const component = requests.find((r) => r.type === "podlab:index:EnvironmentNamespace");
        // The same name, no other parent: only the type differs from the old URN.
        expect(component.aliasesList).toEqual([expect.objectContaining({ spec: expect.objectContaining({ type: LAB_NAMESPACE_TYPE, name: "", stack: "", project: "" }) })]);
        expect(LAB_NAMESPACE_TYPE).toBe("podlab:index:LabNamespace");
        // The Namespace inherits the alias through its parent (the engine derives its old URN from the parent's).
        const child = requests.find((r) => r.type === "kubernetes:core/v1:Namespace");
        expect(child.parent).toBe("urn:pulumi:unittest::podlab::podlab:index:EnvironmentNamespace::podlab-dev");
    });
});
