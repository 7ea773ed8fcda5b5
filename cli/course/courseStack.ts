/**
 * The course's own stack, `<course>.course`: what outlives one learner and is
 * cluster-scoped, today the admission fence (a ValidatingAdmissionPolicy and
 * its binding) that covers every learner's namespace, and the course's
 * membership: its `learners` output names the learners whose stacks are the
 * course's (records.ts reads it; no learner's stack needs a tag, so a new
 * learner costs two Pulumi runs, `stack init` and `up`). `up` and `reset`
 * bring it up before any learner's environment, recording the learners they
 * are about to create; `down` records who is left, and destroys it after the
 * last learner. A real Pulumi stack in the course's backend, so a run killed
 * half way is recovered by the next, like a learner's.
 *
 * Its name (roster.ts courseStackName) cannot be a learner's stack.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_NAME, openExistingStack, recoverStack } from "../automation";
import { kubectl } from "../kubectl";
import { releasingStaleLock } from "../stackLock";
import { AdmissionFence, FENCE_LABEL, courseFenceName } from "../../components/admissionFence";
import { COURSE_LABEL } from "../../components/podSpec";
import { CourseContext, failureReason } from "./environment";
import { MEMBERS_OUTPUT } from "./records";
import { courseStackName } from "./roster";

/** What the course-level stack creates: the course's admission fence over every namespace carrying the course's label; and the course's learners, as an output. */
export function courseProgram(course: string, learners: readonly string[]): () => Promise<Record<string, unknown>> {
    return async () => {
        const fence = new AdmissionFence(courseFenceName(course), {
            namespaceSelector: { [COURSE_LABEL]: course, [FENCE_LABEL]: "course" },
            labels: { [COURSE_LABEL]: course },
        });
        return { policyName: fence.policyName, [MEMBERS_OUTPUT]: [...new Set(learners)].sort() };
    };
}

/** The course stack's own workspace, beside the learners' (a learner's name cannot start with '.'). */
function workDir(ctx: CourseContext): string {
    const dir = path.join(ctx.layout.workDir, ".course");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
}

/**
 * Creates or updates the course-level stack (recovering a killed run first),
 * recording `learners` as the course's. A refresh first puts back a policy
 * deleted behind the stack's back. Throws with the reason when it fails: no
 * learner may come up unfenced, nor unrecorded.
 */
export async function upCourseStack(ctx: CourseContext, learners: readonly string[]): Promise<string> {
    const t0 = Date.now();
    const stack: Stack = await LocalWorkspace.createOrSelectStack(
        { stackName: courseStackName(ctx.course), projectName: PROJECT_NAME, program: courseProgram(ctx.course, learners) },
        { workDir: workDir(ctx), pulumiCommand: ctx.pulumi, projectSettings: { name: PROJECT_NAME, runtime: "nodejs" } },
    );
    const notes = await recoverStack(stack);
    try {
        // Another instructor's run holding it is named (stackLock.ts); a lock a killed run of this machine left is released.
        await releasingStaleLock(stack, () => stack.up({ color: "never", refresh: true }), notes);
    } catch (e) {
        throw new Error(`the course's admission fence (stack ${stack.name}) did not come up, so no learner was brought up: ${failureReason(e)}`);
    }
    const members = new Set(learners).size;
    return [`course fence: ValidatingAdmissionPolicy ${courseFenceName(ctx.course)} and its binding, ${members} learner${members === 1 ? "" : "s"} recorded as the course's, in ${((Date.now() - t0) / 1000).toFixed(1)} s`, ...notes].join("; ");
}

/**
 * Destroys the course-level stack and removes it; then deletes any policy or
 * binding of the course that no stack recorded (a run killed between creating
 * it and saving the state). Call only once no learner's environment is left.
 */
export async function downCourseStack(ctx: CourseContext): Promise<string[]> {
    const notes: string[] = [];
    const dir = workDir(ctx);
    const stack = await openExistingStack(courseStackName(ctx.course), dir, ctx.pulumi);
    if (stack !== undefined) {
        notes.push(...(await recoverStack(stack)));
        await releasingStaleLock(stack, () => stack.destroy({ color: "never" }), notes);
        await releasingStaleLock(stack, () => stack.workspace.removeStack(stack.name), notes);
        notes.push(`course fence ${courseFenceName(ctx.course)} removed`);
    }
    const swept = (
        await kubectl([
            "delete",
            "validatingadmissionpolicybindings.admissionregistration.k8s.io,validatingadmissionpolicies.admissionregistration.k8s.io",
            `--selector=${COURSE_LABEL}=${ctx.course}`,
            "--ignore-not-found",
            "-o",
            "name",
        ])
    )
        .split("\n")
        .filter((line) => line.startsWith("validatingadmission"));
    if (swept.length > 0) {
        notes.push(`removed what no stack recorded: ${swept.join("; ")}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    return notes;
}
