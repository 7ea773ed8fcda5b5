/**
 * The course's pictures, drawn from the live cluster: every deployed learner's
 * `card.html` and the instructor's `index.html` (with the last check's
 * results). One read of the course's pods and one of the node's runtime,
 * whatever the number of learners. `up`, `reset`, `credentials`, `status`,
 * `check` and `down` call it; nothing here changes the cluster.
 */
import * as fs from "fs";
import { kubectlJson } from "../kubectl";
import { readCri } from "../cri";
import { liveCommands } from "../picture/live";
import { environmentView } from "../picture/model";
import { KubePod } from "../kubePod";
import { LearnerCard, instructorPage, learnerCardPage } from "../picture/pages";
// A learner's card carries their page's link (the one thing of serve/ a card needs).
import { cardLink } from "../serve/links";
import { CheckReport } from "../checkReport";
import { courseCredentials } from "./credentials";
import { learnerByName } from "./environment";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";
import { COURSE_LABEL, Learner } from "./roster";

/** The last check's report, if there is one for this course. */
export function readCheckReport(layout: CourseLayout): CheckReport | undefined {
    try {
        const report = JSON.parse(fs.readFileSync(layout.checkReport, "utf8")) as CheckReport;
        return report.course === layout.course ? report : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Writes every deployed learner's card.html and the index.html; with no learner
 * deployed, removes the index and the last check (nothing left to show).
 * Returns the files written.
 */
export async function refreshPictures(a: { course: string; layout: CourseLayout; roster: Learner[]; deployed: string[] }): Promise<string[]> {
    const { layout } = a;
    if (a.deployed.length === 0) {
        fs.rmSync(layout.indexHtml, { force: true });
        fs.rmSync(layout.checkReport, { force: true });
        return [];
    }
    const [pods, cri, credentials] = await Promise.all([kubectlJson<{ items: KubePod[] }>(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${a.course}`]), readCri(), courseCredentials(a.course)]);
    const readAt = new Date();
    const check = readCheckReport(layout);
    const rosterNames = a.roster.map((l) => l.name);
    const learners = [...a.roster, ...a.deployed.filter((n) => !rosterNames.includes(n)).map((n) => learnerByName(a.course, n))];
    const written: string[] = [];
    const rows = learners.map((l) => {
        const deployed = a.deployed.includes(l.name);
        let card: LearnerCard | undefined;
        if (deployed && fs.existsSync(layout.kubeconfig(l.name))) {
            card = {
                course: a.course,
                learner: l.name,
                expires: credentials.get(l.name)?.expires,
                link: cardLink(layout, l.name),
                view: environmentView(l.namespace, pods.items, cri, readAt),
                commands: liveCommands(l.namespace, pods.items),
                check: check?.learners.includes(l.name) ? { checkedAt: check.checkedAt, results: check.results.filter((r) => r.learner === l.name) } : undefined,
            };
            // The card carries the learner's link (their secret): theirs and the instructor's alone.
            writeFileAtomic(layout.cardHtml(l.name), learnerCardPage(card), 0o600);
            written.push(layout.cardHtml(l.name));
        }
        return { learner: l.name, namespace: l.namespace, deployed, inRoster: rosterNames.includes(l.name), card };
    });
    // Every learner's card, with their links: the instructor's alone.
    writeFileAtomic(layout.indexHtml, instructorPage({ course: a.course, readAt: readAt.toISOString(), rows, check }), 0o600);
    written.push(layout.indexHtml);
    return written;
}
