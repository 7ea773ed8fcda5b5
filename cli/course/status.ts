/** `course status`'s table: learners x pods, from one read of the cluster. */
import { LEARNER_LABEL, Learner } from "./roster";

/** The table's text, and how many learners' pods (or missing environments) are not ready. */
export function statusTable(learners: Learner[], pods: any[], registry: string[]): { table: string; notReady: number } {
    const rows: string[][] = [["LEARNER", "POD", "PHASE", "READY", "IP"]];
    let notReady = 0;
    for (const l of learners) {
        const mine = pods.filter((p) => p.metadata.labels?.[LEARNER_LABEL] === l.name).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
        if (mine.length === 0) {
            rows.push([l.name, "-", registry.includes(l.name) ? "no pods" : "not deployed", "-", "-"]);
            notReady++;
        }
        for (const p of mine) {
            const statuses: any[] = p.status?.containerStatuses ?? [];
            const ready = `${statuses.filter((c) => c.ready).length}/${p.spec.containers.length}`;
            if (!statuses.every((c) => c.ready) || statuses.length === 0) {
                notReady++;
            }
            rows.push([l.name, p.metadata.name, p.status?.phase ?? "?", ready, p.status?.podIP ?? "-"]);
        }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return { table: rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n"), notReady };
}
