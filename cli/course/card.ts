/**
 * A learner's card: their namespace, their pods with their own IPs, and the
 * lesson's commands, each of which works as printed with the learner's
 * kubeconfig (the end-to-end suite runs them).
 */
import { Lesson, lessonCommands } from "../environmentOutputs";

/** The card as plain text. */
export function renderCard(args: { course: string; learner: string; expires: string; lesson: Lesson }): string {
    const { lesson } = args;
    const rows = [
        ...lesson.postgres.map((p) => [p.pod, p.ip, `postgres :${p.port}`]),
        [lesson.sidecar.pod, lesson.sidecar.ip, `nginx :${lesson.sidecar.nginxPort}, sidecar`],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    return [
        `podlab course ${args.course}: ${args.learner}`,
        "",
        `namespace:  ${lesson.namespace}`,
        `credential: ./kubeconfig (in this directory; expires ${args.expires})`,
        "",
        "Your pods, each with its own IP:",
        ...rows.map((r) => `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`),
        "",
        "Try these, from this card's directory:",
        "",
        `  export KUBECONFIG="$PWD/kubeconfig"`,
        ...lessonCommands(lesson).flatMap((c) => ["", `  # ${c.what}`, `  ${c.command}`]),
        "",
    ].join("\n");
}

/**
 * A card (either kind) with the learner's page in the browser (`npm run course
 * -- serve`) under its credential line; the link carries the learner's secret.
 */
export function withLink(card: string, link: string | undefined): string {
    if (link === undefined) {
        return card;
    }
    const lines = card.split("\n");
    const at = lines.findIndex((l) => l.startsWith("credential:"));
    lines.splice(at + 1, 0, `your page:  ${link}`, "            (a terminal, the lesson's steps and your pods, in the browser; keep this link to yourself)");
    return lines.join("\n");
}
