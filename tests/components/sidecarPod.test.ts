import { ofType, registered, resetMocks, valueOf } from "../mocks";
import { SIDECAR_DEFAULTS, SidecarPod } from "../../components/sidecarPod";
import { resolveStackConfig } from "../../components/stackConfig";

beforeEach(() => resetMocks());

async function deploy(args: Partial<ConstructorParameters<typeof SidecarPod>[1]> = {}) {
    const web = new SidecarPod("sidecar", { namespace: "lab", ...args });
    await valueOf(web.podIp);
    const pod = ofType("kubernetes:core/v1:Pod")[0];
    const byName = Object.fromEntries(pod.inputs.spec.containers.map((c: any) => [c.name, c]));
    return { web, pod, nginx: byName.nginx, sidecar: byName.sidecar };
}

describe("SidecarPod", () => {
    it("runs nginx and a curl sidecar in one pod", async () => {
        const { pod, nginx, sidecar } = await deploy();
        expect(pod.inputs.spec.containers.map((c: any) => c.name)).toEqual(["nginx", "sidecar"]);
        expect(nginx.image).toBe("docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine");
        expect(nginx.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        expect(sidecar.image).toBe("docker.io/curlimages/curl:8.11.1");
        expect(sidecar.ports).toEqual([]);
    });

    it("points the sidecar at localhost on the nginx port, and makes its readiness depend on it", async () => {
        const { web, sidecar } = await deploy();
        expect(web.sidecarTarget).toBe("http://localhost:8080/");
        expect(sidecar.env).toContainEqual({ name: "TARGET_URL", value: "http://localhost:8080/" });
        expect(sidecar.readinessProbe.exec.command).toContain("http://localhost:8080/");
        expect(sidecar.readinessProbe.exec.command[0]).toBe("curl");
        expect(sidecar.readinessProbe.exec.command).toContain("--fail");
    });

    it("runs the sidecar as a long-lived loop that logs each fetch, not a fixed sleep", async () => {
        const { sidecar } = await deploy();
        const script = sidecar.command[2] as string;
        expect(sidecar.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
        expect(script).toMatch(/while true; do/);
        expect(script).toMatch(/echo .*GET \$TARGET_URL/);
        expect(script).not.toMatch(/sleep 300/);
        expect(sidecar.env).toContainEqual({ name: "INTERVAL_SECONDS", value: "5" });
    });

    it("moves nginx, its probes, its config and the sidecar's target together when the port changes", async () => {
        const { nginx, sidecar } = await deploy({ nginxPort: 9090 });
        expect(nginx.ports[0].containerPort).toBe(9090);
        expect(nginx.readinessProbe.httpGet.port).toBe(9090);
        expect(sidecar.env).toContainEqual({ name: "TARGET_URL", value: "http://localhost:9090/" });
        expect(sidecar.readinessProbe.exec.command).toContain("http://localhost:9090/");
        const cm = ofType("kubernetes:core/v1:ConfigMap")[0];
        expect(cm.inputs.data["nginx.conf"]).toContain("listen 9090;");
        expect(cm.inputs.metadata.name).toBe("sidecar-nginx");
    });

    it("runs both containers non-root with numeric uids, resources and a read-only root", async () => {
        const { nginx, sidecar, pod } = await deploy();
        expect(nginx.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101, readOnlyRootFilesystem: true });
        expect(sidecar.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 100, readOnlyRootFilesystem: true });
        for (const c of [nginx, sidecar]) {
            expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
            expect(c.resources.limits).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
            expect(c.securityContext.capabilities).toEqual({ drop: ["ALL"] });
        }
        expect(pod.inputs.spec.automountServiceAccountToken).toBe(false);
    });

    it("refuses a sidecar port equal to the nginx port: one network namespace", () => {
        expect(() => new SidecarPod("web", { namespace: "lab", nginxPort: 8080, sidecarPort: 8080 })).toThrow(
            "SidecarPod web: sidecarPort 8080 is also SidecarPod web: nginxPort: the nginx and sidecar containers share one network namespace",
        );
        expect(ofType("kubernetes:core/v1:Pod")).toHaveLength(0);
    });

    it("takes each container's resources as podlab:sidecar.resources writes them, an amount left out taking its default", async () => {
        const { nginx, sidecar } = await deploy({ resources: { curl: { requests: { cpu: "20m" }, limits: { memory: "48Mi" } } } });
        expect(nginx.resources).toEqual(SIDECAR_DEFAULTS.resources.nginx);
        expect(sidecar.resources).toEqual({
            requests: { ...SIDECAR_DEFAULTS.resources.curl.requests, cpu: "20m" },
            limits: { ...SIDECAR_DEFAULTS.resources.curl.limits, memory: "48Mi" },
        });
    });

    it("checks its settings with the config's own check, naming its args: a request over its limit is refused before anything is registered", () => {
        const resources = { nginx: { requests: { cpu: "1" }, limits: { cpu: "500m" } } };
        expect(() => new SidecarPod("web", { namespace: "lab", resources })).toThrow("SidecarPod web: resources.nginx.requests.cpu 1 exceeds SidecarPod web: resources.nginx.limits.cpu 500m");
        expect(() => resolveStackConfig({ sidecar: { resources } }, { project: "podlab", stack: "dev" })).toThrow(
            "podlab:sidecar.resources.nginx.requests.cpu 1 exceeds podlab:sidecar.resources.nginx.limits.cpu 500m",
        );
        expect(registered).toHaveLength(0);
    });
});
