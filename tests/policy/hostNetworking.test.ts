import { noHostPortsOrHostNetwork as policy } from "../../policy/policies/hostNetworking";
import { goodContainer, pod, violations, workload } from "./harness";

describe("no-host-ports-or-host-network", () => {
    it("passes a pod on its own network with container ports only (hostNetwork false, hostPort 0 meaning unset)", () => {
        const c = goodContainer({ ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 0 }] });
        expect(violations(policy, pod([c], { hostNetwork: false }))).toEqual([]);
    });

    it("refuses a hostPort, naming pod, container and both ports", () => {
        const c = goodContainer({ ports: [{ containerPort: 8080, hostPort: 80 }] });
        expect(violations(policy, pod([c]))).toEqual(["pod lab/web: container web: hostPort binds a port on the node (hostPort 80 for containerPort 8080)"]);
    });

    it("refuses hostNetwork", () => {
        expect(violations(policy, pod([goodContainer()], { hostNetwork: true }))).toEqual([
            "pod lab/web: hostNetwork puts the pod on the node's network (hostNetwork true)",
        ]);
    });

    it("checks init containers and workload templates", () => {
        const init = goodContainer({ name: "init", ports: [{ containerPort: 5000, hostPort: 5000 }] });
        expect(violations(policy, workload("DaemonSet", [goodContainer()], { initContainers: [init] }))).toEqual([
            "DaemonSet lab/web (pod template): container init: hostPort binds a port on the node (hostPort 5000 for containerPort 5000)",
        ]);
        expect(violations(policy, workload("DaemonSet", [goodContainer()]))).toEqual([]);
    });
});
