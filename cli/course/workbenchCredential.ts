/**
 * The learner's credential inside their workbench: the kubeconfig the course
 * minted for them (credentials.ts: a TokenRequest token bound to the anchor
 * Secret), with the API server's address as pods reach it, written by the
 * admin into the Secret the workbench mounts. Written whenever the course
 * mints a credential, so after `credentials` the workbench's next shell has
 * the new token (the old one stops working with its anchor); at `expires` it
 * stops working with the token. The token goes through kubectl's stdin, never
 * an argument, and never through Pulumi.
 */
import * as yaml from "js-yaml";
import * as fs from "fs";
import { PROJECT_LABELS } from "../../components/podSpec";
import { WORKBENCH_KUBECONFIG_KEY, WORKBENCH_KUBECONFIG_SECRET, WORKBENCH_POD_NAME } from "../../components/workbench";
import { Learner, learnerConfig } from "./roster";
import { kubectlJson, kubectlRun } from "../kubectl";
import { LessonEvent, notReady, podIsReady } from "../lesson/judge";
import { KubePod } from "../kubePod";

/** How long the course waits for a workbench to be Ready once its kubeconfig is written. */
export const WORKBENCH_READY_SECONDS = 120;

/** The annotation that makes the kubelet look at the workbench again at once, with the credential's anchor as its value. */
export const CREDENTIAL_ANNOTATION = "podlab.dev/credential";

/** A learner's kubeconfig with its cluster's server replaced by the address pods reach (undefined: unchanged). */
export function workbenchKubeconfig(kubeconfig: string, apiServer: string | undefined): string {
    const doc = yaml.load(kubeconfig) as { clusters?: Array<{ cluster: { server: string } }> };
    if (doc.clusters?.length !== 1) {
        throw new Error("a learner's kubeconfig names exactly one cluster");
    }
    if (apiServer !== undefined) {
        doc.clusters[0].cluster.server = apiServer;
    }
    return yaml.dump(doc);
}

/** The Secret the workbench mounts, as sent to the API server (server-side apply: no last-applied annotation holds the token). */
export function workbenchSecret(a: { namespace: string; labels: Record<string, string>; kubeconfig: string }): object {
    return {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: {
            name: WORKBENCH_KUBECONFIG_SECRET,
            namespace: a.namespace,
            labels: { ...a.labels, ...PROJECT_LABELS, "app.kubernetes.io/managed-by": "podlab-course", "app.kubernetes.io/name": "workbench" },
        },
        data: { [WORKBENCH_KUBECONFIG_KEY]: Buffer.from(a.kubeconfig, "utf8").toString("base64") },
    };
}

/**
 * Writes the learner's kubeconfig (the file `kubeconfigFile`, as minted) into
 * the workbench's Secret with the admin's rights, makes the kubelet refresh
 * the mount at once (an annotation naming the credential's anchor: without a
 * change to the pod, the kubelet looks again only at its next periodic sync,
 * a minute or more), and waits until the workbench is Ready. Throws with
 * Kubernetes' reason when it does not get there.
 */
export async function writeWorkbenchCredential(a: {
    namespace: string;
    labels: Record<string, string>;
    kubeconfigFile: string;
    apiServer: string | undefined;
    anchor: string;
    waitSeconds?: number;
}): Promise<void> {
    const kubeconfig = workbenchKubeconfig(fs.readFileSync(a.kubeconfigFile, "utf8"), a.apiServer);
    const apply = await kubectlRun(["apply", "--server-side", "--field-manager=podlab-course", "--force-conflicts", "-f", "-"], {
        input: JSON.stringify(workbenchSecret({ namespace: a.namespace, labels: a.labels, kubeconfig })),
    });
    if (apply.exitCode !== 0) {
        throw new Error(`writing the workbench's kubeconfig Secret ${a.namespace}/${WORKBENCH_KUBECONFIG_SECRET}: ${apply.stderr.trim()}`);
    }
    const annotate = await kubectlRun(["annotate", "pod", WORKBENCH_POD_NAME, `--namespace=${a.namespace}`, "--overwrite", `${CREDENTIAL_ANNOTATION}=${a.anchor}`]);
    if (annotate.exitCode !== 0) {
        throw new Error(`the workbench pod ${a.namespace}/${WORKBENCH_POD_NAME}: ${annotate.stderr.trim()}`);
    }
    await waitReady(a.namespace, a.waitSeconds ?? WORKBENCH_READY_SECONDS);
}

async function waitReady(namespace: string, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const pod = await kubectlJson<KubePod>(["get", "pod", WORKBENCH_POD_NAME, `--namespace=${namespace}`]);
        if (podIsReady(pod)) {
            return;
        }
        if (Date.now() > deadline) {
            const events = await kubectlJson<{ items: LessonEvent[] }>(["get", "events", `--namespace=${namespace}`, `--field-selector=involvedObject.name=${WORKBENCH_POD_NAME}`]);
            const why = notReady(pod, events.items, {}, "");
            throw new Error(`the workbench is not Ready after ${seconds} s: ${[why.summary, ...why.evidence].join("; ")}`);
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/**
 * The workbench's side of minting a learner's credential: when their stack has
 * a workbench, its Secret gets the kubeconfig just minted (or kept), with the
 * API server's address as pods reach it (the stack's podlab:workbench.apiServer,
 * else the admin kubeconfig's server), and the workbench is Ready when this returns.
 */
export async function refreshWorkbenchCredential(a: { learner: Learner; kubeconfigFile: string; anchor: string; clusterServer: string }): Promise<boolean> {
    const config = learnerConfig(a.learner);
    if (!config.workbench.enabled) {
        return false;
    }
    await writeWorkbenchCredential({
        namespace: a.learner.namespace,
        labels: config.labels,
        kubeconfigFile: a.kubeconfigFile,
        apiServer: config.workbench.apiServer ?? a.clusterServer,
        anchor: a.anchor,
    });
    return true;
}
