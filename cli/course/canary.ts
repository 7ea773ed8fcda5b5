/**
 * The check's canary: tells a fence that holds from a cluster that ignores
 * NetworkPolicy (several local cluster tools ship a network plugin that does).
 * A namespace of its own, `podlab-<course>--canary-<random>`, with two nginx
 * pods built like the course's own: `open` (no policy) and `fenced` (a
 * NetworkPolicy denies it all ingress). From a learner's pod, `open` must
 * answer (routing across namespaces works) and `fenced` must not (the policy
 * is enforced). Created by the admin at the start of a check, deleted at its
 * end; one left by a killed check is deleted by the next, and `down` removes
 * it with the course. Each check's canary has a name of its own, so neither
 * waits for the namespace controller to finish deleting the other's (seconds).
 */
import { createHash, randomBytes } from "crypto";
import { kubectl, kubectlJson } from "../kubectl";
import { PROJECT_LABELS, RESTRICTED_POD_SECURITY, ResourceSpec, podLabels, podSpec } from "../../components/podSpec";
import { nginxContainer, nginxSiteFiles, nginxVolumes } from "../../components/nginx";
import { COURSE_LABEL } from "./roster";

/** Marks the canary's objects: "namespace" on its namespace, the pod's name (open or fenced) on a pod and what belongs to it. */
export const CANARY_LABEL = "podlab.dev/canary";
export const CANARY_POD_NAMES = ["open", "fenced"] as const;

/** How long the canary's pods may take to become Ready. */
const READY_TIMEOUT_SECONDS = 90;

/** The nginx the canary runs: the course's own image, user, port and resources. */
export interface CanaryNginx {
    image: string;
    uid: number;
    port: number;
    resources: ResourceSpec;
}

export interface Canary {
    namespace: string;
    port: number;
    openIp: string;
    fencedIp: string;
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

/** The canary's objects, as one List for `kubectl apply`: namespace, the fence, the two pods and their pages. */
export function canaryManifest(course: string, namespace: string, nginx: CanaryNginx): Record<string, unknown> {
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
            metadata: { name: "deny-all-ingress-to-fenced", namespace, labels: labels("fenced") },
            // Selects only the fenced pod; no ingress rule: nothing may connect to it.
            spec: { podSelector: { matchLabels: { [CANARY_LABEL]: "fenced" } }, policyTypes: ["Ingress"] },
        },
    ];
    for (const pod of CANARY_POD_NAMES) {
        const configMap = `${pod}-nginx`;
        items.push(
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: configMap, namespace, labels: labels(pod) }, data: nginxSiteFiles(pod, nginx.port) },
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: pod, namespace, labels: labels(pod) },
                spec: {
                    ...podSpec(pod, { containers: [nginxContainer(nginx)], volumes: nginxVolumes(configMap), fsGroup: nginx.uid }),
                    // Nothing to shut down gracefully; and the namespace controller waits out a pod's grace period before the namespace goes.
                    terminationGracePeriodSeconds: 0,
                },
            },
        );
    }
    return { apiVersion: "v1", kind: "List", items };
}

/** Deletes any canary the course has left and makes a new one; resolves once both its pods are Ready. */
export async function setUpCanary(course: string, nginx: CanaryNginx): Promise<Canary> {
    await removeCanaries(course, { wait: false });
    const namespace = canaryNamespace(course);
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(canaryManifest(course, namespace, nginx)) });
    await kubectl(["wait", "--for=condition=Ready", "pod", "--all", `--namespace=${namespace}`, `--timeout=${READY_TIMEOUT_SECONDS}s`], { timeoutMs: (READY_TIMEOUT_SECONDS + 10) * 1000 });
    const pods = await kubectlJson<{ items: Array<{ metadata: { name: string }; status?: { podIP?: string } }> }>(["get", "pods", `--namespace=${namespace}`]);
    const ip = (name: string) => {
        const found = pods.items.find((p) => p.metadata.name === name)?.status?.podIP;
        if (!found) {
            throw new Error(`canary pod ${namespace}/${name} has no IP`);
        }
        return found;
    };
    return { namespace, port: nginx.port, openIp: ip("open"), fencedIp: ip("fenced") };
}

/**
 * Deletes the course's canaries. `wait`: until they are gone (`down`, which
 * then checks that nothing of the course is left); otherwise the namespace
 * controller finishes on its own, a few seconds later.
 */
export async function removeCanaries(course: string, opts: { wait: boolean }): Promise<void> {
    await kubectl(["delete", "namespace", `--selector=${canarySelector(course)}`, "--ignore-not-found", `--wait=${opts.wait}`, "--timeout=120s"], { timeoutMs: 130_000 });
}
