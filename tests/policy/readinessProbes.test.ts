import { readinessProbes as policy } from "../../policy/policies/readinessProbes";
import { goodContainer, pod, violations, workload } from "./harness";

const noProbe = (name = "sidecar") => goodContainer({ name, image: "docker.io/curlimages/curl:8.11.1", readinessProbe: undefined });

describe("readiness-probes", () => {
    it("passes long-running containers with a probe", () => {
        const exec = goodContainer({ name: "sidecar", readinessProbe: { exec: { command: ["curl", "-f", "http://localhost:8080/"] } } });
        expect(violations(policy, pod([goodContainer(), exec]))).toEqual([]);
    });

    it("refuses a long-running container without one, naming pod, container and image", () => {
        expect(violations(policy, pod([goodContainer(), noProbe()]))).toEqual([
            'pod lab/web: container sidecar: no readinessProbe (image "docker.io/curlimages/curl:8.11.1")',
        ]);
    });

    it("refuses a probe without a handler", () => {
        expect(violations(policy, pod([goodContainer({ readinessProbe: { periodSeconds: 5 } })]))).toEqual([
            'pod lab/web: container web: readinessProbe has no exec, httpGet, tcpSocket or grpc handler ({"periodSeconds":5})',
        ]);
    });

    it.each(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"])("checks a %s's containers", (kind) => {
        expect(violations(policy, workload(kind, [goodContainer()]))).toEqual([]);
        expect(violations(policy, workload(kind, [noProbe()]))).toHaveLength(1);
    });

    it.each(["Job", "CronJob"])("leaves a %s's containers alone: they run to completion", (kind) => {
        expect(violations(policy, workload(kind, [noProbe()]))).toEqual([]);
    });

    it("leaves init containers alone", () => {
        expect(violations(policy, pod([goodContainer()], { initContainers: [noProbe("init")] }))).toEqual([]);
    });
});
