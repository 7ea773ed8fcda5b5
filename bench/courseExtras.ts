/**
 * Measurements on a class the course command has just brought up, before the
 * benchmark removes it:
 * - `up` again: every learner up to date, so nothing should run;
 * - `up` after a few learners "failed": their record of a finished `up`
 *   removed and a pod of each deleted, as a failed or killed run leaves them;
 *   the re-run must run those and leave the rest alone;
 * - `up --refresh`: Pulumi for every learner (a no-change `up` each), what the
 *   re-runs above would cost without skipping (only where asked: it is the
 *   longest of these, a Pulumi run per learner);
 * - `status` (and where its time goes: the pods read, the pictures redrawn);
 * - `check`, with whatever checks are possible on the lab's nodes.
 */
import * as fs from "fs";
import * as path from "path";
import { CheckReport } from "../cli/checkReport";
import { learnerByName } from "../cli/course/environment";
import { CourseLayout } from "../cli/course/layout";
import { refreshPictures } from "../cli/course/pictures";
import { COURSE_LABEL } from "../cli/course/roster";
import { CommandSample, CourseExtras, DeployedCourse, requireAllReady, timedCourseCommand } from "./course";
import { mustRun } from "./proc";


/** Up to three learners spread over the class: a quarter, half and three quarters in. */
export function brokenLearners(names: string[]): string[] {
    return [...new Set([Math.floor(names.length / 4), Math.floor(names.length / 2), Math.floor((3 * names.length) / 4)].map((i) => names[i]))];
}

/** A command that must succeed, with a summary line that says so. */
function expectSummary(what: string, r: CommandSample & { stdout: string; stderr: string }, pattern: RegExp): void {
    if (r.code !== 0 || !pattern.test(r.stdout)) {
        throw new Error(`${what} exited ${r.code}, expected ${pattern}:\n${(r.stderr + r.stdout).slice(-3000)}`);
    }
}

function plain<T extends CommandSample>(r: T & { stdout?: string; stderr?: string }): T {
    const copy = { ...r };
    delete copy.stdout;
    delete copy.stderr;
    return copy;
}

export async function courseExtras(d: DeployedCourse, log: (msg: string) => void, opts: { refreshAll: boolean }): Promise<CourseExtras> {
    const n = d.learners.length;
    const all = new RegExp(`course up: ${n} done, 0 failed`);
    const rerun = await timedCourseCommand(d, ["up"]);
    expectSummary("up again", rerun, all);
    log(`  ${n} learners, up again: ${(rerun.ms / 1000).toFixed(1)} s, pulumi runs ${JSON.stringify(rerun.pulumiRuns)}`);

    const broken = brokenLearners(d.learners);
    for (const l of broken) {
        fs.rmSync(path.join(d.out, ".podlab", l, "up.json"), { force: true });
        await mustRun("kubectl", ["delete", "pod", "postgres", "-n", learnerByName(d.course, l).namespace, "--grace-period=0", "--force", "--wait=true"]);
    }
    const afterFailures = await timedCourseCommand(d, ["up"]);
    expectSummary("up after failures", afterFailures, all);
    await requireAllReady(d.course, n * d.podsPerLearner, "up after failures");
    log(`  ${n} learners, up with ${broken.length} to redo: ${(afterFailures.ms / 1000).toFixed(1)} s, pulumi runs ${JSON.stringify(afterFailures.pulumiRuns)}`);

    let refreshAll: Awaited<ReturnType<typeof timedCourseCommand>> | undefined;
    if (opts.refreshAll) {
        refreshAll = await timedCourseCommand(d, ["up", "--refresh"]);
        expectSummary("up --refresh", refreshAll, all);
        log(`  ${n} learners, up --refresh: ${(refreshAll.ms / 1000).toFixed(1)} s, pulumi runs ${JSON.stringify(refreshAll.pulumiRuns)}`);
    }

    const status = await timedCourseCommand(d, ["status"]);
    if (status.code !== 0) {
        throw new Error(`status exited ${status.code}:\n${(status.stderr + status.stdout).slice(-3000)}`);
    }
    let t = performance.now();
    await mustRun("kubectl", ["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${d.course}`, "-o", "json"]);
    const getPodsMs = performance.now() - t;
    t = performance.now();
    const written = await refreshPictures({ course: d.course, layout: new CourseLayout(d.course, d.out), roster: d.learners.map((l) => learnerByName(d.course, l)), deployed: d.learners });
    const picturesMs = performance.now() - t;
    log(`  ${n} learners, status: ${(status.ms / 1000).toFixed(1)} s (kubectl get pods ${(getPodsMs / 1000).toFixed(1)} s, pictures ${(picturesMs / 1000).toFixed(1)} s)`);

    const check = await timedCourseCommand(d, ["check"]);
    const report = JSON.parse(fs.readFileSync(path.join(d.out, "check.json"), "utf8")) as CheckReport;
    const statuses: Record<string, number> = {};
    for (const r of report.results) {
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
    log(`  ${n} learners, check: ${(check.ms / 1000).toFixed(1)} s, exit ${check.code}, ${JSON.stringify(statuses)}`);
    return {
        learners: n,
        rerun: plain(rerun),
        afterFailures: { ...plain(afterFailures), broken },
        refreshAll: refreshAll === undefined ? undefined : plain(refreshAll),
        status: { ...plain(status), getPodsMs, picturesMs, picturesWritten: written.length },
        check: { ...plain(check), statuses, reportSeconds: report.seconds },
    };
}
