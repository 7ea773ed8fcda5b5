/**
 * The podlab program's outputs as the commands read them (a course's copy, or
 * the live cluster's pods), and the lesson they describe: each postgres pod at
 * its own IP on the same port, nginx reached at localhost, and the commands that
 * show it. The course's cards and the pictures of a course or of one stack
 * (cli/picture/) are all drawn from these.
 */
import { podToPodPsqlCommand, sidecarCurlCommand } from "../components/learnerCommands";

/** A stack's outputs as a card or a picture reads them (the podlab program's own outputs, index.ts). */
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
