/**
 * A learner's card: their namespace, their pods with their own IPs, and the
 * lesson's commands, each of which works as printed with the learner's
 * kubeconfig (the end-to-end suite runs them).
 */
import { podToPodPsqlCommand, sidecarCurlCommand } from "../../components/learnerCommands";

/** The stack outputs a card is drawn from (the podlab program's own outputs). */
export interface EnvironmentOutputs {
    namespace: string;
    podIps: Record<string, string>;
    pods: Record<string, { containers: Array<{ name: string; image: string; ports: number[] }> }>;
    postgresSecrets: Record<string, string>;
}

/** The lesson's facts about one environment, read from its outputs. */
export interface Lesson {
    namespace: string;
    postgres: Array<{ pod: string; ip: string; port: number; secret: string }>;
    sidecar: { pod: string; ip: string; nginxPort: number };
}

export function lessonOf(out: EnvironmentOutputs): Lesson {
    const postgres = Object.entries(out.postgresSecrets).map(([pod, secret]) => ({ pod, secret, ip: out.podIps[pod], port: out.pods[pod].containers[0].ports[0] }));
    const sidecarPod = Object.keys(out.pods).find((p) => !(p in out.postgresSecrets));
    const nginx = sidecarPod === undefined ? undefined : out.pods[sidecarPod].containers.find((c) => c.name === "nginx");
    if (sidecarPod === undefined || nginx === undefined) {
        throw new Error(`the outputs of ${out.namespace} have no sidecar pod with an nginx container`);
    }
    return { namespace: out.namespace, postgres, sidecar: { pod: sidecarPod, ip: out.podIps[sidecarPod], nginxPort: nginx.ports[0] } };
}

/** Each postgres pod, reached from the next one (or itself, if it is alone) at its own IP, on the same port. */
export function psqlRoutes(postgres: Lesson["postgres"]): Array<{ target: Lesson["postgres"][number]; from: Lesson["postgres"][number] }> {
    return postgres.map((target, i) => ({ target, from: postgres[(i + 1) % postgres.length] }));
}

/** The commands of the lesson, in the order a learner tries them, each with what it shows. */
export function lessonCommands(l: Lesson): Array<{ what: string; command: string }> {
    const commands = [
        { what: "every pod has its own IP", command: `kubectl -n ${l.namespace} get pods -o wide` },
        { what: "the sidecar reaches nginx at localhost: the containers of a pod share one network namespace", command: sidecarCurlCommand(l.namespace, l.sidecar.pod, l.sidecar.nginxPort) },
    ];
    for (const { target, from } of psqlRoutes(l.postgres)) {
        commands.push({
            what: `${target.pod} listens on ${target.port} at ${target.ip}, ${from.pod === target.pod ? "reached at its own IP" : `reached from ${from.pod}, which uses the same port`}`,
            command: podToPodPsqlCommand(l.namespace, from.pod, target.secret, target.ip, target.port),
        });
    }
    commands.push({ what: "what the sidecar has been doing", command: `kubectl -n ${l.namespace} logs ${l.sidecar.pod} -c sidecar --tail=3` });
    return commands;
}

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
