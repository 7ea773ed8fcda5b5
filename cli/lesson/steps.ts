/**
 * The lesson's steps, rendered for one learner from their stack config. The
 * five steps and their ids are the same in both modes (their checks recognise
 * the pods by what they are, so they judge podlab's pods and a learner's
 * alike); what differs is what the learner does:
 *   - exercise: they make the pods, from the files each step offers;
 *   - environment: podlab made them, and the steps show where to look.
 * Every command works as written in the workbench's shell (kubectl there acts
 * as the learner, in their namespace); the end-to-end suite runs them.
 */
import { podToPodPsqlCommand } from "../../components/learnerCommands";
import { StackConfig } from "../../components/stackConfig";
import { exercisePods, podFileName, postgresPodYaml, sidecarPodYaml } from "./manifests";
import { LessonStep } from "./model";

/** The steps' ids, in the lesson's order. */
export const STEP_IDS = ["postgres", "second-postgres", "sidecar", "localhost", "sandbox"] as const;
export type StepId = (typeof STEP_IDS)[number];

export function isStepId(id: string): id is StepId {
    return (STEP_IDS as readonly string[]).includes(id);
}

/** What the lesson asks the server to wait for in `kubectl wait`: long enough for a first image start on a busy node. */
const WAIT = "--timeout=120s";

/** The lesson's steps for a learner with this (validated) stack config, in order. */
export function lessonSteps(config: StackConfig): LessonStep[] {
    return config.mode === "exercise" ? exerciseSteps(config) : environmentSteps(config);
}

function exerciseSteps(config: StackConfig): LessonStep[] {
    const { postgres: [pg1, pg2], sidecar } = exercisePods(config);
    const port = config.postgres.port;
    const nginxPort = config.sidecar.nginxPort;
    return [
        {
            id: "postgres",
            title: `A postgres pod on port ${port}`,
            paragraphs: [
                "A pod is the smallest thing Kubernetes runs: one or more containers that share a network namespace and an IP address.",
                `Save ${podFileName(pg1)} in your home directory (the terminal starts there) and apply it: Kubernetes admits the pod only if it meets this namespace's rules (Pod Security "restricted", the quota), then starts PostgreSQL in it, listening on containerPort ${port}.`,
                "kubectl wait returns once the pod is Ready; get pods -o wide shows its IP.",
            ],
            commands: [`kubectl apply -f ${podFileName(pg1)}`, `kubectl wait --for=condition=Ready pod/${pg1} ${WAIT}`, "kubectl get pods -o wide"],
            files: { [podFileName(pg1)]: postgresPodYaml(config, pg1) },
        },
        {
            id: "second-postgres",
            title: `A second postgres pod, on the same port ${port}`,
            paragraphs: [
                `${pg2} is the same pod under another name, and it uses the same containerPort ${port}. On one machine two servers cannot listen on one port; here they can, because each pod has an IP address of its own.`,
                `From inside ${pg2}, psql connects to ${pg1} at ${pg1}'s IP, on port ${port}: the server answers with the address and port it was reached on.`,
            ],
            commands: [
                `kubectl apply -f ${podFileName(pg2)}`,
                `kubectl wait --for=condition=Ready pod/${pg2} ${WAIT}`,
                "kubectl get pods -o wide",
                `POSTGRES_IP=$(kubectl get pod ${pg1} -o jsonpath='{.status.podIP}')`,
                `kubectl exec ${pg2} -- psql -h "$POSTGRES_IP" -p ${port} -U postgres -c 'select inet_server_addr(), inet_server_port()'`,
            ],
            files: { [podFileName(pg2)]: postgresPodYaml(config, pg2) },
        },
        {
            id: "sidecar",
            title: "nginx and a curl sidecar in one pod",
            paragraphs: [
                `One pod, two containers: nginx serves a page on port ${nginxPort}, and a sidecar container fetches it every few seconds.`,
                "Both containers start in the same pod, so they share its network namespace; the sidecar's log shows each fetch.",
            ],
            commands: [`kubectl apply -f ${podFileName(sidecar)}`, `kubectl wait --for=condition=Ready pod/${sidecar} ${WAIT}`, "kubectl get pods -o wide", `kubectl logs ${sidecar} -c sidecar --tail=3`],
            files: { [podFileName(sidecar)]: sidecarPodYaml(config, sidecar) },
        },
        {
            id: "localhost",
            title: "From the sidecar, nginx is at localhost",
            paragraphs: [
                `Open a shell in the sidecar container and fetch http://localhost:${nginxPort}/: nginx answers, though it runs in another container, because both containers use the pod's one network namespace.`,
                "exit leaves the sidecar's shell and returns to the workbench.",
            ],
            commands: [`kubectl exec -it ${sidecar} -c sidecar -- sh`, `curl -s http://localhost:${nginxPort}/`, "exit"],
            files: {},
        },
        sandboxStep(sidecar, [pg1, pg2], nginxPort),
    ];
}

function environmentSteps(config: StackConfig): LessonStep[] {
    const [pg1, pg2] = config.postgres.names;
    const port = config.postgres.port;
    const sidecar = config.sidecar.name;
    const nginxPort = config.sidecar.nginxPort;
    const secondPostgres: LessonStep =
        pg2 === undefined
            ? {
                  id: "second-postgres",
                  title: `A second postgres pod, on the same port ${port}`,
                  paragraphs: [`This environment has one postgres pod, ${pg1}; the course can give it a second one (podlab:postgres.count 2).`],
                  commands: ["kubectl get pods -o wide"],
                  files: {},
              }
            : {
                  id: "second-postgres",
                  title: `A second postgres pod, on the same port ${port}`,
                  paragraphs: [
                      `${pg2} listens on the same containerPort ${port} as ${pg1}: each pod has an IP address of its own.`,
                      `From inside ${pg2}, psql connects to ${pg1} at ${pg1}'s IP (with ${pg1}'s password, from its Secret): the server answers with the address and port it was reached on.`,
                  ],
                  commands: [
                      "kubectl get pods -o wide",
                      `POSTGRES_IP=$(kubectl get pod ${pg1} -o jsonpath='{.status.podIP}')`,
                      podToPodPsqlCommand(undefined, pg2, `${pg1}-credentials`, '"$POSTGRES_IP"', port),
                  ],
                  files: {},
              };
    return [
        {
            id: "postgres",
            title: `A postgres pod on port ${port}`,
            paragraphs: [
                "A pod is the smallest thing Kubernetes runs: one or more containers that share a network namespace and an IP address.",
                `podlab made ${pg1} for you: PostgreSQL, listening on containerPort ${port}. get pods -o wide shows its IP; describe shows its container and port.`,
            ],
            commands: ["kubectl get pods -o wide", `kubectl describe pod ${pg1}`],
            files: {},
        },
        secondPostgres,
        {
            id: "sidecar",
            title: "nginx and a curl sidecar in one pod",
            paragraphs: [`${sidecar} has two containers: nginx on port ${nginxPort}, and a sidecar that fetches its page every few seconds; its log shows each fetch.`],
            commands: [`kubectl get pod ${sidecar} -o wide`, `kubectl logs ${sidecar} -c sidecar --tail=3`],
            files: {},
        },
        {
            id: "localhost",
            title: "From the sidecar, nginx is at localhost",
            paragraphs: [`In the sidecar container, http://localhost:${nginxPort}/ is nginx: both containers use the pod's one network namespace.`, "exit returns to the workbench."],
            commands: [`kubectl exec -it ${sidecar} -c sidecar -- sh`, `curl -s http://localhost:${nginxPort}/`, "exit"],
            files: {},
        },
        sandboxStep(sidecar, config.postgres.names, nginxPort),
    ];
}

/** Step 5, the same in both modes: what the sandbox is, and how a learner sees its traces from inside. */
function sandboxStep(sidecar: string, postgres: string[], nginxPort: number): LessonStep {
    return {
        id: "sandbox",
        title: "Each pod's sandbox holds its network namespace",
        paragraphs: [
            "Before a pod's containers start, the node's container runtime starts the pod's sandbox (the pause container): it holds the pod's network namespace, with the pod's IP, for as long as the pod lives. Every container of the pod joins it.",
            `From inside the sidecar you can see nginx's listening socket on port ${nginxPort}, though nginx runs in another container: they are in one network namespace. The sandboxes themselves are on the node, where you have no shell; the check reads them from the node's runtime for your pods (${[...postgres, sidecar].join(", ")}).`,
        ],
        commands: [`kubectl exec ${sidecar} -c sidecar -- netstat -ltn`, "kubectl get pods -o wide"],
        files: {},
    };
}
