/**
 * Checking one step of one learner, as that learner: every read goes through
 * the API server with their own token (their pods, events, a crashed
 * container's log, the Secret their postgres pods use), every command runs in
 * their own pods with their own kubeconfig (`kubectl exec`). The one exception
 * is the last step, which needs the node's container runtime: the admin reads
 * it (cli/cri.ts) and the check shows only that learner's pods' sandboxes.
 * judge.ts decides; this file reads and runs.
 */
import { PSQL_WITH_PASSWORD_ON_STDIN } from "../../components/learnerCommands";
import { StackConfig, resolveStackConfig } from "../../components/stackConfig";
import { WORKBENCH_CONTAINER, WORKBENCH_POD_NAME } from "../../components/workbench";
import { apiMessage, learnerApi, LearnerApi } from "../learnerApi";
import { CriView, readCri } from "../cri";
import { kubectlRun } from "../kubectl";
import {
    CurlTrial,
    FileTrial,
    LessonEvent,
    Observed,
    PsqlTrial,
    Verdict,
    isLessonPostgres,
    judgeLocalhost,
    judgePostgres,
    judgeSandboxes,
    judgeSecondPostgres,
    judgeSidecar,
    learnersPods,
    nginxPortOf,
    podIsReady,
    postgresContainer,
    sidecarContainers,
} from "./judge";
import { KubePod } from "../kubePod";
import { exercisePods, podFileName } from "./manifests";
import { LearnerCredential } from "./model";
import { StepResult } from "../checkReport";
import { STEP_IDS, StepId, isStepId } from "./steps";

/** The config a learner's steps are judged by when the caller has none: podlab's defaults (postgres on 5432, nginx on 8080). */
function defaultConfig(): StackConfig {
    return resolveStackConfig({}, { project: "podlab", stack: "lesson" });
}

/**
 * Checks one step of the lesson for one learner, with their own credential.
 * `config` is the learner's stack config (the ports their steps use, exercise
 * or environment); default: podlab's defaults. Never throws for what the
 * learner did: a refused credential or an unreachable API server is a fail
 * that says so. An unknown step id is a caller's mistake and throws.
 */
export async function checkStep(credential: LearnerCredential, stepId: string, config: StackConfig = defaultConfig(), opts: CheckStepOptions = {}): Promise<StepResult> {
    if (!isStepId(stepId)) {
        throw new Error(`no lesson step ${JSON.stringify(stepId)} (the steps are ${STEP_IDS.join(", ")})`);
    }
    let verdict: Verdict;
    try {
        verdict = await judgeStep(credential, stepId, config, opts);
    } catch (e) {
        verdict = { status: "fail", summary: `The check could not read your environment: ${(e as Error).message}`, evidence: [] };
    }
    return { step: stepId, learner: credential.learner, ...verdict, checkedAt: new Date().toISOString() };
}

/** What a caller checking many learners at once has already read. */
export interface CheckStepOptions {
    /** The node's runtime, read once by the admin (`course check` reads it for every learner). Default: read for this check. */
    cri?: CriView;
}

async function judgeStep(credential: LearnerCredential, step: StepId, config: StackConfig, opts: CheckStepOptions): Promise<Verdict> {
    const api = learnerApi(credential.kubeconfig);
    const observed = await observe(api, credential.namespace);
    if ("refused" in observed) {
        return { status: "fail", summary: observed.refused, evidence: [] };
    }
    const port = config.postgres.port;
    const run = new AsLearner(credential);
    switch (step) {
        case "postgres": {
            const wanted = learnersPods(observed.pods).every((p) => postgresContainer(p) === undefined);
            return judgePostgres(observed, port, wanted ? await run.tryFile(config, exercisePods(config).postgres[0]) : undefined);
        }
        case "second-postgres": {
            const onPort = learnersPods(observed.pods).filter((p) => isLessonPostgres(p, port));
            const ready = onPort.filter(podIsReady).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
            const missing = ready.length < 2 && onPort.length === ready.length;
            const psql = ready.length >= 2 ? await run.psql(api, ready[1], ready[0], port) : undefined;
            return judgeSecondPostgres(observed, port, psql, missing ? await run.tryFile(config, exercisePods(config).postgres[1]) : undefined);
        }
        case "sidecar": {
            const wanted = learnersPods(observed.pods).every((p) => sidecarContainers(p) === undefined);
            return judgeSidecar(observed, wanted ? await run.tryFile(config, exercisePods(config).sidecar) : undefined);
        }
        case "localhost": {
            const pod = learnersPods(observed.pods).find((p) => sidecarContainers(p) !== undefined && podIsReady(p));
            return judgeLocalhost(observed, pod === undefined ? undefined : await run.curlLocalhost(pod, nginxPortOf(pod, config.sidecar.nginxPort)));
        }
        case "sandbox":
            return judgeSandboxes(observed, port, opts.cri ?? (await readCri()), new Date());
    }
}

/** The learner's pods and events, with the last log lines of crashed containers; or why the credential could not read them. */
async function observe(api: LearnerApi, namespace: string): Promise<Observed | { refused: string }> {
    const pods = await api.get(`/api/v1/namespaces/${namespace}/pods`);
    if (pods.status !== 200) {
        const why =
            pods.status === 401
                ? "your credential is no longer valid (it expired, or the course renewed it): reload the page, or ask your instructor"
                : `${pods.status || "no answer"}: ${apiMessage(pods)}`;
        return { refused: `Your pods could not be read with your credential: ${why}` };
    }
    const events = await api.get(`/api/v1/namespaces/${namespace}/events`);
    const observed: Observed = {
        pods: (JSON.parse(pods.body) as { items: KubePod[] }).items,
        events: events.status === 200 ? (JSON.parse(events.body) as { items: LessonEvent[] }).items : [],
        logs: {},
    };
    // A crashed container's last words, through the learner's pods/log right (at most a few pods: the quota keeps them few).
    for (const pod of learnersPods(observed.pods).filter((p) => !podIsReady(p)).slice(0, 4)) {
        for (const s of pod.status?.containerStatuses ?? []) {
            if ((s.restartCount ?? 0) === 0 && s.state?.terminated === undefined) {
                continue;
            }
            const base = `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/log?container=${encodeURIComponent(s.name)}&tailLines=5`;
            const previous = await api.get(`${base}&previous=true`);
            const log = previous.status === 200 ? previous : await api.get(base);
            observed.logs![pod.metadata.name] = { ...observed.logs![pod.metadata.name], [s.name]: log.status === 200 ? log.body : "" };
        }
    }
    return observed;
}

/** Commands run as the learner: kubectl with their kubeconfig, in their namespace. */
class AsLearner {
    constructor(private readonly credential: LearnerCredential) {}

    private kubectl(args: string[], input?: string) {
        return kubectlRun(["--namespace", this.credential.namespace, ...args], { kubeconfig: this.credential.kubeconfig, input, timeoutMs: 60_000 });
    }

    /**
     * The step's file, read from the learner's home in the workbench, and what
     * the API server says to it (`create --dry-run=server`: admission runs,
     * nothing is made). A refused create leaves no object behind; this is where
     * Kubernetes' words come from.
     */
    async tryFile(config: StackConfig, pod: string): Promise<FileTrial | undefined> {
        if (config.mode !== "exercise") {
            return undefined;
        }
        const file = podFileName(pod);
        // Exit status 3 (through kubectl exec): no such file; anything else that fails: the workbench could not be asked.
        const read = await this.kubectl(["exec", WORKBENCH_POD_NAME, "-c", WORKBENCH_CONTAINER, "--", "sh", "-c", 'test -f "$1" || exit 3; cat -- "$1"', "sh", file]);
        if (read.exitCode === 3) {
            return { file, found: false };
        }
        if (read.exitCode !== 0) {
            return { file, found: false, unreadable: read.stderr.trim().split("\n").pop() || `kubectl exit ${read.exitCode}` };
        }
        const dryRun = await this.kubectl(["create", "--dry-run=server", "-f", "-"], read.stdout);
        return { file, found: true, dryRun };
    }

    /** psql in `from` to `to`'s IP, with the password of `to`'s postgres (read from its Secret with the learner's token), given on stdin. */
    async psql(api: LearnerApi, from: KubePod, to: KubePod, port: number): Promise<PsqlTrial> {
        const ip = to.status?.podIP ?? "";
        const base = { from: from.metadata.name, to: to.metadata.name, ip, port };
        const password = await passwordOf(api, to);
        if ("error" in password) {
            return { ...base, outcome: { exitCode: 1, stdout: "", stderr: password.error } };
        }
        const container = postgresContainer(from)!.name;
        const outcome = await this.kubectl(["exec", "-i", from.metadata.name, "-c", container, "--", "sh", "-c", PSQL_WITH_PASSWORD_ON_STDIN, "psql", ip, String(port)], `${password.value}\n`);
        return { ...base, outcome };
    }

    /** curl from the pod's curl container to nginx at localhost: the response's headers. */
    async curlLocalhost(pod: KubePod, port: number): Promise<CurlTrial> {
        const container = sidecarContainers(pod)!.curl;
        const url = `http://localhost:${port}/`;
        const outcome = await this.kubectl(["exec", pod.metadata.name, "-c", container, "--", "curl", "-sS", "--max-time", "5", "-D", "-", "-o", "/dev/null", url]);
        return { pod: pod.metadata.name, container, url, outcome };
    }
}

/** The password a postgres pod's server was started with: its POSTGRES_PASSWORD, from the Secret it names or written in the pod. */
async function passwordOf(api: LearnerApi, pod: KubePod): Promise<{ value: string } | { error: string }> {
    const env = postgresContainer(pod)?.env?.find((e) => e.name === "POSTGRES_PASSWORD");
    if (env?.value !== undefined) {
        return { value: env.value };
    }
    const ref = env?.valueFrom?.secretKeyRef;
    if (ref === undefined) {
        return { error: `${pod.metadata.name} sets no POSTGRES_PASSWORD: postgres needs one to accept connections from other pods` };
    }
    const secret = await api.get(`/api/v1/namespaces/${pod.metadata.namespace}/secrets/${ref.name}`);
    const data = secret.status === 200 ? (JSON.parse(secret.body) as { data?: Record<string, string> }).data?.[ref.key] : undefined;
    if (data === undefined) {
        return { error: `reading the password of ${pod.metadata.name} (Secret ${ref.name}, key ${ref.key}) with your credential: ${secret.status === 200 ? "no such key" : `${secret.status} ${apiMessage(secret)}`}` };
    }
    return { value: Buffer.from(data, "base64").toString("utf8") };
}
