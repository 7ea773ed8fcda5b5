/**
 * A learner's `up`, `reset` and `down`, each in as few Pulumi CLI processes as
 * it needs (cli/stackUp.ts, cli/pulumiRun.ts):
 *
 * - up: one `pulumi up` (refresh included) for a learner whose stack exists;
 *   `stack init` first for a new one;
 * - reset: `pulumi destroy` (the stack stays), then that `up` with a new password;
 * - down: `pulumi destroy --remove`.
 *
 * A killed earlier run is recovered first (cli/automation.ts recoverStack:
 * no CLI run unless there is a lock or a pending operation to resolve).
 */
import * as fs from "fs";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { inlinePodlab, openStack, recoverStack } from "../automation";
import { kubectl } from "../kubectl";
import { PulumiCli, destroyStack } from "../pulumiRun";
import { upStack } from "../stackUp";
import { CourseContext, StepReporter, describeEvent, failureReason, plainOutputs, stuckNamespace, writeCard, writeLearnerWorkspace } from "./environment";
import { credentialCurrent, mintCredential } from "./credentials";
import { writeFileAtomic } from "./layout";
import { ObjectsSeen, forgetUp, recordUp, stackInputs } from "./upToDate";
import { COURSE_LABEL, LEARNER_LABEL, Learner } from "./roster";

/** What the course asked the CLI once for every learner. */
export interface LearnerFacts {
    /** The learner's stack exists in the backend (one `stack ls` for the course). */
    exists: boolean;
    /** A random provider is available (one `plugin ls` for the course); on the lab it never is, so each stack gets a generated password. */
    randomProvider: boolean;
}

/** Writes the learner's workspace (with `config`, the stack's config file too) and returns the CLI for its stack. */
function learnerCli(ctx: CourseContext, learner: Learner, config?: Record<string, unknown>): PulumiCli {
    return { command: ctx.pulumi?.command ?? "pulumi", workDir: writeLearnerWorkspace(ctx.layout, learner, config), stack: learner.stack };
}

/** Recovers a killed run's leftovers; the Automation API stack is opened only if there is something to do. */
function recover(ctx: CourseContext, learner: Learner, cli: PulumiCli): Promise<string[]> {
    return recoverStack({ name: learner.stack, open: () => openStack(learner.stack, cli.workDir, { pulumiCommand: ctx.pulumi, exists: true }) });
}

/**
 * Brings a learner's environment to what the roster says: stack config written,
 * a killed earlier run recovered, one `up`, then a credential (kept while
 * current), the card, and the record that lets the next `up` skip this learner
 * while nothing changed (./upToDate.ts). Returns notes worth printing.
 */
export async function upLearner(ctx: CourseContext, learner: Learner, step: StepReporter, facts: LearnerFacts, opts: { newPassword?: boolean } = {}): Promise<string[]> {
    // Recorded before the stack exists, so a run killed right after creating it still knows it is the course's.
    ctx.registry.add(learner.name);
    forgetUp(ctx.layout, learner.name);
    const cli = learnerCli(ctx, learner, learner.config);
    step("recovering");
    const notes = facts.exists ? await recover(ctx, learner, cli) : [];
    step("pulumi up");
    const seen = new ObjectsSeen();
    let newNamespace = false;
    // The refresh (in the same run) sees what was changed or deleted behind the stack's back
    // (a pod `course check` found missing), so this up puts it back.
    const result = await upStack(
        cli,
        { exists: facts.exists, randomProvider: facts.randomProvider, keys: ctx.keys, newPassword: opts.newPassword },
        {
            program: inlinePodlab,
            refresh: true,
            onEvent: (e: EngineEvent) => {
                seen.take(e);
                newNamespace ||= e.resOutputsEvent?.metadata.op === "create" && e.resOutputsEvent.metadata.type === "kubernetes:core/v1:Namespace";
                describeEvent(e, step);
            },
        },
    );
    const outputs = plainOutputs(result.outputs);
    if (outputs.access?.serviceAccount === undefined) {
        throw new Error(`the update of ${learner.stack} reported no access.serviceAccount output (outputs: ${Object.keys(result.outputs).join(", ") || "none"})`);
    }
    writeFileAtomic(path.join(cli.workDir, "outputs.json"), JSON.stringify(outputs, null, 2) + "\n");
    step("credential");
    // In a namespace this update created there is no credential yet: nothing to look up.
    if (newNamespace || !(await credentialCurrent(ctx.layout, learner, ctx.expires, ctx.now()))) {
        await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now(), newNamespace });
        notes.push("new credential");
    }
    writeCard(ctx, learner.name);
    recordUp(ctx.layout, learner.name, { inputs: stackInputs(cli.workDir, cli.stack), objects: seen.objects(), at: ctx.now().toISOString() });
    return notes;
}

/**
 * Puts a learner's environment back to new: `destroy` (the namespace and
 * everything in it, the learner's own pods too; the stack stays), then `up`
 * with a new password; the old credential goes with its namespace and a new
 * one is minted.
 */
export async function resetLearner(ctx: CourseContext, learner: Learner, step: StepReporter, facts: LearnerFacts): Promise<string[]> {
    ctx.registry.add(learner.name);
    forgetUp(ctx.layout, learner.name);
    const cli = learnerCli(ctx, learner, learner.config);
    fs.rmSync(ctx.layout.learnerOut(learner.name), { recursive: true, force: true });
    for (const record of ["outputs.json", "credential.json"]) {
        fs.rmSync(path.join(cli.workDir, record), { force: true });
    }
    const notes = facts.exists ? await recover(ctx, learner, cli) : [];
    if (facts.exists) {
        step("pulumi destroy");
        await destroy(cli, learner, step, false);
    }
    notes.push(...(await sweep(ctx, learner, step)));
    return [...notes, ...(await upLearner(ctx, learner, step, facts, { newPassword: true }))];
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
        notes.push(...(await recover(ctx, learner, cli)));
        step("pulumi destroy");
        await destroy(cli, learner, step, true);
    }
    notes.push(...(await sweep(ctx, learner, step)));
    fs.rmSync(ctx.layout.learnerOut(learner.name), { recursive: true, force: true });
    fs.rmSync(cli.workDir, { recursive: true, force: true });
    ctx.registry.remove(learner.name);
    return notes;
}

async function destroy(cli: PulumiCli, learner: Learner, step: StepReporter, remove: boolean): Promise<void> {
    try {
        await destroyStack(cli, { remove, onEvent: (e) => describeEvent(e, step) });
    } catch (e) {
        throw new Error(`${failureReason(e)}${await stuckNamespace(learner.namespace)}`);
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
