/**
 * The check's board on the terminal: learners x checks, each cell the
 * learner's worst status for that check, then what did not pass with what
 * was tried and what came back. Pure: a report in, text out.
 */
import { STEP_IDS } from "../lesson/steps";
import { CHECK_NAMES, CheckReport, CheckResult, CheckStatus, worstStatus } from "../checkReport";

const LABEL: Record<CheckStatus, string> = { pass: "pass", fail: "FAIL", "not-enforced": "NOT ENFORCED", "not-possible": "n/a" };
const ANSI: Record<CheckStatus, string> = { pass: "\x1b[32m", fail: "\x1b[1;31m", "not-enforced": "\x1b[1;33m", "not-possible": "\x1b[2m" };
const RESET = "\x1b[0m";

/** The board and its details; `colour` adds ANSI colours (a terminal). */
export function renderBoard(report: CheckReport, opts: { colour?: boolean } = {}): string {
    const paint = (status: CheckStatus | undefined, text: string) => (opts.colour && status ? `${ANSI[status]}${text}${RESET}` : text);
    const header = ["LEARNER", ...CHECK_NAMES];
    const rows = report.learners.map((l) => [l, ...CHECK_NAMES.map((c) => worstStatus(report.results, l, c))] as const);
    const cell = (s: CheckStatus | undefined) => (s === undefined ? "-" : LABEL[s]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 0 ? (r[0] as string).length : cell(r[i] as CheckStatus | undefined).length))));
    const line = (cells: string[], statuses: Array<CheckStatus | undefined> = []) =>
        cells
            .map((c, i) => paint(i === 0 ? undefined : statuses[i - 1], c.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    const t = report.timings;
    const steps = t
        ? ` (cluster read at ${t.clusterRead.toFixed(1)} s${t.canaryReady !== undefined ? `, canary ready at ${t.canaryReady.toFixed(1)} s` : ""}, learners done at ${t.learnersDone.toFixed(1)} s${t.canaryDeleted !== undefined ? `, canary deleted at ${t.canaryDeleted.toFixed(1)} s` : ""})`
        : "";
    const out: string[] = [
        `course ${report.course}: ${report.learners.length} learner${report.learners.length === 1 ? "" : "s"} checked in ${report.seconds.toFixed(1)} s${steps}`,
        "",
        line(header),
        ...rows.map((r) => {
            const statuses = r.slice(1) as Array<CheckStatus | undefined>;
            return line([r[0] as string, ...statuses.map(cell)], statuses);
        }),
    ];

    const failed = report.results.filter((r) => r.status === "fail");
    if (failed.length > 0) {
        out.push("", "Failed:");
        for (const r of failed) {
            out.push(`  ${paint("fail", "FAIL")} ${where(r)}`, `    tried: ${r.tried}`, `    got:   ${r.got}`);
        }
    }
    // The same finding for many learners (a cluster that ignores NetworkPolicy, a runtime podlab cannot see) is said once per check.
    for (const status of ["not-enforced", "not-possible"] as const) {
        for (const check of CHECK_NAMES) {
            const rs = report.results.filter((r) => r.status === status && r.check === check);
            if (rs.length === 0) {
                continue;
            }
            const who = [...new Set(rs.map((r) => r.learner))];
            const reasons = status === "not-enforced" ? [report.canary.detail] : [...new Set(rs.map((r) => r.got))];
            out.push("", `${paint(status, LABEL[status])} ${check} for ${who.length === report.learners.length && who.length > 1 ? `every learner (${who.length})` : who.join(", ")}:`);
            out.push(...reasons.slice(0, 3).map((why) => `    ${why}`), ...(reasons.length > 3 ? [`    (and ${reasons.length - 3} more: check.json has them all)`] : []));
            if (status === "not-enforced") {
                out.push(`    e.g. ${rs[0].learner}: ${rs[0].got.split("; ")[0]}`);
            }
        }
    }
    out.push(...stepsBoard(report, paint));
    const count = (s: CheckStatus) => report.results.filter((r) => r.status === s).length;
    out.push(
        "",
        `${count("pass")} passed, ${count("fail")} failed, ${count("not-enforced")} not enforced, ${count("not-possible")} not possible (${report.results.length} findings)`,
        "fail and not-enforced make the exit status 1; not-possible is informational.",
    );
    return out.join("\n");
}

function where(r: CheckResult): string {
    return `${r.learner} ${r.check}${r.pod ? ` (pod ${r.pod})` : ""}`;
}

/** Exercise learners x the lesson's steps, and where each one is: the first step not passed, in the check's words. */
function stepsBoard(report: CheckReport, paint: (status: CheckStatus | undefined, text: string) => string): string[] {
    const steps = report.steps ?? [];
    const learners = [...new Set(steps.map((s) => s.learner))];
    if (learners.length === 0) {
        return [];
    }
    const header = ["EXERCISE", ...STEP_IDS];
    const rows = learners.map((l) => [l, ...STEP_IDS.map((id) => steps.find((s) => s.learner === l && s.step === id)?.status)] as const);
    const cell = (s: CheckStatus | undefined) => (s === undefined ? "-" : LABEL[s]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 0 ? (r[0] as string) : cell(r[i] as CheckStatus | undefined)).length)));
    const out = ["", "Exercise steps (each learner's progress, checked with their credential; not part of the exit status):", header.map((h, i) => h.padEnd(widths[i])).join("  ").trimEnd()];
    for (const r of rows) {
        out.push(
            r
                .map((c, i) => (i === 0 ? (c as string).padEnd(widths[0]) : paint(c as CheckStatus | undefined, cell(c as CheckStatus | undefined).padEnd(widths[i]))))
                .join("  ")
                .trimEnd(),
        );
    }
    for (const l of learners) {
        const next = steps.find((s) => s.learner === l && s.status !== "pass");
        out.push(next === undefined ? `  ${l}: every step passes` : `  ${l} at ${next.step}: ${next.summary}`);
    }
    return out;
}
