/**
 * One learner's environment as a Pulumi stack: its workspace (one per stack,
 * so concurrent learners never share a workspace file), up with recovery from
 * a killed run, destroy and removal, and the files handed out.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineEvent, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { OpenStackOptions, PROJECT_DIR, ensurePassword, openExistingStack, openStack, recoverStack } from "../automation";
import { kubectl, kubectlJson } from "../kubectl";
import { cardLink } from "../serve/links";
import { EnvironmentOutputs, lessonOf, renderCard } from "./card";
import { ClusterAccess, credentialCurrent, mintCredential, readCredentialRecord } from "./credentials";
import { CourseLayout, writeFileAtomic } from "./layout";
import { CourseRegistry } from "./registry";
import { COURSE_LABEL, LEARNER_LABEL, Learner } from "./roster";

/** What every operation on a learner needs. */
export interface CourseContext {
    course: string;
    layout: CourseLayout;
    registry: CourseRegistry;
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
    /** A random provider is available (one `plugin ls` for the course); on the lab it never is, so each stack gets a generated password. */
    randomProvider: boolean;
}

/** Reports what a learner's operation is doing (the live progress line). */
export type StepReporter = (what: string) => void;

/** A learner known only by name (one dropped from the roster, say): its stack and namespace follow the course's naming. */
export function learnerByName(course: string, name: string): Learner {
    const stack = `${course}-${name}`;
    return { name, stack, namespace: `podlab-${stack}`, config: {} };
}

/**
 * Brings a learner's environment to what the roster says: stack config written,
 * a killed earlier run recovered, `up`, then a credential (kept while current)
 * and the card. Returns notes worth printing (recoveries, a new credential).
 */
export async function upLearner(ctx: CourseContext, learner: Learner, step: StepReporter, facts: UpFacts): Promise<string[]> {
    // Recorded before the stack exists, so a run killed right after creating it still knows it is the course's.
    ctx.registry.add(learner.name);
    const stack = await openLearnerStack(ctx.layout, learner, { pulumiCommand: ctx.pulumi, exists: facts.exists });
    step("recovering");
    const notes = await recoverStack(stack);
    // The course writes the stack's config file itself (writeStackConfig), so that file alone says whether the password is set.
    await ensurePassword(stack, { randomProvider: facts.randomProvider, configOnlyInStackFile: true });
    step("pulumi up");
    // The refresh sees what was changed or deleted behind the stack's back (a pod
    // `course check` found missing), so this up puts it back. The outputs come with
    // up's result; its summary needs no secrets (no `stack history --show-secrets`).
    const result = await stack.up({ color: "never", refresh: true, showSecrets: false, onEvent: (e) => describeEvent(e, step) });
    const outputs = plainOutputs(result.outputs);
    writeFileAtomic(path.join(ctx.layout.workspace(learner.name), "outputs.json"), JSON.stringify(outputs, null, 2) + "\n");
    step("credential");
    if (!(await credentialCurrent(ctx.layout, learner, ctx.expires, ctx.now()))) {
        await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now() });
        notes.push("new credential");
    }
    writeCard(ctx, learner.name);
    return notes;
}

/** Fresh credentials for a deployed learner, pods untouched: the old token stops working. */
export async function renewCredentials(ctx: CourseContext, learner: Learner): Promise<void> {
    const outputs = readOutputs(ctx.layout, learner.name);
    await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now() });
    writeCard(ctx, learner.name);
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
            await stack.destroy({ color: "never", onEvent: (e) => describeEvent(e, step) });
        } catch (e) {
            throw new Error(`${failureReason(e)}${await stuckNamespace(learner.namespace)}`);
        }
        await stack.workspace.removeStack(learner.stack);
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
    ctx.registry.remove(learner.name);
    return notes;
}

/** Writes (or rewrites) the workspace of a learner's stack and opens the stack. */
export async function openLearnerStack(layout: CourseLayout, learner: Learner, opts: OpenStackOptions = {}): Promise<Stack> {
    const dir = layout.workspace(learner.name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeStackConfig(path.join(dir, `Pulumi.${learner.stack}.yaml`), learner.config);
    return openStack(learner.stack, dir, opts);
}

/**
 * The stack's config file: the roster's config for the learner, plus what Pulumi
 * itself keeps there (the secrets salt and the encrypted password), which a
 * rewrite must never lose: a new password would no longer match the database.
 */
export function writeStackConfig(file: string, config: Record<string, unknown>): void {
    const old = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { encryptionsalt?: string; config?: Record<string, unknown> }) : {};
    const kept = Object.fromEntries(Object.entries(old.config ?? {}).filter(([k]) => k === "podlab:postgresPassword"));
    const doc = {
        ...(old.encryptionsalt !== undefined ? { encryptionsalt: old.encryptionsalt } : {}),
        config: { ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`podlab:${k}`, v])), ...kept },
    };
    writeFileAtomic(file, `# Written by npm run course from the roster; edits are overwritten.\n${yaml.dump(doc)}`, 0o600);
}

/** The stack outputs the course uses, from the outputs.json written after the last `up`. */
export function readOutputs(layout: CourseLayout, learner: string): CourseOutputs {
    const file = path.join(layout.workspace(learner), "outputs.json");
    if (!fs.existsSync(file)) {
        throw new Error(`learner ${learner} has not been deployed by this course (no ${file}); run up first`);
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as CourseOutputs;
}

export interface CourseOutputs extends EnvironmentOutputs {
    access: { serviceAccount: string };
}

/** Writes (or rewrites) a learner's card.txt: `serve` calls it when the links' address changes. */
export function writeCard(ctx: Pick<CourseContext, "course" | "layout">, learner: string): void {
    const record = readCredentialRecord(ctx.layout, learner);
    const card = renderCard({ course: ctx.course, learner, expires: record?.expires ?? "unknown", lesson: lessonOf(readOutputs(ctx.layout, learner)), link: cardLink(ctx.layout, learner) });
    // The card carries the learner's link (their secret), as the kubeconfig beside it carries their token.
    writeFileAtomic(ctx.layout.card(learner), card, 0o600);
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
