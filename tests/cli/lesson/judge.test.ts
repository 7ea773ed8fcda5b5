import {
    FileTrial,
    LessonEvent,
    Observed,
    imageName,
    judgeLocalhost,
    judgePostgres,
    judgeSandboxes,
    judgeSecondPostgres,
    judgeSidecar,
    learnersPods,
    notReady,
} from "../../../cli/lesson/judge";
import { KubePod } from "../../../cli/kubePod";
import { CriView } from "../../../cli/cri";

const NS = "podlab-c-ada";
const PG_IMAGE = "podlab.local/postgres:15-deb12";
let uid = 0;

function container(name: string, image: string, ports: number[] = []) {
    return { name, image, ports: ports.map((containerPort) => ({ containerPort, protocol: "TCP" })) };
}

/** A pod as the API server returns it: Running and Ready unless `status` says otherwise. */
function pod(name: string, containers: KubePod["spec"]["containers"], status: Partial<NonNullable<KubePod["status"]>> = {}, labels: Record<string, string> = {}): KubePod {
    const ready = status.phase === undefined || status.phase === "Running";
    return {
        metadata: { name, namespace: NS, uid: `uid-${name}-${++uid}`, labels },
        spec: { nodeName: "podlab-node", containers },
        status: {
            phase: "Running",
            podIP: `10.245.0.${10 + uid}`,
            conditions: [
                { type: "PodScheduled", status: "True" },
                { type: "Ready", status: ready ? "True" : "False" },
            ],
            containerStatuses: containers.map((c) => ({ name: c.name, ready, restartCount: 0, state: { running: {} } })),
            ...status,
        },
    };
}

const postgres = (name = "postgres", port = 5432, status: Partial<NonNullable<KubePod["status"]>> = {}) => pod(name, [container("postgres", PG_IMAGE, [port])], status);
const workbench = () => pod("workbench", [container("workbench", "podlab.local/workbench:1.32-deb12")], {}, { "podlab.dev/workbench": "true" });
const sidecarPod = (status: Partial<NonNullable<KubePod["status"]>> = {}) =>
    pod("nginx-with-sidecar", [container("nginx", "podlab.local/nginx:1.22-deb12", [8080]), container("sidecar", "podlab.local/curl:7.88-deb12")], status);
const observed = (pods: KubePod[], events: LessonEvent[] = [], logs: Observed["logs"] = {}): Observed => ({ pods: [workbench(), ...pods], events, logs });

describe("recognising the learner's pods by what they are", () => {
    it("reads an image's name without registry, tag or digest", () => {
        expect(imageName("podlab.local/postgres:15-deb12")).toBe("postgres");
        expect(imageName("docker.io/library/postgres:17.6-bookworm")).toBe("postgres");
        expect(imageName("registry:5000/team/nginx-unprivileged@sha256:" + "a".repeat(64))).toBe("nginx-unprivileged");
    });

    it("leaves out podlab's workbench and pods being deleted", () => {
        const going = { ...postgres("old"), metadata: { ...postgres("old").metadata, deletionTimestamp: "2026-12-04T21:00:00Z" } };
        expect(learnersPods(observed([postgres(), going]).pods).map((p) => p.metadata.name)).toEqual(["postgres"]);
    });

    it("judges any pod that runs postgres on the port, whatever its name (podlab's environment pods too)", () => {
        const v = judgePostgres(observed([postgres("my-db")]), 5432);
        expect(v.status).toBe("pass");
        expect(v.summary).toMatch(/^my-db is Running at 10\.245\.0\.\d+, its postgres container declaring containerPort 5432\.$/);
    });
});

describe("step 1: a postgres pod on 5432", () => {
    it("no pod yet: says so, with the learner's file refused by Pod Security, quoted", () => {
        const trial: FileTrial = {
            file: "postgres-pod.yaml",
            found: true,
            dryRun: {
                exitCode: 1,
                stdout: "",
                stderr: 'Error from server (Forbidden): error when creating "STDIN": pods "postgres" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "postgres" must set securityContext.allowPrivilegeEscalation=false)\n',
            },
        };
        const v = judgePostgres(observed([]), 5432, trial);
        expect(v.status).toBe("fail");
        expect(v.summary).toBe("No postgres pod yet: your namespace has no pods of yours. Kubernetes refuses your postgres-pod.yaml: fix what it says (or start again from the step's file), then apply it.");
        expect(v.evidence).toEqual([
            'kubectl create --dry-run=server -f postgres-pod.yaml: Error from server (Forbidden): error when creating "STDIN": pods "postgres" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "postgres" must set securityContext.allowPrivilegeEscalation=false)',
        ]);
    });

    it("no pod and no file: says where to save it", () => {
        const v = judgePostgres(observed([pod("hello", [container("hello", "podlab.local/busybox:1.35-deb12")])]), 5432, { file: "postgres-pod.yaml", found: false });
        expect(v.summary).toMatch(/^No postgres pod yet: your namespace has only hello \(Running at 10\.245\.0\.\d+; hello: podlab\.local\/busybox:1\.35-deb12\)\. Save postgres-pod\.yaml in the workbench's home directory and run kubectl apply -f postgres-pod\.yaml\.$/);
        expect(v.evidence).toEqual(["no postgres-pod.yaml in the workbench's home directory"]);
    });

    it("a file that would be accepted: tells the learner to apply it", () => {
        const v = judgePostgres(observed([]), 5432, { file: "postgres-pod.yaml", found: true, dryRun: { exitCode: 0, stdout: "pod/postgres created (server dry run)\n", stderr: "" } });
        expect(v.summary).toContain("Your postgres-pod.yaml would be accepted: run kubectl apply -f postgres-pod.yaml.");
    });

    it("a postgres pod without the port: names what it declares", () => {
        expect(judgePostgres(observed([postgres("postgres", 5433)]), 5432).summary).toBe("postgres runs postgres but declares containerPort 5433, not 5432: add containerPort 5432 to its container.");
        const none = pod("postgres", [{ name: "postgres", image: PG_IMAGE }]);
        expect(judgePostgres(observed([none]), 5432).summary).toBe("postgres runs postgres but declares no containerPort, not 5432: add containerPort 5432 to its container.");
    });

    it("an image the cluster does not have: quotes the kubelet", () => {
        const stuck = pod("postgres", [container("postgres", "docker.io/library/postgres:17.6-bookworm", [5432])], {
            phase: "Pending",
            podIP: "10.245.0.40",
            containerStatuses: [
                {
                    name: "postgres",
                    ready: false,
                    restartCount: 0,
                    state: { waiting: { reason: "ErrImageNeverPull", message: 'Container image "docker.io/library/postgres:17.6-bookworm" is not present with pull policy of Never' } },
                },
            ],
        });
        const events: LessonEvent[] = [
            { type: "Warning", reason: "ErrImageNeverPull", message: 'Container image "docker.io/library/postgres:17.6-bookworm" is not present with pull policy of Never', count: 3, involvedObject: { name: "postgres", uid: stuck.metadata.uid }, lastTimestamp: "2026-12-04T21:00:03Z" },
            { type: "Normal", reason: "Scheduled", message: "Successfully assigned", involvedObject: { name: "postgres", uid: stuck.metadata.uid } },
        ];
        const v = judgePostgres(observed([stuck], events), 5432);
        expect(v.status).toBe("fail");
        expect(v.summary).toBe("postgres cannot start: container postgres's image docker.io/library/postgres:17.6-bookworm is not on this cluster (ErrImageNeverPull). Use the image the step's file names.");
        expect(v.evidence).toEqual([
            'container postgres: ErrImageNeverPull: Container image "docker.io/library/postgres:17.6-bookworm" is not present with pull policy of Never',
            'event on pod postgres: ErrImageNeverPull: Container image "docker.io/library/postgres:17.6-bookworm" is not present with pull policy of Never (x3)',
        ]);
    });

    it("a crash: quotes the container's last log lines", () => {
        const crashing = postgres("postgres", 5432, {
            conditions: [{ type: "Ready", status: "False" }],
            containerStatuses: [
                {
                    name: "postgres",
                    ready: false,
                    restartCount: 4,
                    state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } },
                    lastState: { terminated: { reason: "Error", exitCode: 1 } },
                },
            ],
        });
        const logs = { postgres: { postgres: "Error: Database is uninitialized and superuser password is not specified.\n       You must specify POSTGRES_PASSWORD to a non-empty value for the\n       superuser.\n" } };
        const v = judgePostgres(observed([crashing], [], logs), 5432);
        expect(v.summary).toBe("postgres's container postgres keeps stopping (exit code 1, Error): its last log lines say why.");
        expect(v.evidence).toEqual([
            "postgres log: Error: Database is uninitialized and superuser password is not specified.",
            "postgres log:        You must specify POSTGRES_PASSWORD to a non-empty value for the",
            "postgres log:        superuser.",
        ]);
    });

    it("Running but not Ready yet, and Pending on a node: says which, with Kubernetes' events", () => {
        const starting = postgres("postgres", 5432, { conditions: [{ type: "Ready", status: "False" }], containerStatuses: [{ name: "postgres", ready: false, restartCount: 0, state: { running: {} } }] });
        const probe: LessonEvent = { type: "Warning", reason: "Unhealthy", message: "Readiness probe failed: /var/run/postgresql:5432 - no response", involvedObject: { name: "postgres", uid: starting.metadata.uid } };
        const v = judgePostgres(observed([starting], [probe]), 5432);
        expect(v.summary).toBe("postgres is Running but not Ready yet: postgres has not passed its readiness probe. Give it a few seconds.");
        expect(v.evidence).toEqual(["event on pod postgres: Unhealthy: Readiness probe failed: /var/run/postgresql:5432 - no response"]);
        const unscheduled = postgres("postgres", 5432, {
            phase: "Pending",
            podIP: undefined,
            conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: 1 Insufficient memory." }],
            containerStatuses: [],
        });
        expect(notReady(unscheduled, []).summary).toBe("postgres is Pending: no node can take it yet (Unschedulable).");
    });
});

describe("step 2: a second postgres pod beside the first", () => {
    const psqlOk = (ip: string) => ({ exitCode: 0, stdout: ` inet_server_addr | inet_server_port \n------------------+------------------\n ${ip}      |             5432\n(1 row)\n\n`, stderr: "" });

    it("one pod: asks for the second, with what Kubernetes says of its file", () => {
        const v = judgeSecondPostgres(observed([postgres()]), 5432, undefined, { file: "postgres2-pod.yaml", found: true, dryRun: { exitCode: 1, stdout: "", stderr: 'Error from server (Forbidden): error when creating "STDIN": pods "postgres2" is forbidden: exceeded quota: environment, requested: limits.memory=512Mi, used: limits.memory=1088Mi, limited: limits.memory=1344Mi\n' } });
        expect(v.status).toBe("fail");
        expect(v.summary).toMatch(/^You have one postgres pod on 5432 \(postgres at 10\.245\.0\.\d+\); the step needs a second one beside it\. Kubernetes refuses your postgres2-pod\.yaml/);
        expect(v.evidence[0]).toContain("exceeded quota: environment, requested: limits.memory=512Mi");
    });

    it("both Running at their own IPs and psql from one reaches the other: pass, quoting the server's answer", () => {
        const [a, b] = [postgres("postgres"), postgres("postgres2")];
        const v = judgeSecondPostgres(observed([a, b]), 5432, { from: "postgres2", to: "postgres", ip: a.status!.podIP!, port: 5432, outcome: psqlOk(a.status!.podIP!) });
        expect(v.status).toBe("pass");
        expect(v.summary).toBe(`postgres at ${a.status!.podIP} and postgres2 at ${b.status!.podIP}, both on 5432: psql in postgres2 reached postgres at ${a.status!.podIP}:5432, and the server answered as ${a.status!.podIP}:5432.`);
    });

    it("psql refused: fails with psql's words", () => {
        const [a, b] = [postgres("postgres"), postgres("postgres2")];
        const outcome = { exitCode: 2, stdout: "", stderr: `psql: error: connection to server at "${a.status!.podIP}", port 5432 failed: FATAL:  password authentication failed for user "postgres"\ncommand terminated with exit code 2\n` };
        const v = judgeSecondPostgres(observed([a, b]), 5432, { from: "postgres2", to: "postgres", ip: a.status!.podIP!, port: 5432, outcome });
        expect(v.status).toBe("fail");
        expect(v.evidence[0]).toContain('password authentication failed for user "postgres"');
    });

    it("the second one still starting: explains that one", () => {
        const waiting = postgres("postgres2", 5432, { phase: "Pending", containerStatuses: [{ name: "postgres", ready: false, state: { waiting: { reason: "ContainerCreating" } } }] });
        expect(judgeSecondPostgres(observed([postgres(), waiting]), 5432).summary).toBe("postgres is Running; postgres2 is Pending (ContainerCreating): still starting.");
    });

    it("two pods reporting one IP fail", () => {
        const a = postgres("postgres");
        const b = postgres("postgres2", 5432, { podIP: a.status!.podIP });
        expect(judgeSecondPostgres(observed([a, b]), 5432).summary).toBe(`postgres and postgres2 report the same IP ${a.status!.podIP}: each pod should have its own.`);
    });
});

describe("step 3: nginx and a curl sidecar in one pod", () => {
    it("passes for a pod with both, Ready", () => {
        expect(judgeSidecar(observed([sidecarPod()])).summary).toMatch(/^nginx-with-sidecar is Running at 10\.245\.0\.\d+: nginx \(nginx\) and sidecar \(curl\) in one pod\.$/);
    });

    it("nginx alone, or the sidecar in a pod of its own, is not the lesson", () => {
        const nginx = pod("web", [container("nginx", "podlab.local/nginx:1.22-deb12", [8080])]);
        const curl = pod("curl", [container("curl", "podlab.local/curl:7.88-deb12")]);
        expect(judgeSidecar(observed([nginx, curl])).summary).toBe("web runs nginx, but no curl container beside it in the same pod: the sidecar goes in the same pod's containers list.");
        expect(judgeSidecar(observed([]), { file: "nginx-with-sidecar.yaml", found: false }).summary).toBe(
            "No pod with nginx and a curl sidecar yet. Save nginx-with-sidecar.yaml in the workbench's home directory and run kubectl apply -f nginx-with-sidecar.yaml.",
        );
    });
});

describe("step 4: curl from the sidecar reaches nginx at localhost", () => {
    const headers = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n";

    it("passes on nginx's 200, naming the server", () => {
        const v = judgeLocalhost(observed([sidecarPod()]), { pod: "nginx-with-sidecar", container: "sidecar", url: "http://localhost:8080/", outcome: { exitCode: 0, stdout: headers, stderr: "" } });
        expect(v.status).toBe("pass");
        expect(v.summary).toBe("From the sidecar container of nginx-with-sidecar, http://localhost:8080/ answered 200 (nginx/1.22.1): nginx, in the other container, on the pod's shared localhost.");
    });

    it("fails with curl's words when nothing listens", () => {
        const outcome = { exitCode: 7, stdout: "", stderr: "curl: (7) Failed to connect to localhost port 8080 after 0 ms: Couldn't connect to server\ncommand terminated with exit code 7\n" };
        const v = judgeLocalhost(observed([sidecarPod()]), { pod: "nginx-with-sidecar", container: "sidecar", url: "http://localhost:8080/", outcome });
        expect(v.status).toBe("fail");
        expect(v.summary).toContain("did not answer 200: curl: (7) Failed to connect to localhost port 8080");
    });

    it("without the pod of step 3, says to make it first", () => {
        expect(judgeLocalhost(observed([])).summary).toBe("First the pod with nginx and its curl sidecar, Running (step 3): No pod with nginx and a curl sidecar yet.");
    });
});

describe("step 5: each pod's sandbox holds its network namespace", () => {
    const readAt = new Date("2026-12-04T21:00:00Z");
    function criFor(pods: KubePod[], tweak: (c: { sandboxes: any[]; containers: any[] }) => void = () => undefined): CriView {
        const sandboxes = pods.map((p) => ({ id: `sb-${p.metadata.name}-0123456789`, podUid: p.metadata.uid, podName: p.metadata.name, namespace: NS, state: "SANDBOX_READY", ip: p.status?.podIP, pid: 4242 }));
        const containers = pods.flatMap((p) => p.spec.containers.map((c) => ({ id: `c-${c.name}`, name: c.name, podUid: p.metadata.uid, sandboxId: `sb-${p.metadata.name}-0123456789`, state: "CONTAINER_RUNNING" })));
        const view = { sandboxes, containers };
        tweak(view);
        return { visible: true, source: "crictl", ...view };
    }

    it("not possible where the runtime cannot be seen, and says why", () => {
        const v = judgeSandboxes(observed([postgres(), sidecarPod()]), 5432, { visible: false, reason: "the KWOK lab's node is simulated: it runs no containers and has no container runtime" }, readAt);
        expect(v).toEqual({ status: "not-possible", summary: "The sandboxes cannot be looked at here: the KWOK lab's node is simulated: it runs no containers and has no container runtime.", evidence: [] });
    });

    it("passes when every lesson pod has one sandbox holding its IP with its containers in it (the workbench and other pods are not judged)", () => {
        const pods = [postgres(), postgres("postgres2"), sidecarPod()];
        const other = pod("hello", [container("hello", "podlab.local/busybox:1.35-deb12")]);
        const v = judgeSandboxes(observed([...pods, other]), 5432, criFor(pods), readAt);
        expect(v.status).toBe("pass");
        expect(v.summary).toBe("3 pods, 3 sandboxes: each holds its pod's network namespace and IP, and every container of the pod runs in it.");
        expect(v.evidence.find((e) => e.startsWith("nginx-with-sidecar:"))).toMatch(/^nginx-with-sidecar: one sandbox sb-nginx-wit \(pid 4242\) holds the network namespace with 10\.245\.0\.\d+; nginx, sidecar run in it$/);
    });

    it("fails when a container is not in its pod's sandbox, or there are no lesson pods yet", () => {
        const pods = [postgres(), sidecarPod()];
        const v = judgeSandboxes(observed(pods), 5432, criFor(pods, (c) => (c.containers = c.containers.filter((x) => x.name !== "sidecar"))), readAt);
        expect(v.status).toBe("fail");
        expect(v.summary).toBe("nginx-with-sidecar: not one ready sandbox holding the pod's network namespace yet.");
        expect(judgeSandboxes(observed([postgres()]), 5432, criFor([]), readAt).summary).toBe("First make the lesson's pods (steps 1 to 3): the sidecar pod shows best how its containers share one sandbox.");
    });
});
