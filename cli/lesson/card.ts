/**
 * An exercise learner's card (card.txt) and the lesson's files beside it: the
 * steps in order, each with its commands, for a learner who has the course
 * directory rather than the browser page. The files are the ones the steps
 * offer, so the commands work as printed from the card's directory too.
 */
import * as path from "path";
import { writeFileAtomic } from "../files";
import { LessonStep } from "./model";

/** Writes each step's files into `dir`; returns their names. */
export function writeStepFiles(dir: string, steps: readonly LessonStep[]): string[] {
    const names: string[] = [];
    for (const step of steps) {
        for (const [name, text] of Object.entries(step.files)) {
            writeFileAtomic(path.join(dir, name), text);
            names.push(name);
        }
    }
    return names;
}

/** The card as plain text. */
export function renderExerciseCard(a: { course: string; learner: string; expires: string; namespace: string; steps: readonly LessonStep[] }): string {
    const files = a.steps.flatMap((s) => Object.keys(s.files));
    return [
        `podlab course ${a.course}: ${a.learner} (exercise)`,
        "",
        `namespace:  ${a.namespace}`,
        `credential: ./kubeconfig (in this directory; expires ${a.expires})`,
        `files:      ${files.map((f) => `./${f}`).join(", ")}`,
        "",
        "Your namespace is empty but for your workbench: you make the lesson's pods.",
        "In the browser's terminal, or from this card's directory after:",
        "",
        `  export KUBECONFIG="$PWD/kubeconfig"`,
        ...a.steps.flatMap((s, i) => ["", `${i + 1}. ${s.title}`, ...s.commands.map((c) => `  ${c}`)]),
        "",
    ].join("\n");
}
