/** Pods and runtime facts as the lab's real node reports them, for the picture and check unit tests. */
import { CriView } from "../../../cli/cri";
import { KubePod } from "../../../cli/kubePod";

export const NS = "podlab-pods101-ada";
export const NODE = "podlab-node-0";

function pod(name: string, app: string, ip: string, containers: KubePod["spec"]["containers"], ready = true): KubePod {
    return {
        metadata: { name, namespace: NS, uid: `uid-${name}`, labels: { "app.kubernetes.io/name": app, "podlab.dev/course": "pods101", "podlab.dev/learner": "ada" } },
        spec: { nodeName: NODE, containers },
        status: {
            phase: "Running",
            podIP: ip,
            hostIP: "10.245.0.1",
            conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
            containerStatuses: containers.map((c) => ({ name: c.name, ready, state: { running: {} } })),
        },
    };
}

const postgresContainer = (secret: string) => ({
    name: "postgres",
    image: "podlab.local/postgres:15-deb12",
    ports: [{ containerPort: 5432, protocol: "TCP" }],
    env: [{ name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: secret, key: "password" } } }],
});

export const PODS: KubePod[] = [
    pod("sidecar", "nginx-sidecar", "10.245.0.13", [
        { name: "nginx", image: "podlab.local/nginx:1.22-deb12", ports: [{ containerPort: 8080 }] },
        { name: "sidecar", image: "podlab.local/curl:7.88-deb12" },
    ]),
    pod("postgres2", "postgres", "10.245.0.12", [postgresContainer("postgres2-credentials")]),
    pod("postgres", "postgres", "10.245.0.11", [postgresContainer("postgres-credentials")]),
];

const sandbox = (name: string, ip: string, pid: number, state = "SANDBOX_READY") => ({
    id: `${name}-sandbox-0123456789abcdef`,
    podUid: `uid-${name}`,
    podName: name,
    namespace: NS,
    state,
    ip,
    netns: `/var/run/netns/cni-${name}-1234`,
    pid,
});

export const CRI: Extract<CriView, { visible: true }> = {
    visible: true,
    source: "crictl on the lab's real node (its containerd)",
    sandboxes: [sandbox("postgres", "10.245.0.11", 4101), sandbox("postgres2", "10.245.0.12", 4102), sandbox("sidecar", "10.245.0.13", 4103)],
    containers: [
        { id: "c1", name: "postgres", podUid: "uid-postgres", sandboxId: "postgres-sandbox-0123456789abcdef", state: "CONTAINER_RUNNING" },
        { id: "c2", name: "postgres", podUid: "uid-postgres2", sandboxId: "postgres2-sandbox-0123456789abcdef", state: "CONTAINER_RUNNING" },
        { id: "c3", name: "nginx", podUid: "uid-sidecar", sandboxId: "sidecar-sandbox-0123456789abcdef", state: "CONTAINER_RUNNING" },
        { id: "c4", name: "sidecar", podUid: "uid-sidecar", sandboxId: "sidecar-sandbox-0123456789abcdef", state: "CONTAINER_RUNNING" },
    ],
};

export const NO_CRI: CriView = { visible: false, reason: "the KWOK lab's node is simulated: it runs no containers and has no container runtime" };

export const READ_AT = new Date("2026-03-02T10:00:00Z");
