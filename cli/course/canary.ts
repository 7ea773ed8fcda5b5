/**
 * The check's canary: tells a fence that holds from a cluster that ignores
 * NetworkPolicy (several local cluster tools ship a network plugin that does),
 * for ingress and egress, over IPv4 and over IPv6 where pods have it. A
 * namespace of its own, `podlab-<course>--canary-<random>`, with three pods
 * built like the course's own: `open` (nginx, no policy), `fenced` (nginx and
 * a curl container; a NetworkPolicy denies it all ingress and all egress) and
 * `prober` (curl, no policy). The admin runs curl in them (fenceProbe.ts):
 * prober -> open must answer (the network works), prober -> fenced and
 * fenced -> open must be blocked (ingress and egress are enforced). Learners'
 * pods cannot take part: their own fence keeps them in their namespace.
 * Created by the admin at the start of a check, deleted at its end; one left
 * by a killed check is deleted by the next, and `down` removes it with the
 * course. Each check's canary has a name of its own, so neither waits for the
 * namespace controller to finish deleting the other's (seconds).
 */
import { createHash, randomBytes } from "crypto";
import { kubectl, kubectlJson } from "../kubectl";
import { KubePod } from "../kubePod";
import { nginxContainer, nginxSiteFiles, nginxVolumes } from "../../components/nginx";
import { PROJECT_LABELS, RESTRICTED_POD_SECURITY, ResourceSpec, container, execProbe, podLabels, podSpec } from "../../components/podSpec";
import { COURSE_LABEL } from "./roster";

/** Marks the canary's objects: "namespace" on its namespace, the pod's name (open, fenced, prober) on a pod and what belongs to it. */
export const CANARY_LABEL = "podlab.dev/canary";
export const CANARY_POD_NAMES = ["open", "fenced", "prober"] as const;
export type CanaryPodName = (typeof CANARY_POD_NAMES)[number];
/** The curl container in the fenced and prober pods. */
export const CANARY_CURL_CONTAINER = "curl";

/** How long the canary's pods may take to become Ready. */
const READY_TIMEOUT_SECONDS = 90;

/** The nginx and curl the canary runs: the course's own images, users, port and resources. */
export interface CanaryImages {
    nginx: { image: string; uid: number; port: number; resources: ResourceSpec };
    curl: { image: string; uid: number; resources: ResourceSpec };
}

export interface Canary {
    namespace: string;
    /** nginx's port in open and fenced. */
    port: number;
    /** Each pod's IPs as the API server reports them (status.podIPs: one per family it has). */
    ips: Record<CanaryPodName, string[]>;
    pods: KubePod[];
}

/**
 * A new canary namespace for the course. The double hyphen keeps it apart from
 * every learner's `podlab-<course>-<learner>` (a learner's name cannot start
 * with a hyphen), so even a learner named "canary" cannot collide with it.
 */
export function canaryNamespace(course: string, suffix: string = randomBytes(3).toString("hex")): string {
    const ns = `podlab-${course}--canary-${suffix}`;
    return ns.length <= 63 ? ns : `podlab-${createHash("sha256").update(course).digest("hex").slice(0, 12)}--canary-${suffix}`;
}

/** Selects the course's canary namespaces (the current one and any left behind). */
function canarySelector(course: string): string {
    return `${COURSE_LABEL}=${course},${CANARY_LABEL}=namespace`;
}

/** A curl container that waits to be exec'd into. */
function curlContainer(curl: CanaryImages["curl"]) {
    return container({
        name: CANARY_CURL_CONTAINER,
        image: curl.image,
        uid: curl.uid,
        command: ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
        resources: curl.resources,
        readinessProbe: execProbe(["curl", "--version"], { initialDelaySeconds: 0, periodSeconds: 2 }),
    });
}

/** The canary's objects, as one List for `kubectl apply`: namespace, the fence, the three pods and the nginx pages. */
export function canaryManifest(course: string, namespace: string, images: CanaryImages): Record<string, unknown> {
    const nginx = images.nginx;
    const labels = (pod: string) => ({
        ...podLabels("canary", pod, "network-fence-canary", { [COURSE_LABEL]: course, [CANARY_LABEL]: pod }),
        "app.kubernetes.io/managed-by": "podlab-course",
    });
    const items: Array<Record<string, unknown>> = [
        {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: namespace, labels: { [COURSE_LABEL]: course, [CANARY_LABEL]: "namespace", ...RESTRICTED_POD_SECURITY, ...PROJECT_LABELS, "app.kubernetes.io/managed-by": "podlab-course" } },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "deny-all-to-and-from-fenced", namespace, labels: labels("fenced") },
            // Selects only the fenced pod; no rule: nothing may connect to it, and it may connect to nothing.
            spec: { podSelector: { matchLabels: { [CANARY_LABEL]: "fenced" } }, policyTypes: ["Ingress", "Egress"] },
        },
    ];
    const pod = (name: CanaryPodName, containers: ReturnType<typeof container>[], volumes: ReturnType<typeof nginxVolumes> | undefined, fsGroup: number) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace, labels: labels(name) },
        spec: {
            ...podSpec(name, { containers, volumes, fsGroup }),
            // Nothing to shut down gracefully; and the namespace controller waits out a pod's grace period before the namespace goes.
            terminationGracePeriodSeconds: 0,
        },
    });
    for (const name of ["open", "fenced"] as const) {
        const configMap = `${name}-nginx`;
        items.push(
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: configMap, namespace, labels: labels(name) }, data: nginxSiteFiles(name, nginx.port) },
            pod(name, [nginxContainer(nginx), ...(name === "fenced" ? [curlContainer(images.curl)] : [])], nginxVolumes(configMap), nginx.uid),
        );
    }
    items.push(pod("prober", [curlContainer(images.curl)], undefined, images.curl.uid));
    return { apiVersion: "v1", kind: "List", items };
}

/** Deletes any canary the course has left and makes a new one; resolves once both its pods are Ready. */
export async function setUpCanary(course: string, images: CanaryImages): Promise<Canary> {
    await removeCanaries(course, { wait: false });
    const namespace = canaryNamespace(course);
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(canaryManifest(course, namespace, images)) });
    await kubectl(["wait", "--for=condition=Ready", "pod", "--all", `--namespace=${namespace}`, `--timeout=${READY_TIMEOUT_SECONDS}s`], { timeoutMs: (READY_TIMEOUT_SECONDS + 10) * 1000 });
    const pods = await kubectlJson<{ items: KubePod[] }>(["get", "pods", `--namespace=${namespace}`]);
    const ips = (name: CanaryPodName) => {
        const found = (pods.items.find((p) => p.metadata.name === name)?.status?.podIPs ?? []).map((x) => x.ip);
        if (found.length === 0) {
            throw new Error(`canary pod ${namespace}/${name} has no IP`);
        }
        return found;
    };
    return { namespace, port: images.nginx.port, ips: { open: ips("open"), fenced: ips("fenced"), prober: ips("prober") }, pods: pods.items };
}

/**
 * Deletes the course's canaries. `wait`: until they are gone (`down`, which
 * then checks that nothing of the course is left); otherwise the namespace
 * controller finishes on its own, a few seconds later.
 */
export async function removeCanaries(course: string, opts: { wait: boolean }): Promise<void> {
    await kubectl(["delete", "namespace", `--selector=${canarySelector(course)}`, "--ignore-not-found", `--wait=${opts.wait}`, "--timeout=120s"], { timeoutMs: 130_000 });
}
