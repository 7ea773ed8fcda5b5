import { noDuplicateContainerPorts as policy } from "../../policy/policies/containerPorts";
import { goodContainer, pod, violations, workload } from "./harness";

const nginx = () => goodContainer({ name: "nginx", ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] });
const sidecar = (ports: any[]) => goodContainer({ name: "sidecar", ports });

describe("no-duplicate-container-ports", () => {
    it("passes two containers on distinct ports", () => {
        expect(violations(policy, pod([nginx(), sidecar([{ containerPort: 9090 }])]))).toEqual([]);
    });

    it("refuses the course's exercise: the sidecar declares nginx's port, naming pod, container, port and the first owner", () => {
        expect(violations(policy, pod([nginx(), sidecar([{ name: "sidecar", containerPort: 8080, protocol: "TCP" }])]))).toEqual([
            "pod lab/web: container sidecar: containerPort already declared by container nginx, in the same network namespace (8080/TCP)",
        ]);
    });

    it("takes a missing protocol as TCP", () => {
        expect(violations(policy, pod([nginx(), sidecar([{ containerPort: 8080 }])]))).toHaveLength(1);
    });

    it("passes the same port number on TCP and UDP", () => {
        expect(violations(policy, pod([nginx(), sidecar([{ containerPort: 8080, protocol: "UDP" }])]))).toEqual([]);
    });

    it("refuses one container declaring a port twice", () => {
        const c = goodContainer({ ports: [{ containerPort: 53, protocol: "UDP" }, { containerPort: 53, protocol: "UDP" }] });
        expect(violations(policy, pod([c]))).toEqual(["pod lab/web: container web: containerPort declared twice (53/UDP)"]);
    });

    it("counts a native sidecar (restartable init container) but not a run-to-completion init container", () => {
        const init = (restartPolicy?: string) => goodContainer({ name: "init", restartPolicy, ports: [{ containerPort: 8080 }] });
        expect(violations(policy, pod([nginx()], { initContainers: [init()] }))).toEqual([]);
        expect(violations(policy, pod([nginx()], { initContainers: [init("Always")] }))).toEqual([
            "pod lab/web: container nginx: containerPort already declared by container init, in the same network namespace (8080/TCP)",
        ]);
    });

    it("checks a Deployment's pod template", () => {
        expect(violations(policy, workload("Deployment", [nginx(), sidecar([{ containerPort: 9090 }])]))).toEqual([]);
        expect(violations(policy, workload("Deployment", [nginx(), sidecar([{ containerPort: 8080 }])]))).toEqual([
            "Deployment lab/web (pod template): container sidecar: containerPort already declared by container nginx, in the same network namespace (8080/TCP)",
        ]);
    });
});
