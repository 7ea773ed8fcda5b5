/**
 * One learner's environment as a Pulumi stack: its workspace (one per stack,
 * so concurrent learners never share a workspace file), up with recovery from
 * a killed run, destroy and removal, and the files handed out.
 */
import * as fs from "fs";
import { EngineEvent, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { OpenStackOptions, ensurePassword, openExistingStack, recoverStack } from "../automation";
import { StackLockedError, releasingStaleLock } from "../stackLock";
import { openWorkspaceStack, writeStackConfig as writeStackFile } from "../stackWorkspace";
import { DEFAULT_MODE, LessonMode } from "../../components/stackConfig";
import { renderExerciseCard, writeStepFiles } from "../lesson/card";
import { lessonSteps } from "../lesson/steps";
import { refreshWorkbenchCredential } from "../lesson/workbenchCredential";
import { kubectl, kubectlJson } from "../kubectl";
import { cardLink } from "../serve/links";
import { renderCard, withLink } from "./card";
import { EnvironmentOutputs, lessonOf } from "../environmentOutputs";
import { ClusterAccess, CredentialRecord, credentialState, grantNote, mintCredential } from "./credentials";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";
import { tagCourseStack, writeOutputs } from "./records";
import { COURSE_LABEL, LEARNER_LABEL, Learner, learnerConfig } from "./roster";

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
    now: () => Date;
}

/** What `up` asks the CLI once before learners fan out, instead of once per learner. */
export interface UpFacts {
    /** The learner's stack exists in the backend (one `stack ls` for the course). */
    exists: boolean;
    /** It carries the course's tag (records.ts); a new stack is tagged as soon as it exists. */
    tagged: boolean;
    /** The backend has an update of it this course directory has not seen (another instructor's): its config comes from the backend first. */
    stale: boolean;
    /** A random provider is available (one `plugin ls` for the course); on the lab it never is, so each stack gets a generated password. */
    randomProvider: boolean;
}

/** Reports what a learner's operation is doing (the live progress line). */
export type StepReporter = (what: string) => void;

/** A learner known only by name (one dropped from the roster, say): its stack and namespace follow the course's naming. */
export function learnerByName(course: string, name: string): Learner {
    const stack = `${course}-${name}`;
    return { name, stack, namespace: `podlab-${stack}`, mode: DEFAULT_MODE, config: {} };
}

/**
 * Brings a learner's environment to what the roster says: stack config written,
 * a killed earlier run recovered, `up`, then a credential (kept while current)
 * and the card. Returns notes worth printing (recoveries, a new credential).
 */
export async function upLearner(ctx: CourseContext, learner: Learner, step: StepReporter, facts: UpFacts): Promise<string[]> {
    const stack = await openLearnerStack(ctx.layout, learner, { pulumiCommand: ctx.pulumi, exists: facts.exists, restore: facts.stale || undefined });
    if (!facts.tagged) {
        // The course's for every instructor from now on (a run killed before this leaves an empty stack, which the next up claims).
        await tagCourseStack(stack, ctx.course);
    }
    step("recovering");
    const notes = await recoverStack(stack);
    // The course writes the stack's config file itself (writeStackConfig), so that file alone says whether the password is set.
    await ensurePassword(stack, { randomProvider: facts.randomProvider, configOnlyInStackFile: true });
    step("pulumi up");
    // The refresh sees what was changed or deleted behind the stack's back (a pod
    // `course check` found missing), so this up puts it back. The outputs come with
    // up's result; its summary needs no secrets (no `stack history --show-secrets`).
    // Another run on this learner (another instructor's) holds the stack: refused before anything changes (stackLock.ts).
    const result = await releasingStaleLock(stack, () => stack.up({ color: "never", refresh: true, showSecrets: false, onEvent: (e) => describeEvent(e, step) }), notes);
    const outputs = plainOutputs(result.outputs);
    writeOutputs(ctx.layout, learner.name, outputs);
    step("credential");
    const credential = await credentialState(ctx.layout, learner, outputs.access.serviceAccount, ctx.expires, ctx.now());
    let record = credential.record;
    if (credential.state === "none") {
        record = await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now() });
        notes.push("new credential", ...grantNote(record));
    } else if (credential.state === "elsewhere") {
        // No kubeconfig of it here, so no card either: `credentials` makes both here.
        notes.push("credential kept: handed out from another course directory (credentials makes one here, and ends that one)");
        return notes;
    }
    // The workbench gets the kubeconfig this directory holds (one handed out elsewhere was written there).
    step("workbench");
    await workbenchCredential(ctx, learner, record!);
    writeCard(ctx, learner, record);
    return notes;
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
async function workbenchCredential(ctx: CourseContext, learner: Learner, record: CredentialRecord): Promise<void> {
    await refreshWorkbenchCredential({ learner, kubeconfigFile: ctx.layout.kubeconfig(learner.name), anchor: record.anchor, clusterServer: ctx.cluster.server });
}

/**
 * Destroys a learner's stack and removes it, its workspace and its handed-out
 * files; then sweeps the cluster for anything of theirs left over (a namespace
 * a killed run created but never recorded). Returns notes worth printing.
 */
export async function downLearner(ctx: CourseContext, learner: Learner, step: StepReporter): Promise<string[]> {
    const notes: string[] = [];
    const workspace = ctx.layout.workspace(learner.name);
    fs.mkdirSync(workspace, { recursive: true });
    const stack = await openExistingStack(learner.stack, workspace, ctx.pulumi);
    if (stack !== undefined) {
        step("recovering");
        notes.push(...(await recoverStack(stack)));
        step("pulumi destroy");
        try {
            await releasingStaleLock(stack, () => stack.destroy({ color: "never", onEvent: (e) => describeEvent(e, step) }), notes);
        } catch (e) {
            throw e instanceof StackLockedError ? e : new Error(`${failureReason(e)}${await stuckNamespace(learner.namespace)}`);
        }
        await releasingStaleLock(stack, () => stack.workspace.removeStack(learner.stack), notes);
    }
    step("sweeping");
    const selector = `${COURSE_LABEL}=${ctx.course},${LEARNER_LABEL}=${learner.name}`;
    // `-o name` prints one line per namespace deleted; with none, kubectl still says "No resources found".
    const swept = (await kubectl(["delete", "namespace", `--selector=${selector}`, "--ignore-not-found", "--wait=true", "--timeout=120s", "-o", "name"]))
        .split("\n")
        .filter((line) => line.startsWith("namespace/"));
    if (swept.length > 0) {
        notes.push(`removed what no stack recorded: ${swept.join("; ")}`);
    }
    fs.rmSync(ctx.layout.learnerOut(learner.name), { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
    return notes;
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

export interface CourseOutputs extends EnvironmentOutputs {
    access: { serviceAccount: string };
    /** environment or exercise (outputs of an older podlab have none: environment). */
    mode?: LessonMode;
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

function plainOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): CourseOutputs {
    // Secret outputs (there are none today) never reach a file in plain text.
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => !v.secret).map(([k, v]) => [k, v.value])) as unknown as CourseOutputs;
}

function describeEvent(e: EngineEvent, step: StepReporter): void {
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
async function stuckNamespace(namespace: string): Promise<string> {
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
