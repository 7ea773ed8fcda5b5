import * as pulumi from "@pulumi/pulumi";
import { MOCK_RANDOM_PASSWORD, asRegistered, ofType, resetMocks, valueOf } from "../mocks";
import { PostgresPod } from "../../components/postgresPod";
import { PodlabConfigError, parseMemoryBytes } from "../../components/validation";

beforeEach(() => resetMocks());

async function deploy(name: string, args: Partial<ConstructorParameters<typeof PostgresPod>[1]> = {}) {
    const pg = new PostgresPod(name, { namespace: "lab", ...args });
    await valueOf(pulumi.all([pg.podIp, pg.secretName]));
    const pod = ofType("kubernetes:core/v1:Pod").find((p) => p.name === `${name}-pod`)!;
    return { pg, pod, spec: pod.inputs.spec };
}

describe("PostgresPod", () => {
    it("exposes 5432 by default, with no hostPort and no host network", async () => {
        const { spec } = await deploy("postgres");
        expect(spec.containers).toHaveLength(1);
        expect(spec.containers[0].ports).toEqual([{ name: "postgres", containerPort: 5432, protocol: "TCP" }]);
        expect(spec.containers[0].ports[0].hostPort).toBeUndefined();
        expect(spec.hostNetwork).toBe(false);
    });

    it("tells postgres the configured port, and probes that port", async () => {
        const { spec } = await deploy("pg", { port: 6543 });
        const c = spec.containers[0];
        expect(c.ports[0].containerPort).toBe(6543);
        expect(c.env).toContainEqual({ name: "PGPORT", value: "6543" });
        expect(c.readinessProbe.exec.command).toContain("--port=6543");
        expect(c.livenessProbe.exec.command).toContain("--port=6543");
    });

    it("names children from the component so two instances never collide", async () => {
        await deploy("postgres");
        await deploy("postgres2");
        const names = [...ofType("kubernetes:core/v1:Pod"), ...ofType("kubernetes:core/v1:Secret")].map((r) => r.inputs.metadata.name);
        expect(names.sort()).toEqual(["postgres", "postgres-credentials", "postgres2", "postgres2-credentials"]);
        expect(new Set(ofType("random:index/randomPassword:RandomPassword").map((r) => r.name))).toEqual(
            new Set(["postgres-password", "postgres2-password"]),
        );
    });

    it("generates a password and passes it only through a secretKeyRef", async () => {
        const { pod } = await deploy("postgres");
        const env = pod.inputs.spec.containers[0].env;
        expect(env.find((e: any) => e.name === "POSTGRES_PASSWORD")).toEqual({
            name: "POSTGRES_PASSWORD",
            valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "password" } },
        });
        expect(JSON.stringify(pod.inputs)).not.toContain(MOCK_RANDOM_PASSWORD);
        const secret = ofType("kubernetes:core/v1:Secret")[0];
        expect(asRegistered(secret.inputs.stringData)).toEqual({ secret: true, value: { password: MOCK_RANDOM_PASSWORD } });
        expect(ofType("random:index/randomPassword:RandomPassword")[0].inputs).toMatchObject({ length: 24 });
    });

    it("uses a given password instead of generating one", async () => {
        const { pod } = await deploy("postgres", { password: pulumi.secret("given-password-123") });
        expect(ofType("random:index/randomPassword:RandomPassword")).toHaveLength(0);
        expect(asRegistered(ofType("kubernetes:core/v1:Secret")[0].inputs.stringData)).toEqual({
            secret: true,
            value: { password: "given-password-123" },
        });
        expect(JSON.stringify(pod.inputs)).not.toContain("given-password-123");
    });

    it("keeps data on an emptyDir subdirectory and runs as the image's numeric uid, restricted", async () => {
        const { spec } = await deploy("postgres");
        const c = spec.containers[0];
        expect(c.env).toContainEqual({ name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" });
        expect(c.volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/postgresql/data" });
        expect(spec.volumes).toContainEqual({ name: "data", emptyDir: { sizeLimit: "768Mi" } });
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(spec.securityContext).toMatchObject({ fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
        expect(c.resources.requests).toEqual({ cpu: "100m", memory: "256Mi", "ephemeral-storage": "256Mi" });
        expect(c.resources.limits).toEqual({ cpu: "1", memory: "512Mi", "ephemeral-storage": "1Gi" });
        expect(c.image).toBe("docker.io/library/postgres:17.6-bookworm");
    });

    it("bounds its disk use: every emptyDir has a sizeLimit, all within the container's ephemeral-storage limit", async () => {
        const { spec } = await deploy("postgres");
        const mib = (q: string) => parseMemoryBytes(q) / 2 ** 20;
        const sizes = spec.volumes.map((v: any) => v.emptyDir.sizeLimit as string);
        expect(sizes.every((q: string) => mib(q) > 0)).toBe(true);
        expect(sizes.reduce((n: number, q: string) => n + mib(q), 0)).toBeLessThanOrEqual(mib(spec.containers[0].resources.limits["ephemeral-storage"]));
    });

    it("carries the environment's extra labels on the pod and its Secret", async () => {
        await deploy("postgres", { labels: { "podlab.dev/course": "pods101" } });
        for (const r of [...ofType("kubernetes:core/v1:Pod"), ...ofType("kubernetes:core/v1:Secret")]) {
            expect(r.inputs.metadata.labels).toMatchObject({ "podlab.dev/course": "pods101", "app.kubernetes.io/part-of": "podlab" });
        }
    });

    it("refuses bad arguments before registering anything", () => {
        expect(() => new PostgresPod("pg", { namespace: "lab", image: "postgres" })).toThrow(PodlabConfigError);
        expect(() => new PostgresPod("pg", { namespace: "lab", port: 70000 })).toThrow("PostgresPod pg: port must be an integer port in 1-65535; got 70000");
        expect(() => new PostgresPod("Bad_Name", { namespace: "lab" })).toThrow('PostgresPod Bad_Name: podName must be an RFC 1123 label');
        expect(() => new PostgresPod("pg", { namespace: "lab", runAsUser: 0 })).toThrow("runAsUser must be a positive integer (non-root) id; got 0");
    });
});
