import { MOCK_RANDOM_PASSWORD, ofType, registered, runProgram } from "./mocks";
import { LESSON_PASSWORD_SECRET } from "../components/lessonPassword";
import { WORKBENCH_SHELL } from "../components/workbench";
import { NETWORK_WITH_API_SERVER } from "./apiServer";

describe("the podlab program", () => {
    it("exports every pod's own IP, distinct, keyed by the course's pod names", async () => {
        const out = await runProgram();
        expect(Object.keys(out.podIps).sort()).toEqual(["postgres", "postgres2", "sidecar"]);
        const ips = Object.values(out.podIps);
        expect(new Set(ips).size).toBe(3);
        // The IPs are the ones the (mock) cluster reported for each pod.
        const pods = ofType("kubernetes:core/v1:Pod").map((p) => p.inputs.metadata.name);
        expect(pods.sort()).toEqual(["postgres", "postgres2", "sidecar"]);
    });

    it("puts both postgres pods on containerPort 5432 in one namespace, without hostPort", async () => {
        const out = await runProgram();
        expect(out.namespace).toBe("podlab-unittest");
        for (const name of ["postgres", "postgres2"]) {
            const pod = ofType("kubernetes:core/v1:Pod").find((p) => p.inputs.metadata.name === name)!;
            expect(pod.inputs.metadata.namespace).toBe("podlab-unittest");
            expect(pod.inputs.spec.containers[0].ports).toEqual([{ name: "postgres", containerPort: 5432, protocol: "TCP" }]);
            expect(out.pods[name]).toEqual({ containers: [{ name: "postgres", image: "docker.io/library/postgres:17.6-bookworm", ports: [5432] }] });
        }
        expect(JSON.stringify(ofType("kubernetes:core/v1:Pod").map((p) => p.inputs))).not.toContain("hostPort");
    });

    it("labels the namespace to enforce Pod Security restricted", async () => {
        await runProgram();
        const ns = ofType("kubernetes:core/v1:Namespace");
        expect(ns).toHaveLength(1);
        expect(ns[0].inputs.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "restricted",
            "app.kubernetes.io/part-of": "podlab",
            "podlab.dev/stack": "unittest",
        });
    });

    it("exports secret names and learner commands, never a password", async () => {
        const out = await runProgram({ postgresPassword: "config-password-xyz" }, ["postgresPassword"]);
        expect(out.postgresSecrets).toEqual({ postgres: "postgres-credentials", postgres2: "postgres2-credentials" });
        expect(out.commands.sidecarCurl).toBe("kubectl -n podlab-unittest exec sidecar -c sidecar -- curl -s http://localhost:8080/");
        expect(out.commands.psql.postgres2).toContain(`psql -h ${out.podIps.postgres2} -p 5432 -U postgres`);
        expect(out.commands.psql.postgres2).toContain("get secret postgres2-credentials");
        expect(JSON.stringify(out)).not.toContain("config-password-xyz");
        // The configured password replaces the generated one, and reaches pods only by reference.
        expect(ofType("random:index/randomPassword:RandomPassword")).toHaveLength(0);
        expect(JSON.stringify(ofType("kubernetes:core/v1:Pod").map((p) => p.inputs))).not.toContain("config-password-xyz");
    });

    it("keeps generated passwords out of pod specs and outputs", async () => {
        const out = await runProgram();
        expect(ofType("random:index/randomPassword:RandomPassword")).toHaveLength(2);
        expect(JSON.stringify(out)).not.toContain(MOCK_RANDOM_PASSWORD);
        expect(JSON.stringify(ofType("kubernetes:core/v1:Pod").map((p) => p.inputs))).not.toContain(MOCK_RANDOM_PASSWORD);
    });

    it("moves the sidecar's target with the nginx port set in config", async () => {
        const out = await runProgram({ sidecar: { nginxPort: 9090 } });
        const pod = ofType("kubernetes:core/v1:Pod").find((p) => p.inputs.metadata.name === "sidecar")!;
        const sidecar = pod.inputs.spec.containers.find((c: any) => c.name === "sidecar");
        expect(sidecar.env).toContainEqual({ name: "TARGET_URL", value: "http://localhost:9090/" });
        expect(out.pods.sidecar.containers[0].ports).toEqual([9090]);
        expect(out.commands.sidecarCurl).toContain("localhost:9090");
    });

    it("scales postgres pods with the configured count", async () => {
        const out = await runProgram({ postgres: { count: 4 } });
        expect(Object.keys(out.podIps).sort()).toEqual(["postgres", "postgres2", "postgres3", "postgres4", "sidecar"]);
        expect(new Set(Object.values(out.podIps)).size).toBe(5);
    });

    it("fences every environment: learner access, a quota with room for its pods, a limit range, a same-namespace-only policy", async () => {
        const out = await runProgram({ postgres: { count: 3 } });
        const inNamespace = (type: string) => ofType(type).filter((r) => r.inputs.metadata.namespace === "podlab-unittest");
        expect(inNamespace("kubernetes:core/v1:ServiceAccount")).toHaveLength(1);
        expect(inNamespace("kubernetes:rbac.authorization.k8s.io/v1:Role")).toHaveLength(1);
        expect(inNamespace("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")).toHaveLength(1);
        expect(inNamespace("kubernetes:core/v1:LimitRange")).toHaveLength(1);
        expect(inNamespace("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(1);
        const [quota] = inNamespace("kubernetes:core/v1:ResourceQuota");
        // 3 postgres pods + the sidecar pod + 2 extra pods for the learner's own
        expect(quota.inputs.spec.hard.pods).toBe("6");
        expect(out.quota).toEqual(quota.inputs.spec.hard);
        expect(out.access).toEqual({ serviceAccount: "learner" });
        // Every container asks for ephemeral storage, and every emptyDir is bounded.
        for (const pod of ofType("kubernetes:core/v1:Pod")) {
            for (const c of pod.inputs.spec.containers) {
                expect(c.resources.requests["ephemeral-storage"]).toBeDefined();
                expect(c.resources.limits["ephemeral-storage"]).toBeDefined();
            }
            for (const v of pod.inputs.spec.volumes.filter((v: any) => v.emptyDir)) {
                expect(v.emptyDir.sizeLimit).toBeDefined();
            }
        }
    });

    it("a single stack makes its own admission fence, named after and selecting its namespace only", async () => {
        await runProgram();
        const [ns] = ofType("kubernetes:core/v1:Namespace");
        expect(ns.inputs.metadata.labels["podlab.dev/fence"]).toBe("stack");
        const [policy] = ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
        const [binding] = ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
        expect(policy.inputs.metadata.name).toBe("podlab-fence-stack-podlab-unittest");
        expect(binding.inputs.spec.matchResources.namespaceSelector.matchLabels).toEqual({ "kubernetes.io/metadata.name": "podlab-unittest", "podlab.dev/fence": "stack" });
        // The namespace's default ServiceAccount, which every pod runs as, mounts no token.
        const [patch] = ofType("kubernetes:core/v1:ServiceAccountPatch");
        expect(patch.inputs).toMatchObject({ metadata: { name: "default", namespace: "podlab-unittest" }, automountServiceAccountToken: false });
    });

    it("a course's learner makes none: the course's fence covers its namespace, selected by the course label", async () => {
        await runProgram({ fence: "course", labels: { "podlab.dev/course": "pods101", "podlab.dev/learner": "ada" } });
        expect(ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")).toHaveLength(0);
        expect(ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")).toHaveLength(0);
        const [ns] = ofType("kubernetes:core/v1:Namespace");
        expect(ns.inputs.metadata.labels).toMatchObject({ "podlab.dev/fence": "course", "podlab.dev/course": "pods101" });
    });

    it("podlab's own pods keep every admission rule: default ServiceAccount, no token, no host in probes, only allowed volumes", async () => {
        await runProgram();
        for (const pod of ofType("kubernetes:core/v1:Pod")) {
            const spec = pod.inputs.spec;
            expect(spec.serviceAccountName ?? "default").toBe("default");
            expect(spec.automountServiceAccountToken).toBe(false);
            expect(spec.priorityClassName).toBeUndefined();
            expect(pod.inputs.metadata.finalizers).toBeUndefined();
            expect(spec.terminationGracePeriodSeconds).toBeLessThanOrEqual(30);
            expect(JSON.stringify(spec)).not.toMatch(/"host"|hostAliases|nodeName|tolerations|dnsConfig|runtimeClassName/);
            for (const v of spec.volumes) {
                expect(Object.keys(v).filter((k) => k !== "name")).toEqual([expect.stringMatching(/^(emptyDir|configMap|secret|downwardAPI)$/)]);
            }
        }
    });

    it("puts the environment's extra labels on every Kubernetes object", async () => {
        await runProgram({ labels: { "podlab.dev/course": "pods101", "podlab.dev/learner": "ada" } });
        // Not a patch of an object podlab does not own (the namespace's default ServiceAccount): its labels would claim it.
        const objects = registered.filter((r) => r.type.startsWith("kubernetes:") && !r.type.endsWith("Patch"));
        expect(objects.length).toBeGreaterThanOrEqual(12);
        for (const o of objects) {
            const labels = o.inputs.metadata.labels ?? {};
            expect(`${o.type} ${o.name}: ${labels["podlab.dev/course"]} ${labels["podlab.dev/learner"]}`).toBe(`${o.type} ${o.name}: pods101 ada`);
        }
    });

    it("makes no workbench unless asked, and one in the environment's namespace when asked, counted by the quota", async () => {
        const plain = await runProgram();
        expect(plain.workbench).toBeUndefined();
        expect(ofType("kubernetes:core/v1:Pod").map((p) => p.inputs.metadata.name)).not.toContain("workbench");
        const out = await runProgram({ workbench: { enabled: true }, network: NETWORK_WITH_API_SERVER });
        expect(out.workbench).toEqual({ pod: "workbench", container: "workbench", shell: WORKBENCH_SHELL });
        expect(out.mode).toBe("environment");
        expect(ofType("kubernetes:core/v1:Pod").map((p) => p.inputs.metadata.name).sort()).toEqual(["postgres", "postgres2", "sidecar", "workbench"]);
        // 2 postgres pods + the sidecar pod + the workbench + 2 extra pods
        expect(out.quota.pods).toBe("6");
        expect(out.quota["requests.memory"]).toBe(`${2 * 256 + 32 + 16 + 64 + 2 * 64}Mi`);
    });

    it("lets the workbench alone reach the API server, where the config says how pods get there", async () => {
        const policies = () => ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
        await runProgram({ network: { apiServer: { url: "https://10.245.0.1:6444" } } });
        expect(policies()).toHaveLength(1);
        await runProgram({ workbench: { enabled: true }, network: { apiServer: { url: "https://10.245.0.1:6444" } } });
        const allowance = policies().find((p) => p.spec.podSelector.matchLabels?.["podlab.dev/workbench"] === "true");
        expect(allowance?.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: "10.245.0.1/32" } }], ports: [{ protocol: "TCP", port: 6444 }] }]);
    });

    it("in exercise mode makes the fences, the workbench and the password the lesson's files refer to, and none of the lesson's pods", async () => {
        const out = await runProgram({ mode: "exercise", workbench: { enabled: true }, postgres: { count: 3 }, network: NETWORK_WITH_API_SERVER }, []);
        expect(out.mode).toBe("exercise");
        expect(ofType("kubernetes:core/v1:Pod").map((p) => p.inputs.metadata.name)).toEqual(["workbench"]);
        expect(out.podIps).toEqual({});
        expect(out.pods).toEqual({});
        expect(out.lesson).toEqual({ passwordSecret: LESSON_PASSWORD_SECRET });
        const secrets = ofType("kubernetes:core/v1:Secret").map((s) => s.inputs.metadata.name);
        expect(secrets).toEqual([LESSON_PASSWORD_SECRET]);
        for (const type of ["ServiceAccount", "LimitRange", "ResourceQuota"]) {
            expect(ofType(`kubernetes:core/v1:${type}`)).toHaveLength(1);
        }
        expect(ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(2);
        // Room for what the steps have the learner make (two postgres pods, whatever the count, and the
        // sidecar pod), the workbench and 2 extra pods.
        expect(out.quota.pods).toBe("6");
        expect(out.quota["limits.memory"]).toBe(`${2 * 512 + 64 + 32 + 256 + 2 * 128}Mi`);
    });

    it("lets the workbench alone reach the API server, where config says how pods reach it (the learner's kubectl there)", async () => {
        const apiServer = { url: "https://10.245.0.1:6444" };
        await runProgram({ mode: "exercise", workbench: { enabled: true }, network: { dns: "none", apiServer } }, []);
        const policies = ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs.spec);
        expect(policies).toHaveLength(2);
        expect(policies).toContainEqual({
            podSelector: { matchLabels: { "podlab.dev/workbench": "true" } },
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "10.245.0.1/32" } }], ports: [{ protocol: "TCP", port: 6444 }] }],
        });
        // Without a workbench no pod reaches it; a workbench without the API server's address is refused (below).
        await runProgram({ network: { dns: "none", apiServer } });
        expect(ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toHaveLength(1);
    });

    it.each([
        [{ postgres: { count: 0 } }, "podlab:postgres.count must be an integer in 1-100; got 0"],
        [{ mode: "exercise" }, "podlab:mode exercise needs podlab:workbench.enabled true"],
        // Its kubectl would have no address to reach, and the network fence no allowance for it.
        [{ workbench: { enabled: true } }, "podlab:workbench.enabled true needs podlab:network.apiServer.url"],
        [{ sidecar: { name: "postgres" } }, 'duplicate pod name "postgres"'],
        [{ namespace: "Bad Namespace" }, 'podlab:namespace must be an RFC 1123 label'],
        [{ postgres: { image: "postgres:latest" } }, "podlab:postgres.image must not use the 'latest' tag"],
        [{ fence: "none" }, 'podlab:fence must be one of stack, course; got "none"'],
        [{ fence: "course" }, "podlab:fence course needs podlab:labels.podlab.dev/course"],
        // A misspelt top-level key would otherwise be read by no one: the stack would come up with the defaults.
        [{ postgress: { count: 3 } }, "podlab:postgress is not a podlab setting; did you mean podlab:postgres?"],
        [{ qouta: { extraPods: 1 } }, "podlab:qouta is not a podlab setting; did you mean podlab:quota?"],
        [{ tracing: true }, "podlab:tracing is not a podlab setting (known: podlab:namespace"],
    ])("registers nothing when config is invalid: %j", async (config, message) => {
        await expect(runProgram(config)).rejects.toThrow(message);
        expect(registered).toHaveLength(0);
    });
});
