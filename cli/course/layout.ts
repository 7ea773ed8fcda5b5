/**
 * Where a course keeps its files: one directory, `--out`, by default
 * `<state>/courses/<course>/` under the podlab state directory, never inside
 * the repository. Every command of one course takes the same `--out`.
 *
 *   <out>/<learner>/kubeconfig, card.txt  what a learner gets (kubeconfig mode 0600)
 *   <out>/<learner>/card.html             the card with the picture of their pods
 *   <out>/index.html, check.json          the instructor's page and the last check
 *   <out>/.podlab/lock                    one course command at a time on this machine
 *   <out>/.podlab/<learner>/              the learner's Pulumi workspace, and copies of its
 *                                         outputs (outputs.json) and of which update they are (seen.json)
 *
 * Nothing here is the only record of anything: which learners a course has is
 * in the Pulumi backend (the course-level stack's record), their outputs and config too, their
 * credentials' records on the cluster (records.ts). A second instructor with
 * another course directory, on another machine, works on the same class.
 */
import * as path from "path";
import { PROJECT_DIR } from "../automation";
import { stateDir } from "../files";

export class CourseLayout {
    /** Where learners' files are written. */
    public readonly outDir: string;
    /** The course's own bookkeeping and workspaces. */
    public readonly workDir: string;

    constructor(
        public readonly course: string,
        out?: string,
    ) {
        this.outDir = path.resolve(out ?? path.join(stateDir(), "courses", course));
        this.workDir = path.join(this.outDir, ".podlab");
        const inRepo = (p: string) => p === PROJECT_DIR || p.startsWith(PROJECT_DIR + path.sep);
        if (inRepo(this.outDir)) {
            throw new Error(`--out ${this.outDir} is inside the repository ${PROJECT_DIR}: credentials never go there; choose a directory outside it`);
        }
    }

    learnerOut(learner: string): string {
        return path.join(this.outDir, learner);
    }

    kubeconfig(learner: string): string {
        return path.join(this.learnerOut(learner), "kubeconfig");
    }

    card(learner: string): string {
        return path.join(this.learnerOut(learner), "card.txt");
    }

    /** The card with the picture of the learner's pods. */
    cardHtml(learner: string): string {
        return path.join(this.learnerOut(learner), "card.html");
    }

    /** The instructor's page. */
    get indexHtml(): string {
        return path.join(this.outDir, "index.html");
    }

    /** The last `check`'s findings. */
    get checkReport(): string {
        return path.join(this.outDir, "check.json");
    }

    /** The learner's Pulumi workspace (Pulumi.yaml, Pulumi.<stack>.yaml) and records (no secrets in plain text). */
    workspace(learner: string): string {
        return path.join(this.workDir, learner);
    }

    /** The copy of the learner's stack outputs. */
    outputs(learner: string): string {
        return path.join(this.workspace(learner), "outputs.json");
    }

    get lockFile(): string {
        return path.join(this.workDir, "lock");
    }
}
