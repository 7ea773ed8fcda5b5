/**
 * How each step of the lesson is judged: pure functions from what the
 * learner's own credential read (their pods, events, a container's last log
 * lines) and what a command in their pod printed, to pass or fail in the
 * learner's terms, quoting Kubernetes. check.ts does the reading; every
 * decision is here, unit-tested on recorded objects.
 *
 * The learner's pods are recognised by what they are, never by podlab's names:
 * a postgres pod is one with a container whose image is postgres and that
 * declares the lesson's containerPort; the sidecar pod is one with an nginx
 * container and a curl container.
 */
import { WORKBENCH_LABEL } from "../../components/workbench";
import { parseImageRef } from "../../components/validation";
import { Outcome, gist, judgePsql, judgeSandbox } from "../checkModel";
import { environmentView } from "../picture/model";
import { CriView } from "../cri";
import { StepStatus } from "../checkReport";
import { KubePod } from "../kubePod";

/** An event about a pod, as `GET .../events` returns it. */
export interface LessonEvent {
    type?: string;
    reason?: string;
    message?: string;
    count?: number;
    involvedObject: { kind?: string; name: string; uid?: string };
    lastTimestamp?: string;
    eventTime?: string;
}

/** What a step's check concluded: the StepResult without who and when. */
export interface Verdict {
    status: StepStatus;
    summary: string;
    evidence: string[];
}

/** The image's name without registry, path, tag or digest: `postgres`, `nginx-unprivileged`, `curl`. */
export function imageName(image: string): string {
    return parseImageRef(image).repository.split("/").pop() ?? image;
}

const isPostgresImage = (image: string) => /^postgres/.test(imageName(image));
const isNginxImage = (image: string) => /nginx/.test(imageName(image));
const isCurlImage = (image: string) => /curl/.test(imageName(image));

/** The learner's pods: everything in the namespace but podlab's workbench and pods being deleted. */
export function learnersPods(pods: readonly KubePod[]): KubePod[] {
    return pods.filter((p) => p.metadata.labels?.[WORKBENCH_LABEL] !== "true" && p.metadata.deletionTimestamp === undefined);
}

export function postgresContainer(p: KubePod): KubePod["spec"]["containers"][number] | undefined {
    return p.spec.containers.find((c) => isPostgresImage(c.image));
}

function declaresPort(c: { ports?: Array<{ containerPort: number }> } | undefined, port: number): boolean {
    return (c?.ports ?? []).some((x) => x.containerPort === port);
}

/** A pod with a postgres container that declares `port`. */
export function isLessonPostgres(p: KubePod, port: number): boolean {
    return declaresPort(postgresContainer(p), port);
}

/** A pod with an nginx container and, beside it, a curl container. */
export function sidecarContainers(p: KubePod): { nginx: string; curl: string } | undefined {
    const nginx = p.spec.containers.find((c) => isNginxImage(c.image));
    const curl = p.spec.containers.find((c) => c !== nginx && isCurlImage(c.image));
    return nginx && curl ? { nginx: nginx.name, curl: curl.name } : undefined;
}

export function podIsReady(p: KubePod): boolean {
    return p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** The port nginx declares in a sidecar pod (the first of its container's ports), or `fallback`. */
export function nginxPortOf(p: KubePod, fallback: number): number {
    const c = p.spec.containers.find((x) => isNginxImage(x.image));
    return c?.ports?.[0]?.containerPort ?? fallback;
}

/** The pod's IP, or a word for its absence. */
const ipText = (p: KubePod) => p.status?.podIP ?? "no IP yet";

/** "postgres (Running at 10.245.0.7)", for lists of pods. */
function describePod(p: KubePod): string {
    const images = p.spec.containers.map((c) => `${c.name}: ${c.image}`).join(", ");
    return `${p.metadata.name} (${p.status?.phase ?? "Pending"}${p.status?.podIP ? ` at ${p.status.podIP}` : ""}; ${images})`;
}

/** Warning events about this pod, newest last, as "Reason: message (xN)". */
export function warningsAbout(pod: KubePod, events: readonly LessonEvent[]): string[] {
    const mine = events.filter((e) => e.involvedObject.name === pod.metadata.name && (e.involvedObject.uid === undefined || e.involvedObject.uid === pod.metadata.uid) && e.type === "Warning");
    const when = (e: LessonEvent) => e.lastTimestamp ?? e.eventTime ?? "";
    const lines = [...mine].sort((a, b) => when(a).localeCompare(when(b))).map((e) => `${e.reason}: ${oneLine(e.message ?? "")}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ""}`);
    return [...new Set(lines)].slice(-3).map((l) => `event on pod ${pod.metadata.name}: ${l}`);
}

function oneLine(text: string, max = 400): string {
    const flat = text.replace(/\s*\n\s*/g, " ").trim();
    return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/** Image problems, by the kubelet's reasons: the image is not on this cluster (or cannot be pulled). */
const IMAGE_REASONS = ["ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff", "InvalidImageName"];

/**
 * Why a pod is not Ready, in the learner's terms: an image the cluster lacks,
 * a crash (with the container's last log lines), a pod that cannot be placed,
 * a probe that fails, or still starting. `logs` holds each crashed container's
 * last lines, as the learner's pods/log returned them.
 */
export function notReady(
    pod: KubePod,
    events: readonly LessonEvent[],
    logs: Readonly<Record<string, string>> = {},
    imageHint = " Use the image the step's file names.",
): { summary: string; evidence: string[] } {
    const name = pod.metadata.name;
    const warnings = warningsAbout(pod, events);
    const statuses = pod.status?.containerStatuses ?? [];
    for (const s of statuses) {
        const waiting = s.state?.waiting;
        const image = pod.spec.containers.find((c) => c.name === s.name)?.image ?? "?";
        if (waiting?.reason !== undefined && IMAGE_REASONS.includes(waiting.reason)) {
            return {
                summary: `${name} cannot start: container ${s.name}'s image ${image} is not on this cluster (${waiting.reason}).${imageHint}`,
                evidence: [`container ${s.name}: ${waiting.reason}: ${oneLine(waiting.message ?? "")}`, ...warnings],
            };
        }
    }
    for (const s of statuses) {
        const crashed = s.state?.terminated ?? (s.state?.waiting?.reason === "CrashLoopBackOff" ? s.lastState?.terminated : undefined);
        if (crashed !== undefined || (s.restartCount ?? 0) > 0) {
            const last = crashed ?? s.lastState?.terminated;
            const how = last ? `exit code ${last.exitCode ?? "?"}${last.reason ? `, ${last.reason}` : ""}` : `${s.restartCount} restarts`;
            const log = (logs[s.name] ?? "").trimEnd();
            return {
                summary: `${name}'s container ${s.name} ${s.state?.running ? "restarted" : "keeps stopping"} (${how}): its last log lines say why.`,
                evidence: [
                    ...(log === "" ? [`container ${s.name} logged nothing`] : log.split("\n").slice(-5).map((l) => `${s.name} log: ${l}`)),
                    ...(last?.message ? [`container ${s.name}: ${oneLine(last.message)}`] : []),
                    ...warnings,
                ],
            };
        }
    }
    const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    if (scheduled?.status === "False") {
        return { summary: `${name} is Pending: no node can take it yet (${scheduled.reason ?? "unscheduled"}).`, evidence: [`PodScheduled False: ${oneLine(scheduled.message ?? "")}`, ...warnings] };
    }
    if (pod.status?.phase === "Running") {
        const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
        return { summary: `${name} is Running but not Ready yet: ${unready.join(", ") || "a container"} has not passed its readiness probe. Give it a few seconds.`, evidence: warnings };
    }
    const waiting = statuses.map((s) => s.state?.waiting?.reason).filter((r): r is string => r !== undefined);
    return {
        summary: `${name} is ${pod.status?.phase ?? "Pending"}${waiting.length > 0 ? ` (${[...new Set(waiting)].join(", ")})` : ""}: still starting.${warnings.length > 0 ? " Kubernetes reports a problem:" : ""}`,
        evidence: warnings,
    };
}

/** What the check found about the step's file in the workbench, when no pod of that kind exists. */
export interface FileTrial {
    file: string;
    /** Found in the learner's home in the workbench. */
    found: boolean;
    /** What `kubectl create --dry-run=server -f FILE` answered with the learner's credential. */
    dryRun?: Outcome;
    /** Why the file could not be read (the workbench not running, say). */
    unreadable?: string;
}

/** Evidence from the learner's file: Kubernetes' refusal of it, quoted (a refused create leaves no object to look at). */
function fileEvidence(trial: FileTrial | undefined): { hint: string; evidence: string[] } {
    if (trial === undefined) {
        return { hint: "", evidence: [] };
    }
    if (trial.unreadable !== undefined) {
        return { hint: "", evidence: [`could not look for ${trial.file} in the workbench: ${trial.unreadable}`] };
    }
    if (!trial.found) {
        return { hint: ` Save ${trial.file} in the workbench's home directory and run kubectl apply -f ${trial.file}.`, evidence: [`no ${trial.file} in the workbench's home directory`] };
    }
    const r = trial.dryRun;
    if (r === undefined) {
        return { hint: "", evidence: [] };
    }
    if (r.exitCode === 0) {
        return { hint: ` Your ${trial.file} would be accepted: run kubectl apply -f ${trial.file}.`, evidence: [`kubectl create --dry-run=server -f ${trial.file}: ${oneLine(r.stdout)}`] };
    }
    return {
        hint: ` Kubernetes refuses your ${trial.file}: fix what it says (or start again from the step's file), then apply it.`,
        evidence: [`kubectl create --dry-run=server -f ${trial.file}: ${oneLine(r.stderr || r.stdout, 1200)}`],
    };
}

const fail = (summary: string, evidence: string[] = []): Verdict => ({ status: "fail", summary, evidence });

/** Everything the checks of steps 1-4 read about the learner's namespace. */
export interface Observed {
    pods: KubePod[];
    events: LessonEvent[];
    /** Last log lines of crashed containers, by pod, then container. */
    logs?: Record<string, Record<string, string>>;
}

/** The reason a pod is not Ready, with its crash logs. */
function notReadyOf(o: Observed, p: KubePod): { summary: string; evidence: string[] } {
    return notReady(p, o.events, o.logs?.[p.metadata.name]);
}

/** Step 1: a postgres pod that declares the lesson's port, Running and Ready. */
export function judgePostgres(o: Observed, port: number, trial?: FileTrial): Verdict {
    const mine = learnersPods(o.pods);
    const postgres = mine.filter((p) => postgresContainer(p) !== undefined);
    if (postgres.length === 0) {
        const { hint, evidence } = fileEvidence(trial);
        const others = mine.length === 0 ? "no pods of yours" : `only ${mine.map(describePod).join("; ")}`;
        return fail(`No postgres pod yet: your namespace has ${others}.${hint}`, evidence);
    }
    const onPort = postgres.filter((p) => isLessonPostgres(p, port));
    if (onPort.length === 0) {
        const p = postgres[0];
        const declared = (postgresContainer(p)?.ports ?? []).map((x) => x.containerPort);
        return fail(`${p.metadata.name} runs postgres but declares ${declared.length === 0 ? "no containerPort" : `containerPort ${declared.join(", ")}`}, not ${port}: add containerPort ${port} to its container.`);
    }
    const ready = onPort.find(podIsReady);
    if (ready !== undefined) {
        return { status: "pass", summary: `${ready.metadata.name} is Running at ${ipText(ready)}, its postgres container declaring containerPort ${port}.`, evidence: [] };
    }
    const why = notReadyOf(o, onPort[0]);
    return fail(why.summary, why.evidence);
}

/** Where psql ran and what it printed: the second step's proof that one pod reaches the other at its own IP. */
export interface PsqlTrial {
    from: string;
    to: string;
    ip: string;
    port: number;
    outcome: Outcome;
}

/**
 * Step 2: two postgres pods on the lesson's port, both Running, each at its
 * own IP, and psql from one reaches the other (`psql` judged from its output:
 * the server must answer as the other pod's address and port).
 */
export function judgeSecondPostgres(o: Observed, port: number, psql?: PsqlTrial, trial?: FileTrial): Verdict {
    const onPort = learnersPods(o.pods).filter((p) => isLessonPostgres(p, port));
    const ready = onPort.filter(podIsReady);
    if (ready.length < 2) {
        const waiting = onPort.find((p) => !podIsReady(p));
        if (waiting !== undefined) {
            const why = notReadyOf(o, waiting);
            return fail(`${ready.length === 1 ? `${ready[0].metadata.name} is Running; ` : ""}${why.summary}`, why.evidence);
        }
        const { hint, evidence } = fileEvidence(trial);
        const have = ready.length === 1 ? `one postgres pod on ${port} (${ready[0].metadata.name} at ${ipText(ready[0])})` : `no postgres pod on ${port} Running`;
        return fail(`You have ${have}; the step needs a second one beside it.${hint}`, evidence);
    }
    const ips = new Map<string, string[]>();
    for (const p of ready) {
        ips.set(ipText(p), [...(ips.get(ipText(p)) ?? []), p.metadata.name]);
    }
    const shared = [...ips.entries()].find(([, names]) => names.length > 1);
    if (shared !== undefined) {
        return fail(`${shared[1].join(" and ")} report the same IP ${shared[0]}: each pod should have its own.`);
    }
    const both = `${ready[0].metadata.name} at ${ipText(ready[0])} and ${ready[1].metadata.name} at ${ipText(ready[1])}, both on ${port}`;
    if (psql === undefined) {
        return fail(`${both}; psql from one to the other was not tried.`);
    }
    // The course check's judgement of the same psql: the server answers as that address and port.
    if (judgePsql({ learner: "", pod: psql.to, ip: psql.ip, port: psql.port, tried: "", outcome: psql.outcome }).status === "pass") {
        return {
            status: "pass",
            summary: `${both}: psql in ${psql.from} reached ${psql.to} at ${psql.ip}:${psql.port}, and the server answered as ${psql.ip}:${psql.port}.`,
            evidence: [`psql in ${psql.from}: ${oneLine(psql.outcome.stdout)}`],
        };
    }
    return fail(`${both}, but psql in ${psql.from} did not reach ${psql.to} at ${psql.ip}:${psql.port}.`, [`psql in ${psql.from}: ${gist(psql.outcome, 600)}`]);
}

/** Step 3: a pod with an nginx container and a curl sidecar, Running and Ready. */
export function judgeSidecar(o: Observed, trial?: FileTrial): Verdict {
    const mine = learnersPods(o.pods);
    const pods = mine.filter((p) => sidecarContainers(p) !== undefined);
    if (pods.length === 0) {
        const nginxOnly = mine.find((p) => p.spec.containers.some((c) => isNginxImage(c.image)));
        if (nginxOnly !== undefined) {
            return fail(`${nginxOnly.metadata.name} runs nginx, but no curl container beside it in the same pod: the sidecar goes in the same pod's containers list.`);
        }
        const { hint, evidence } = fileEvidence(trial);
        return fail(`No pod with nginx and a curl sidecar yet.${hint}`, evidence);
    }
    const ready = pods.find(podIsReady);
    if (ready !== undefined) {
        const c = sidecarContainers(ready)!;
        return { status: "pass", summary: `${ready.metadata.name} is Running at ${ipText(ready)}: ${c.nginx} (nginx) and ${c.curl} (curl) in one pod.`, evidence: [] };
    }
    const why = notReadyOf(o, pods[0]);
    return fail(why.summary, why.evidence);
}

/** What curl from the sidecar container printed: HTTP response headers (`curl -sS -D - -o /dev/null`). */
export interface CurlTrial {
    pod: string;
    container: string;
    url: string;
    outcome: Outcome;
}

/** Step 4: from the curl container, nginx answers at localhost. */
export function judgeLocalhost(o: Observed, curl?: CurlTrial): Verdict {
    const pod = learnersPods(o.pods).find((p) => sidecarContainers(p) !== undefined && podIsReady(p));
    if (pod === undefined || curl === undefined) {
        const step3 = judgeSidecar(o);
        return fail(`First the pod with nginx and its curl sidecar, Running (step 3): ${step3.summary}`, step3.evidence);
    }
    const status = /^HTTP\/[\d.]+ (\d{3})/m.exec(curl.outcome.stdout)?.[1];
    const server = /^server:\s*(.+?)\s*$/im.exec(curl.outcome.stdout)?.[1];
    if (curl.outcome.exitCode === 0 && status === "200") {
        return {
            status: "pass",
            summary: `From the ${curl.container} container of ${curl.pod}, ${curl.url} answered 200${server ? ` (${server})` : ""}: nginx, in the other container, on the pod's shared localhost.`,
            evidence: [`curl in ${curl.container}: HTTP ${status}${server ? `, Server: ${server}` : ""}`],
        };
    }
    const said = status !== undefined ? `HTTP ${status}` : oneLine(curl.outcome.stderr || `exit ${curl.outcome.exitCode}`);
    return fail(`From the ${curl.container} container of ${curl.pod}, ${curl.url} did not answer 200: ${said}.`, [`curl in ${curl.container}: ${said}`]);
}

/**
 * Step 5: each of the learner's lesson pods (postgres and sidecar pods) has one
 * ready sandbox on the node, holding its network namespace with the pod's IP,
 * every container running in it. Read from the node's runtime (the admin's
 * view, of this learner's pods only); not possible where podlab cannot see it.
 */
export function judgeSandboxes(o: Observed, port: number, cri: CriView, readAt: Date): Verdict {
    if (!cri.visible) {
        return { status: "not-possible", summary: `The sandboxes cannot be looked at here: ${cri.reason}.`, evidence: [] };
    }
    const lesson = learnersPods(o.pods).filter((p) => isLessonPostgres(p, port) || sidecarContainers(p) !== undefined);
    if (lesson.length === 0 || !lesson.some((p) => sidecarContainers(p) !== undefined)) {
        return fail("First make the lesson's pods (steps 1 to 3): the sidecar pod shows best how its containers share one sandbox.");
    }
    const namespace = lesson[0].metadata.namespace;
    const view = environmentView(namespace, lesson, cri, readAt);
    const results = view.pods.map((p) => ({ pod: p.name, r: judgeSandbox({ learner: "", pod: p, tried: "" }) }));
    const bad = results.filter((x) => x.r.status !== "pass");
    const evidence = results.map((x) => `${x.pod}: ${x.r.got}`);
    if (bad.length > 0) {
        return fail(`${bad.map((x) => x.pod).join(", ")}: not one ready sandbox holding the pod's network namespace yet.`, evidence);
    }
    return { status: "pass", summary: `${results.length} pods, ${results.length} sandboxes: each holds its pod's network namespace and IP, and every container of the pod runs in it.`, evidence };
}
