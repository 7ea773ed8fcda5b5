/**
 * The check's canary: tells a fence that holds from a cluster that ignores
 * NetworkPolicy (several local cluster tools ship a network plugin that does).
 * A namespace of its own, `podlab-<course>--canary`, with two nginx pods built
 * like the course's own: `open` (no policy) and `fenced` (a NetworkPolicy
 * denies it all ingress). From a learner's pod, `open` must answer (routing
 * across namespaces works) and `fenced` must not (the policy is enforced).
 * Created by the admin at the start of a check, deleted at its end; a stale
 * one (a killed check) is replaced, and `down` removes it with the course.
 */
import { createHash } from "crypto";
import { kubectl, kubectlJson } from "../kubectl";
import { RESTRICTED_POD_SECURITY } from "../../components/labNamespace";
import { PROJECT_LABELS, ResourceSpec, podLabels, podSpec } from "../../components/podSpec";
import { nginxContainer, nginxSiteFiles, nginxVolumes } from "../../components/sidecarPod";
import { COURSE_LABEL } from "./roster";

/** Which canary pod a pod is (open or fenced). */
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
 * The canary's namespace. The double hyphen keeps it apart from every
 * learner's `podlab-<course>-<learner>` (a learner's name cannot start with a
 * hyphen), so even a learner named "canary" cannot collide with it.
 */
export function canaryNamespace(course: string): string {
    const ns = `podlab-${course}--canary`;
    return ns.length <= 63 ? ns : `podlab-${createHash("sha256").update(course).digest("hex").slice(0, 12)}--canary`;
}

/** The canary's objects, as one List for `kubectl apply`: namespace, the fence, the two pods and their pages. */
export function canaryManifest(course: string, nginx: CanaryNginx): Record<string, unknown> {
    const namespace = canaryNamespace(course);
    const labels = (pod: string) => ({
        ...podLabels("canary", pod, "network-fence-canary", { [COURSE_LABEL]: course, [CANARY_LABEL]: pod }),
        "app.kubernetes.io/managed-by": "podlab-course",
    });
    const items: Array<Record<string, unknown>> = [
        {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: namespace, labels: { [COURSE_LABEL]: course, ...RESTRICTED_POD_SECURITY, ...PROJECT_LABELS, "app.kubernetes.io/managed-by": "podlab-course" } },
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

/** Replaces any canary of the course with a new one and waits until both pods are Ready. */
export async function setUpCanary(course: string, nginx: CanaryNginx): Promise<Canary> {
    const namespace = canaryNamespace(course);
    await removeCanary(course);
    await kubectl(["apply", "-f", "-"], { input: JSON.stringify(canaryManifest(course, nginx)) });
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

/** Deletes the course's canary, if there is one, and waits until it is gone. */
export async function removeCanary(course: string): Promise<void> {
    await kubectl(["delete", "namespace", canaryNamespace(course), "--ignore-not-found", "--wait=true", "--timeout=120s"], { timeoutMs: 130_000 });
}
