import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { STEP_IDS, lessonSteps } from "../../../cli/lesson/steps";
import { exercisePods } from "../../../cli/lesson/manifests";
import { LESSON_PASSWORD_SECRET } from "../../../components/lessonPassword";
import { quotaHard } from "../../../components/environmentQuota";
import { RESOURCE_NAMES } from "../../../components/podSpec";
import { StackConfig, resolveStackConfig } from "../../../components/stackConfig";
import { parseCpuMillis, parseMemoryBytes } from "../../../components/validation";
import { allViolations } from "../../policy/harness";
import { labImageRef } from "../../labImages";
import { NETWORK_WITH_API_SERVER } from "../../apiServer";

const ctx = { project: "podlab", stack: "c-ada" };
/** The lab stack's config (its images), as the course starts every learner from it on the lab. */
const LAB = Object.fromEntries(
    Object.entries((yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "..", "Pulumi.lab.yaml"), "utf8")) as { config: Record<string, unknown> }).config).map(([k, v]) => [k.replace(/^podlab:/, ""), v]),
);

function exercise(over: Record<string, unknown> = {}): StackConfig {
    return resolveStackConfig({ ...LAB, network: { ...(LAB.network as object), ...NETWORK_WITH_API_SERVER }, mode: "exercise", workbench: { ...(LAB.workbench as object), enabled: true }, namespace: "podlab-c-ada", ...over }, ctx);
}

/** Every file the steps offer, parsed. */
function offeredPods(config: StackConfig): Array<{ file: string; pod: any }> {
    return lessonSteps(config).flatMap((s) => Object.entries(s.files).map(([file, text]) => ({ file, pod: yaml.load(text) as any })));
}

/**
 * The checks of the Pod Security `restricted` profile (Kubernetes 1.32) that a
 * pod's manifest alone decides: baseline's host namespaces, privileged, host
 * ports and paths, capabilities and seccomp, then restricted's volume types,
 * privilege escalation, non-root, capabilities and seccomp.
 */
function podSecurityRestricted(pod: any): string[] {
    const spec = pod.spec;
    const found: string[] = [];
    const psc = spec.securityContext ?? {};
    for (const k of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (spec[k]) {
            found.push(`${k} is set`);
        }
    }
    const allowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
    for (const v of spec.volumes ?? []) {
        const kind = Object.keys(v).filter((k) => k !== "name");
        if (!kind.every((k) => allowedVolumes.includes(k))) {
            found.push(`volume ${v.name} is ${kind.join(",")}`);
        }
    }
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const sc = c.securityContext ?? {};
        if (sc.privileged) {
            found.push(`${c.name}: privileged`);
        }
        if (sc.allowPrivilegeEscalation !== false) {
            found.push(`${c.name}: allowPrivilegeEscalation is not false`);
        }
        if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) {
            found.push(`${c.name}: runAsNonRoot is not true`);
        }
        const uid = sc.runAsUser ?? psc.runAsUser;
        if (uid === 0 || uid === undefined) {
            found.push(`${c.name}: runAsUser is ${uid} (a numeric non-root uid lets the kubelet check runAsNonRoot on any image)`);
        }
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) {
            found.push(`${c.name}: capabilities do not drop ALL`);
        }
        if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== "NET_BIND_SERVICE")) {
            found.push(`${c.name}: adds capabilities`);
        }
        const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
        if (!["RuntimeDefault", "Localhost"].includes(seccomp)) {
            found.push(`${c.name}: seccomp ${seccomp}`);
        }
        if ((c.ports ?? []).some((p: any) => p.hostPort)) {
            found.push(`${c.name}: hostPort`);
        }
    }
    return found;
}

describe("the lesson's steps", () => {
    it.each(["exercise", "environment"] as const)("are the same five steps, in order, in %s mode", (mode) => {
        const config = mode === "exercise" ? exercise() : resolveStackConfig({ ...LAB, namespace: "podlab-c-ada" }, ctx);
        const steps = lessonSteps(config);
        expect(steps.map((s) => s.id)).toEqual([...STEP_IDS]);
        for (const s of steps) {
            expect(s.title).not.toBe("");
            expect(s.paragraphs.length).toBeGreaterThan(0);
            expect(s.commands.length).toBeGreaterThan(0);
            // Commands run in the learner's own namespace: the workbench's kubeconfig names it, so none says -n.
            expect(s.commands.filter((c) => /\s-n\s|--namespace/.test(c))).toEqual([]);
        }
    });

    it("in exercise mode offer one file per pod to make, each applied by the step's own command", () => {
        const steps = lessonSteps(exercise());
        expect(steps.map((s) => Object.keys(s.files))).toEqual([["postgres-pod.yaml"], ["postgres2-pod.yaml"], ["nginx-with-sidecar.yaml"], [], []]);
        for (const s of steps) {
            for (const file of Object.keys(s.files)) {
                expect(s.commands[0]).toBe(`kubectl apply -f ${file}`);
            }
        }
        expect(offeredPods(exercise()).map(({ pod }) => `${pod.kind} ${pod.metadata.name}`)).toEqual(["Pod postgres", "Pod postgres2", "Pod nginx-with-sidecar"]);
        expect(steps[3].commands).toEqual(["kubectl exec -it nginx-with-sidecar -c sidecar -- sh", "curl -s http://localhost:8080/", "exit"]);
        expect(steps[1].commands).toContain(`kubectl exec postgres2 -- psql -h "$POSTGRES_IP" -p 5432 -U postgres -c 'select inet_server_addr(), inet_server_port()'`);
    });

    it("offer files that pass Pod Security restricted, every policy of the pack, and the fences' rules (no token, bounded emptyDirs, read-only root)", () => {
        for (const { file, pod } of offeredPods(exercise())) {
            expect(`${file}: ${podSecurityRestricted(pod).join("; ")}`).toBe(`${file}: `);
            // projectLabels is advisory and about podlab's own objects: a learner's pod is not podlab's.
            const resource = { type: "kubernetes:core/v1:Pod", name: file, props: { ...pod, metadata: { ...pod.metadata, namespace: "podlab-c-ada" } } };
            expect(allViolations([resource]).filter((v) => !v.startsWith("project-labels:"))).toEqual([]);
            expect(pod.spec.automountServiceAccountToken).toBe(false);
            for (const v of pod.spec.volumes) {
                expect(`${v.name} ${v.emptyDir?.sizeLimit}`).toMatch(/^\S+ \d+Mi$/);
            }
            for (const c of pod.spec.containers) {
                expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
                for (const r of RESOURCE_NAMES) {
                    expect(c.resources.requests[r]).toBeDefined();
                    expect(c.resources.limits[r]).toBeDefined();
                }
            }
        }
    });

    it("would catch a file Pod Security refuses (the checks above are not vacuous)", () => {
        const [{ pod }] = offeredPods(exercise());
        const c = pod.spec.containers[0];
        delete c.securityContext.allowPrivilegeEscalation;
        c.securityContext.capabilities = { add: ["NET_ADMIN"] };
        delete pod.spec.securityContext.runAsUser;
        pod.spec.volumes.push({ name: "host", hostPath: { path: "/" } });
        expect(podSecurityRestricted(pod)).toEqual([
            "volume host is hostPath",
            "postgres: allowPrivilegeEscalation is not false",
            "postgres: runAsUser is undefined (a numeric non-root uid lets the kubelet check runAsNonRoot on any image)",
            "postgres: capabilities do not drop ALL",
            "postgres: adds capabilities",
        ]);
    });

    it("take the images the cluster has (the lab's, by the names images.sh builds) and the course's ports, uids and resources", () => {
        const config = exercise();
        const [pg, pg2, web] = offeredPods(config).map((x) => x.pod);
        for (const p of [pg, pg2]) {
            const c = p.spec.containers[0];
            expect(c.image).toBe(labImageRef("postgres"));
            expect(c.ports).toEqual([{ containerPort: 5432 }]);
            expect(p.spec.securityContext.runAsUser).toBe(999);
            expect(c.resources).toEqual(config.postgres.resources);
        }
        expect(web.spec.containers.map((c: any) => [c.name, c.image, c.securityContext.runAsUser])).toEqual([
            ["nginx", labImageRef("nginx"), 101],
            ["sidecar", labImageRef("curl"), 100],
        ]);
        expect(web.spec.containers[0].ports).toEqual([{ containerPort: 8080 }]);
        // Another cluster: the public images, another port.
        const elsewhere = resolveStackConfig({ mode: "exercise", workbench: { enabled: true }, network: NETWORK_WITH_API_SERVER, postgres: { port: 6543 } }, ctx);
        const [pub] = offeredPods(elsewhere).map((x) => x.pod);
        expect(pub.spec.containers[0].image).toBe("docker.io/library/postgres:17.6-bookworm");
        expect(pub.spec.containers[0].ports).toEqual([{ containerPort: 6543 }]);
        expect(pub.spec.containers[0].env).toContainEqual({ name: "PGPORT", value: "6543" });
        expect(lessonSteps(elsewhere)[1].commands.join("\n")).toContain("-p 6543");
    });

    it("write no password in any file: postgres takes it from the Secret podlab made", () => {
        for (const { pod } of offeredPods(exercise()).slice(0, 2)) {
            const env = pod.spec.containers[0].env;
            for (const name of ["POSTGRES_PASSWORD", "PGPASSWORD"]) {
                expect(env.find((e: any) => e.name === name)).toEqual({ name, valueFrom: { secretKeyRef: { name: LESSON_PASSWORD_SECRET, key: "password" } } });
            }
            expect(env.filter((e: any) => e.value !== undefined).map((e: any) => e.name)).toEqual(["PGPORT", "PGDATA"]);
        }
    });

    it("offer pods that fit the quota podlab sizes for an exercise, before any extra pod", () => {
        const config = exercise();
        const pods = offeredPods(config).map((x) => x.pod.spec.containers.map((c: any) => c.resources));
        const workbench = [config.workbench.resources];
        // What index.ts asks of EnvironmentQuota in exercise mode, with no room for extra pods.
        const hard = quotaHard([[config.postgres.resources], [config.postgres.resources], [config.sidecar.resources.nginx, config.sidecar.resources.curl], workbench], 0);
        const used: Record<string, number> = {};
        for (const containers of [...pods, workbench]) {
            for (const c of containers) {
                for (const kind of ["requests", "limits"] as const) {
                    for (const r of RESOURCE_NAMES) {
                        const key = `${kind}.${r}`;
                        used[key] = (used[key] ?? 0) + (r === "cpu" ? parseCpuMillis(c[kind][r]) : parseMemoryBytes(c[kind][r]));
                    }
                }
            }
        }
        for (const [key, amount] of Object.entries(used)) {
            const limit = key.endsWith(".cpu") ? parseCpuMillis(hard[key]) : parseMemoryBytes(hard[key]);
            expect(`${key} ${amount <= limit}`).toBe(`${key} true`);
        }
        expect(Number(hard.pods)).toBe(pods.length + 1);
    });

    it("in environment mode point at the pods podlab made, by the course's names", () => {
        const config = resolveStackConfig({ namespace: "podlab-c-ada", postgres: { baseName: "db" }, sidecar: { name: "web" } }, ctx);
        const steps = lessonSteps(config);
        expect(steps.every((s) => Object.keys(s.files).length === 0)).toBe(true);
        expect(steps[0].commands).toContain("kubectl describe pod db");
        expect(steps[1].commands.join("\n")).toContain("kubectl exec db2 -- env PGPASSWORD=\"$(kubectl get secret db-credentials");
        expect(steps[3].commands[0]).toBe("kubectl exec -it web -c sidecar -- sh");
        expect(exercisePods(exercise({ postgres: { baseName: "db" } }))).toEqual({ postgres: ["db", "db2"], sidecar: "nginx-with-sidecar" });
    });
});
