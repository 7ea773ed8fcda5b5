/**
 * What a picture of an environment shows, read from the live cluster: the
 * pods as the API server reports them (`kubectl get pods -o json`) and, where
 * podlab can see the node's runtime, each pod's sandbox. Pure functions: the
 * reading is in live.ts, the drawing in svg.ts and pages.ts.
 */
import { EnvironmentOutputs } from "../environmentOutputs";
import { CriView } from "../cri";
import { ContainerStatus, KubePod } from "../kubePod";

/** The part a pod plays in the lesson, from podlab's `app.kubernetes.io/name` label. */
export type PodRole = "postgres" | "sidecar" | "other";

export interface ContainerView {
    name: string;
    image: string;
    ports: number[];
    ready: boolean;
    /** running, waiting (with its reason), terminated, or unknown. */
    state: string;
}

export interface SandboxView {
    id: string;
    state: string;
    ip?: string;
    netns?: string;
    pid?: number;
    /** The pod's running containers that the runtime places in this sandbox. */
    containers: string[];
}

export interface PodView {
    name: string;
    uid: string;
    role: PodRole;
    ip?: string;
    phase: string;
    ready: boolean;
    /** Being deleted. */
    terminating: boolean;
    node?: string;
    nodeIp?: string;
    containers: ContainerView[];
    /** The pod's sandboxes; undefined when the runtime cannot be seen. */
    sandboxes?: SandboxView[];
}

export interface EnvironmentView {
    namespace: string;
    pods: PodView[];
    /** Where the sandboxes come from, or why they are not shown. */
    sandboxNote: string;
    sandboxesVisible: boolean;
    /** When the cluster was read (ISO 8601). */
    readAt: string;
}

/** The lesson's pods first (postgres pods, then the sidecar), each group by name. */
const ROLE_ORDER: Record<PodRole, number> = { postgres: 0, sidecar: 1, other: 2 };

export function podRole(pod: KubePod): PodRole {
    const app = pod.metadata.labels?.["app.kubernetes.io/name"];
    return app === "postgres" ? "postgres" : app === "nginx-sidecar" ? "sidecar" : "other";
}

export function podReady(pod: KubePod): boolean {
    return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function containerState(status: ContainerStatus | undefined): string {
    const [kind, detail] = Object.entries(status?.state ?? {}).find(([, v]) => v !== undefined) ?? ["unknown", undefined];
    const reason = detail !== undefined && "reason" in detail ? detail.reason : undefined;
    return reason ? `${kind}: ${reason}` : kind;
}

/** One namespace's pods as a picture shows them; `cri` adds their sandboxes where the runtime is visible. */
export function environmentView(namespace: string, pods: KubePod[], cri: CriView, readAt: Date): EnvironmentView {
    const views = pods
        .filter((p) => p.metadata.namespace === namespace)
        .map((p): PodView => {
            const statuses = new Map((p.status?.containerStatuses ?? []).map((s) => [s.name, s]));
            return {
                name: p.metadata.name,
                uid: p.metadata.uid,
                role: podRole(p),
                ip: p.status?.podIP,
                phase: p.status?.phase ?? "Unknown",
                ready: podReady(p),
                terminating: p.metadata.deletionTimestamp !== undefined,
                node: p.spec.nodeName,
                nodeIp: p.status?.hostIP,
                containers: p.spec.containers.map((c) => ({
                    name: c.name,
                    image: c.image,
                    ports: (c.ports ?? []).map((port) => port.containerPort),
                    ready: statuses.get(c.name)?.ready ?? false,
                    state: containerState(statuses.get(c.name)),
                })),
                sandboxes: cri.visible ? sandboxesOf(p.metadata.uid, cri) : undefined,
            };
        })
        .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name, "en", { numeric: true }));
    return {
        namespace,
        pods: views,
        sandboxesVisible: cri.visible,
        sandboxNote: cri.visible ? `sandboxes as ${cri.source} reports them` : `sandboxes not shown: ${cri.reason}`,
        readAt: readAt.toISOString(),
    };
}

/** A pod's sandboxes (ready first) and which of its running containers each holds. */
export function sandboxesOf(podUid: string, cri: Extract<CriView, { visible: true }>): SandboxView[] {
    return cri.sandboxes
        .filter((s) => s.podUid === podUid)
        .sort((a, b) => Number(b.state === "SANDBOX_READY") - Number(a.state === "SANDBOX_READY"))
        .map((s) => ({
            id: s.id,
            state: s.state,
            ip: s.ip,
            netns: s.netns,
            pid: s.pid,
            containers: cri.containers.filter((c) => c.podUid === podUid && c.sandboxId === s.id).map((c) => c.name),
        }));
}

/** The postgres pods of a namespace with what the lesson needs of each: IP, port and the Secret with its password (from the pod's own spec). */
export function livePostgres(namespace: string, pods: KubePod[]): Array<{ pod: string; ip: string; port: number; secret: string }> {
    return pods
        .filter((p) => p.metadata.namespace === namespace && p.metadata.deletionTimestamp === undefined && podRole(p) === "postgres")
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, "en", { numeric: true }))
        .flatMap((p) => {
            const c = p.spec.containers[0];
            const secret = c.env?.find((e) => e.name === "POSTGRES_PASSWORD")?.valueFrom?.secretKeyRef?.name;
            const port = c.ports?.[0]?.containerPort;
            return secret === undefined || port === undefined ? [] : [{ pod: p.metadata.name, ip: p.status?.podIP ?? "(no IP yet)", port, secret }];
        });
}

/**
 * The stack outputs a card is drawn from, rebuilt from the live pods: the IPs
 * the API server reports now, and each postgres pod's Secret from its own spec.
 * Undefined when the environment has no sidecar pod with nginx (the lesson's commands need one).
 */
export function liveOutputs(namespace: string, pods: KubePod[]): EnvironmentOutputs | undefined {
    const mine = pods.filter((p) => p.metadata.namespace === namespace && p.metadata.deletionTimestamp === undefined);
    const sidecar = mine.find((p) => podRole(p) === "sidecar" && p.spec.containers.some((c) => c.name === "nginx"));
    if (sidecar === undefined) {
        return undefined;
    }
    const postgres = livePostgres(namespace, mine);
    const lessonPods = [...postgres.map((pg) => mine.find((p) => p.metadata.name === pg.pod)!), sidecar];
    return {
        namespace,
        podIps: Object.fromEntries(lessonPods.map((p) => [p.metadata.name, p.status?.podIP ?? "(no IP yet)"])),
        pods: Object.fromEntries(
            lessonPods.map((p) => [p.metadata.name, { containers: p.spec.containers.map((c) => ({ name: c.name, image: c.image, ports: (c.ports ?? []).map((x) => x.containerPort) })) }]),
        ),
        postgresSecrets: Object.fromEntries(postgres.map((pg) => [pg.pod, pg.secret])),
    };
}
