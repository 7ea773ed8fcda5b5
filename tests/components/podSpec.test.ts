import { assertNoPortConflicts, container, podLabels, podSpec, restrictedSecurityContext } from "../../components/podSpec";

const resources = { requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" }, limits: { cpu: "100m", memory: "32Mi", "ephemeral-storage": "32Mi" } };
const probe = { exec: { command: ["true"] } };

function web(name: string, port: number) {
    return container({ name, image: "nginx:1.27", uid: 101, ports: [{ name: "http", containerPort: port }], resources, readinessProbe: probe });
}

describe("container()", () => {
    it("applies the restricted security context with a numeric uid", () => {
        const c = web("nginx", 8080);
        expect(c.securityContext).toEqual(restrictedSecurityContext(101, 101));
        expect(c.securityContext).toMatchObject({
            runAsNonRoot: true,
            runAsUser: 101,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(c.resources).toEqual(resources);
        expect(c.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    });
});

describe("podSpec()", () => {
    it("is non-root, with no token, no host network and no service links", () => {
        const spec = podSpec("p", { containers: [web("nginx", 8080)], fsGroup: 101 });
        expect(spec).toMatchObject({
            securityContext: { runAsNonRoot: true, fsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            hostNetwork: false,
        });
    });
    it("refuses two containers on one containerPort, naming pod, port and containers", () => {
        expect(() => podSpec("web", { containers: [web("a", 8080), web("b", 8080)], fsGroup: 101 })).toThrow(
            'pod web: duplicate containerPort "8080/TCP": container a and container b (containers in one pod share one network namespace)',
        );
    });
    it("allows the same port number on different protocols", () => {
        const udp = { ...web("b", 8080), ports: [{ containerPort: 8080, protocol: "UDP" }] };
        expect(() => assertNoPortConflicts("web", [web("a", 8080), udp])).not.toThrow();
    });
    it("refuses a hostPort", () => {
        const withHostPort = { ...web("a", 8080), ports: [{ containerPort: 8080, hostPort: 8080 }] };
        expect(() => assertNoPortConflicts("web", [withHostPort])).toThrow("pod web: container a declares hostPort 8080");
    });
    it("refuses duplicate container names", () => {
        expect(() => podSpec("web", { containers: [web("a", 1), web("a", 2)], fsGroup: 1 })).toThrow('duplicate container name in pod web: "a"');
    });
});

describe("podLabels()", () => {
    it("carries the app.kubernetes.io labels and the project's labels", () => {
        expect(podLabels("postgres", "postgres2", "database")).toEqual({
            "app.kubernetes.io/name": "postgres",
            "app.kubernetes.io/instance": "postgres2",
            "app.kubernetes.io/component": "database",
            "app.kubernetes.io/part-of": "podlab",
            "app.kubernetes.io/managed-by": "pulumi",
        });
    });
});
