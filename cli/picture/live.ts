/**
 * Reading what the pictures show from the live cluster: the pods (as the API
 * server reports them) and their sandboxes (where the node's runtime is
 * visible), and the lesson's commands for those pods.
 */
import * as path from "path";
import { kubectlJson } from "../kubectl";
import { readCri } from "../cri";
import { lessonCommands, lessonOf } from "../environmentOutputs";
import { stateDir, writeFileAtomic } from "../files";
import { environmentView, liveOutputs } from "./model";
import { KubePod } from "../kubePod";
import { PageCommand, stackPage } from "./pages";

/** The lesson's commands for a namespace's live pods, or why there are none yet. */
export function liveCommands(namespace: string, pods: KubePod[]): PageCommand[] | string {
    const out = liveOutputs(namespace, pods);
    return out === undefined ? `No sidecar pod runs in ${namespace} yet, so the lesson's commands cannot be written; they appear once it runs.` : lessonCommands(lessonOf(out));
}

/** Where `stack show` writes a stack's page unless told: under podlab's state directory. */
export function defaultStackPicture(stack: string): string {
    return path.join(stateDir(), "pictures", `${stack}.html`);
}

/** Draws one stack's namespace from the live cluster into `file` (self-contained HTML). */
export async function writeStackPicture(stack: string, namespace: string, file: string): Promise<void> {
    const [pods, cri] = await Promise.all([kubectlJson<{ items: KubePod[] }>(["get", "pods", `--namespace=${namespace}`]), readCri()]);
    const podlabPods = pods.items.filter((p) => p.metadata.labels?.["app.kubernetes.io/part-of"] === "podlab");
    const view = environmentView(namespace, podlabPods, cri, new Date());
    writeFileAtomic(file, stackPage({ stack, view, commands: liveCommands(namespace, podlabPods) }));
}
