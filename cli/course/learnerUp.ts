/**
 * A learner's `up`, `reset` and `down`, each in as few Pulumi CLI processes as
 * it needs (cli/stackUp.ts, cli/pulumiRun.ts):
 *
 * - up: one `pulumi up` (refresh included) for a learner whose stack exists;
 *   `stack init` first for a new one (the course-level stack recorded the
 *   learner as the course's before: courseStack.ts);
 * - reset: `pulumi destroy` (the stack stays), then that `up` with a new password;
 * - down: `pulumi destroy --remove`.
 *
 * Only when there is something to repair does a learner cost more: a killed
 * earlier run's lock released (`pulumi cancel`) and its pending operations
 * cleared (`pulumi refresh`), found without a CLI run in a file backend
 * (cli/automation.ts recoverStack) and by `stack export` in another; the stack's config re-read from the
 * backend (`config refresh`) when another instructor's update came after this
 * directory's (records.ts).
 */
import * as fs from "fs";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { inlinePodlab, recoverStack } from "../automation";
import { kubectl } from "../kubectl";
import { PulumiCli, destroyStack, directStack, refreshConfig } from "../pulumiRun";
import { StackLockedError, releasingStaleLock } from "../stackLock";
import { upStack } from "../stackUp";
import { CourseContext, StepReporter, describeEvent, failureReason, plainOutputs, stackConfigFile, stuckNamespace, workbenchCredential, writeCard, writeLearnerWorkspace } from "./environment";
import { credentialState, grantNote, mintCredential } from "./credentials";
import { writeOutputs } from "./records";
import { ObjectsSeen, forgetUp, recordUp, stackInputs } from "./upToDate";
import { COURSE_LABEL, LEARNER_LABEL, Learner } from "./roster";

/** What the course asked the backend once for every learner (records.ts courseStacks). */
export interface LearnerFacts {
    /** The learner's stack exists in the backend. */
    exists: boolean;
    /** The backend has an update of it this course directory has not seen (another instructor's): its config comes from the backend first. */
    stale: boolean;
    /** A random provider is available; on the lab it never is, so each stack gets a generated password. */
    randomProvider: boolean;
}

/** Writes the learner's workspace (with `config`, the stack's config file too) and returns the CLI for its stack. */
function learnerCli(ctx: CourseContext, learner: Learner, config?: Record<string, unknown>): PulumiCli {
    return { command: ctx.pulumi?.command ?? "pulumi", workDir: writeLearnerWorkspace(ctx.layout, learner, config), stack: learner.stack };
}

/**
 * Gets an existing stack ready for an operation: its config from the backend
 * when this directory's may be stale or is missing (the secrets settings and
 * password of its last deployment; the roster's config on top), and a killed
 * run recovered. Returns the CLI for it.
 */
export async function prepareLearnerStack(ctx: CourseContext, learner: Learner, facts: LearnerFacts, step: StepReporter, notes: string[]): Promise<PulumiCli> {
    const file = stackConfigFile(ctx.layout, learner);
    const restore = facts.exists && (facts.stale || !fs.existsSync(file));
    if (restore) {
        fs.rmSync(file, { force: true }); // the backend's, not a stale local copy
    }
    const cli = learnerCli(ctx, learner, learner.config);
    if (!facts.exists) {
        return cli;
    }
    if (restore) {
        step("config from the backend");
        await refreshConfig(cli);
        writeLearnerWorkspace(ctx.layout, learner, learner.config);
    }
    step("recovering");
    notes.push(...(await recoverStack(directStack(cli))));
    return cli;
}

/**
 * Brings a learner's environment to what the roster says: the stack ready
 * (see {@link prepareLearnerStack}), one `up`, then a credential (kept while current), the
 * workbench's copy of it, the card, and the record that lets the next `up`
 * skip this learner while nothing changed (./upToDate.ts). Returns notes worth printing.
 */
export async function upLearner(ctx: CourseContext, learner: Learner, step: StepReporter, facts: LearnerFacts): Promise<string[]> {
    forgetUp(ctx.layout, learner.name);
    const notes: string[] = [];
    const cli = await prepareLearnerStack(ctx, learner, facts, step, notes);
    return deploy(ctx, learner, step, facts, cli, notes, false);
}

async function deploy(ctx: CourseContext, learner: Learner, step: StepReporter, facts: LearnerFacts, cli: PulumiCli, notes: string[], newPassword: boolean): Promise<string[]> {
    step("pulumi up");
    const seen = new ObjectsSeen();
    let newNamespace = false;
    // The refresh (in the same run) sees what was changed or deleted behind the stack's back
    // (a pod `course check` found missing), so this up puts it back. Another run on this
    // learner (another instructor's) holding the stack is refused before anything changes (stackLock.ts).
    const result = await releasingStaleLock(
        directStack(cli),
        () =>
            upStack(
                cli,
                { exists: facts.exists, randomProvider: facts.randomProvider, keys: ctx.keys, newPassword },
                {
                    program: inlinePodlab,
                    refresh: true,
                    onEvent: (e: EngineEvent) => {
                        seen.take(e);
                        newNamespace ||= e.resOutputsEvent?.metadata.op === "create" && e.resOutputsEvent.metadata.type === "kubernetes:core/v1:Namespace";
                        describeEvent(e, step);
                    },
                },
            ),
        notes,
    );
    const outputs = plainOutputs(result.outputs);
    if (outputs.access?.serviceAccount === undefined) {
        throw new Error(`the update of ${learner.stack} reported no access.serviceAccount output (outputs: ${Object.keys(result.outputs).join(", ") || "none"})`);
    }
    writeOutputs(ctx.layout, learner.name, outputs);
    step("credential");
    // In a namespace this update created there is no credential yet: nothing to look up.
    const credential = newNamespace ? { state: "none" as const, record: undefined } : await credentialState(ctx.layout, learner, outputs.access.serviceAccount, ctx.expires, ctx.now());
    let record = credential.record;
    if (credential.state === "none") {
        record = await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now(), newNamespace });
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
    recordUp(ctx.layout, learner.name, { inputs: stackInputs(cli.workDir, cli.stack), objects: seen.objects(), anchor: record!.anchor, at: ctx.now().toISOString() });
    return notes;
}

/**
 * Puts a learner's environment back to new: `destroy` (the namespace and
 * everything in it, the learner's own pods too; the stack and its tag stay),
 * then `up` with a new password; the old credential goes with its namespace
 * and a new one is minted.
 */
export async function resetLearner(ctx: CourseContext, learner: Learner, step: StepReporter, facts: LearnerFacts): Promise<string[]> {
    forgetUp(ctx.layout, learner.name);
    fs.rmSync(ctx.layout.learnerOut(learner.name), { recursive: true, force: true });
    fs.rmSync(ctx.layout.outputs(learner.name), { force: true });
    const notes: string[] = [];
    const cli = await prepareLearnerStack(ctx, learner, facts, step, notes);
    if (facts.exists) {
        step("pulumi destroy");
        await destroy(cli, learner, step, false, notes);
    }
    notes.push(...(await sweep(ctx, learner, step)));
    return deploy(ctx, learner, step, { ...facts, stale: false }, cli, notes, true);
}

/**
 * Destroys a learner's stack and removes it (`destroy --remove`), its
 * workspace and its handed-out files; then sweeps the cluster for anything of
 * theirs left over (a namespace a killed run created but never recorded).
 */
export async function downLearner(ctx: CourseContext, learner: Learner, step: StepReporter, exists: boolean): Promise<string[]> {
    const notes: string[] = [];
    // No config written: a learner dropped from the roster has none, and destroy reads what it needs from the state.
    const cli = learnerCli(ctx, learner);
    if (exists) {
        step("recovering");
        notes.push(...(await recoverStack(directStack(cli))));
        step("pulumi destroy");
        await destroy(cli, learner, step, true, notes);
    }
    notes.push(...(await sweep(ctx, learner, step)));
    fs.rmSync(ctx.layout.learnerOut(learner.name), { recursive: true, force: true });
    fs.rmSync(cli.workDir, { recursive: true, force: true });
    return notes;
}

async function destroy(cli: PulumiCli, learner: Learner, step: StepReporter, remove: boolean, notes: string[]): Promise<void> {
    try {
        await releasingStaleLock(directStack(cli), () => destroyStack(cli, { remove, onEvent: (e) => describeEvent(e, step) }), notes);
    } catch (e) {
        throw e instanceof StackLockedError ? e : new Error(`${failureReason(e)}${await stuckNamespace(learner.namespace)}`);
    }
}

/** Deletes any namespace of the learner's that no stack recorded. */
async function sweep(ctx: CourseContext, learner: Learner, step: StepReporter): Promise<string[]> {
    step("sweeping");
    const selector = `${COURSE_LABEL}=${ctx.course},${LEARNER_LABEL}=${learner.name}`;
    // `-o name` prints one line per namespace deleted; with none, kubectl still says "No resources found".
    const swept = (await kubectl(["delete", "namespace", `--selector=${selector}`, "--ignore-not-found", "--wait=true", "--timeout=120s", "-o", "name"]))
        .split("\n")
        .filter((line) => line.startsWith("namespace/"));
    return swept.length > 0 ? [`removed what no stack recorded: ${swept.join("; ")}`] : [];
}
