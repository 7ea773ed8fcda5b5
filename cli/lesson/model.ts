/**
 * The lesson a learner follows in the browser (`npm run course -- serve`), as
 * data: its steps, the files each step offers, and what checking a step with
 * the learner's own credential answered. The steps and their checks live
 * beside this file; the server (cli/serve/) only shows them and runs checks.
 */

/** One step of the lesson: what the learner reads and may copy, in the order shown. */
export interface LessonStep {
    /** Stable id, used in URLs, check results and the instructor's page: `postgres`, `second-postgres`, ... */
    id: string;
    /** A short title: "A postgres pod on port 5432". */
    title: string;
    /** What to do and why, as plain paragraphs (no HTML): the page escapes and wraps it. */
    paragraphs: string[];
    /** Commands to type in the terminal, in order, exactly as they work there. */
    commands: string[];
    /** Files the page offers for this step (name to content), e.g. `postgres-pod.yaml`; each passes the fences. */
    files: Record<string, string>;
}

/** Whose credential a check runs with: the learner's own kubeconfig, never the admin's. */
export interface LearnerCredential {
    learner: string;
    namespace: string;
    /** Path of the learner's kubeconfig (mode 0600). */
    kubeconfig: string;
}
