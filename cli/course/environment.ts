/**
 * One learner's environment as a Pulumi stack: what every operation on a
 * learner needs (its context, the stack's workspace and config file, its
 * outputs, card and credential); the operations themselves are in
 * ./learnerUp.ts. One workspace per stack, so concurrent learners never share
 * a workspace file.
 */
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { OpenStackOptions, PROJECT_DIR } from "../automation";
import { PassphraseKeys } from "../passphrase";
import { openWorkspaceStack, writeStackConfig as writeStackFile } from "../stackWorkspace";
import { DEFAULT_MODE } from "../../components/stackConfig";
import { renderExerciseCard, writeStepFiles } from "../lesson/card";
import { lessonSteps } from "../lesson/steps";
import { refreshWorkbenchCredential } from "./workbenchCredential";
import { kubectlJson } from "../kubectl";
// A learner's card carries their page's link (the one thing of serve/ a card needs).
import { cardLink } from "../serve/links";
import { renderCard, withLink } from "./card";
import { lessonOf } from "../environmentOutputs";
import { CredentialRecord, grantNote, mintCredential } from "./credentials";
import { ClusterAccess } from "../learnerApi";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";
import { CourseOutputs } from "./records";
import { Learner, learnerConfig, learnerStackName } from "./roster";

/** What every operation on a learner needs. */
export interface CourseContext {
    course: string;
    layout: CourseLayout;
    /** The roster's `expires`, if any. */
    expires?: Date;
    /** The cluster learners' kubeconfigs point at. */
    cluster: ClusterAccess;
    /** The Pulumi CLI, found once for every learner's workspace (undefined: a command that runs no Pulumi). */
    pulumi?: PulumiCommand;
    /** Passphrase keys, when new stacks use the passphrase secrets provider (a generated password is then written without a CLI run: cli/passphrase.ts). */
    keys?: PassphraseKeys;
    now: () => Date;
}

/** Reports what a learner's operation is doing (the live progress line). */
export type StepReporter = (what: string) => void;

/** A learner known only by name (one dropped from the roster, say): its stack and namespace follow the course's naming. */
export function learnerByName(course: string, name: string): Learner {
    const stack = learnerStackName(course, name);
    return { name, stack, namespace: `podlab-${stack}`, mode: DEFAULT_MODE, config: {} };
}

/** Fresh credentials for a deployed learner, pods untouched: the old token stops working. Returns notes worth printing. */
export async function renewCredentials(ctx: CourseContext, learner: Learner): Promise<string[]> {
    const outputs = readOutputs(ctx.layout, learner.name);
    const record = await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now() });
    await workbenchCredential(ctx, learner, record);
    writeCard(ctx, learner, record);
    return grantNote(record);
}

/** The learner's kubeconfig of this course directory into their workbench (when they have one), which is Ready when this returns. */
export async function workbenchCredential(ctx: CourseContext, learner: Learner, record: CredentialRecord): Promise<void> {
    await refreshWorkbenchCredential({ learner, kubeconfigFile: ctx.layout.kubeconfig(learner.name), anchor: record.anchor, clusterServer: ctx.cluster.server });
}

/** The learner's stack config file in this course directory. */
export function stackConfigFile(layout: CourseLayout, learner: Learner): string {
    return path.join(layout.workspace(learner.name), `Pulumi.${learner.stack}.yaml`);
}

/** Writes the workspace of a learner's stack: Pulumi.yaml, and with `config` (the roster's, keys without namespace) the stack's config file. Returns its directory. */
export function writeLearnerWorkspace(layout: CourseLayout, learner: Learner, config?: Record<string, unknown>): string {
    const dir = layout.workspace(learner.name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    if (config !== undefined) {
        writeStackConfig(stackConfigFile(layout, learner), config);
    }
    return dir;
}

/**
 * Writes (or rewrites) the workspace of a learner's stack and opens the stack.
 * `restore`: the local config may be stale or missing (another instructor
 * changed the stack): it comes from the stack's last deployment first
 * (stackWorkspace.ts); by default, when the workspace has no config yet.
 */
export async function openLearnerStack(layout: CourseLayout, learner: Learner, opts: OpenStackOptions & { restore?: boolean } = {}): Promise<Stack> {
    const config = Object.fromEntries(Object.entries(learner.config).map(([k, v]) => [`podlab:${k}`, v]));
    const { stack } = await openWorkspaceStack(layout.workspace(learner.name), learner.stack, config, { header: STACK_FILE_HEADER, pulumiCommand: opts.pulumiCommand, exists: opts.exists, restore: opts.restore });
    return stack;
}

const STACK_FILE_HEADER = "Written by npm run course from the roster; edits are overwritten.";

/**
 * The stack's config file: the roster's config for the learner, plus what Pulumi
 * itself keeps there (the secrets settings and the encrypted password), which a
 * rewrite must never lose: a new password would no longer match the database.
 */
export function writeStackConfig(file: string, config: Record<string, unknown>): void {
    writeStackFile(file, Object.fromEntries(Object.entries(config).map(([k, v]) => [`podlab:${k}`, v])), STACK_FILE_HEADER);
}

/** The stack outputs the course uses, from the outputs.json written after the last `up` (or read from the backend: records.ts). */
export function readOutputs(layout: CourseLayout, learner: string): CourseOutputs {
    const file = layout.outputs(learner);
    if (!fs.existsSync(file)) {
        throw new Error(`learner ${learner} has not been deployed by this course (no ${file}); run up first`);
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as CourseOutputs;
}


/**
 * Writes (or rewrites) a learner's card.txt with their link; for an exercise, the lesson's files beside it.
 * `serve` calls it too, when the links' address changes.
 */
export function writeCard(ctx: Pick<CourseContext, "course" | "layout">, learner: Learner, record: Pick<CredentialRecord, "expires"> | undefined): void {
    const expires = record?.expires ?? "unknown";
    const outputs = readOutputs(ctx.layout, learner.name);
    let card: string;
    if (outputs.mode === "exercise") {
        const steps = lessonSteps(learnerConfig(learner));
        writeStepFiles(ctx.layout.learnerOut(learner.name), steps);
        card = renderExerciseCard({ course: ctx.course, learner: learner.name, expires, namespace: learner.namespace, steps });
    } else {
        card = renderCard({ course: ctx.course, learner: learner.name, expires, lesson: lessonOf(outputs) });
    }
    // The card carries the learner's link (their secret), as the kubeconfig beside it carries their token.
    writeFileAtomic(ctx.layout.card(learner.name), withLink(card, cardLink(ctx.layout, learner.name)), 0o600);
}

export function plainOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): CourseOutputs {
    // Secret outputs (there are none today) never reach a file in plain text.
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => !v.secret).map(([k, v]) => [k, v.value])) as unknown as CourseOutputs;
}

export function describeEvent(e: EngineEvent, step: StepReporter): void {
    const m = e.resourcePreEvent?.metadata;
    if (m && m.op !== "same" && m.type.startsWith("kubernetes:")) {
        const kind = m.type.split(":").pop();
        step(`${m.op} ${kind} ${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`);
    }
}

/** The gist of a failed Pulumi operation: its `error:` lines, without the CLI's framing. */
export function failureReason(e: unknown): string {
    const text = e instanceof Error ? e.message : String(e);
    const errors = text
        .split("\n")
        .map((l) => l.trim().replace(/^stderr:\s*/i, ""))
        .filter((l) => /^error:/i.test(l) && !/^error: (update|destroy) failed$/i.test(l))
        .map((l) => l.replace(/^error:\s*/i, ""));
    const unique = [...new Set(errors)];
    return unique.length > 0 ? unique.join("; ").slice(0, 600) : (text.split("\n").find((l) => l.trim() !== "") ?? text).slice(0, 600);
}

/** When a namespace will not go away: what holds it (pulumi-kubernetes waits for it and times out). */
export async function stuckNamespace(namespace: string): Promise<string> {
    try {
        const ns = await kubectlJson<{ status?: { phase?: string; conditions?: Array<{ type: string; message?: string; status: string }> }; spec?: { finalizers?: string[] } }>(["get", "namespace", namespace]);
        if (ns.status?.phase !== "Terminating") {
            return "";
        }
        const why = (ns.status.conditions ?? []).filter((c) => c.status === "True").map((c) => `${c.type}: ${c.message}`);
        return ` (namespace ${namespace} is stuck Terminating; finalizers ${JSON.stringify(ns.spec?.finalizers ?? [])}${why.length ? `; ${why.join("; ")}` : ""})`;
    } catch {
        return "";
    }
}
