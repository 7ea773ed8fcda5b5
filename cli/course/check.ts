/**
 * `npm run course -- check`: the lesson's checks for every learner, run for
 * real, with the learner's own kubeconfig wherever a learner would act (the
 * admin's only reads the cluster, looks at the node's runtime and sets up the
 * canary). Learners run concurrently, bounded; each finding says what was
 * tried and what came back (checkModel.ts judges it). Nothing in any
 * environment changes: every command as the learner reads, or runs psql and
 * curl inside their own pods.
 */
import * as fs from "fs";
import { kubectlJson, kubectlRun } from "../kubectl";
import { CriView, readCri } from "../cri";
import { KubePod, environmentView, livePostgres, podReady, podRole } from "../picture/model";
import { PSQL_WITH_PASSWORD_ON_STDIN, podToPodPsqlCommand, sidecarCurlCommand } from "../../components/learnerCommands";
import { WORKBENCH_CONTAINER, WORKBENCH_LABEL, WORKBENCH_POD_NAME } from "../../components/workbench";
import { checkStep } from "../lesson/check";
import { StepResult } from "../lesson/model";
import { STEP_IDS } from "../lesson/steps";
import { nginxIndexHtml } from "../../components/nginx";
import { Canary, CanaryNginx, removeCanaries, setUpCanary } from "./canary";
import { psqlRoutes } from "../environmentOutputs";
import {
    PROBE_WRITE_OUT,
    Probe,
    canaryVerdict,
    judgeCredential,
    judgeNetworkFence,
    judgePsql,
    judgeSandbox,
    judgeSidecarPage,
    parseProbes,
} from "./checkModel";
import { CHECK_NAMES, CheckName, CheckReport, CheckResult, CheckTimings } from "../checkReport";
import { readOutputs } from "./environment";
import { apiMessage, learnerApi } from "./learnerApi";
import { CourseLayout } from "./layout";
import { Progress, ProgressStream, runBounded } from "./progress";
import { COURSE_LABEL, Learner, learnerConfig } from "./roster";

/**
 * How long a connection in the network-fence check may take to be set up: a
 * timeout is the expected answer where policies drop packets (on one node a
 * connection that is let through is set up in well under a millisecond).
 */
export const PROBE_CONNECT_SECONDS = 3;
/** How long a connection that was set up may take to answer: a busy server is slow, not blocked. */
export const PROBE_ANSWER_SECONDS = 15;

/** Learners checked at once unless --concurrency says: the work is waiting on `kubectl exec`, not pulumi, so more than `up` runs. */
export function defaultCheckConcurrency(cpus: number): number {
    return Math.max(2, Math.min(16, 4 * cpus));
}

export interface CheckRun {
    course: string;
    layout: CourseLayout;
    /** Every learner of the roster, in its order (the neighbours of the credential and network checks come from here). */
    roster: Learner[];
    /** The learners to check. */
    targets: Learner[];
    /** Learners this course has deployed (its stacks in the backend). */
    deployed: string[];
    /** The kubeconfig to act with as a learner (default: theirs in the course directory; records.ts, credentials.ts). */
    kubeconfigOf?: (l: Learner) => string | undefined;
    concurrency: number;
    /** Live progress (a terminal); nothing when undefined. */
    progress?: ProgressStream;
    now?: () => Date;
}

/** What the admin reads once for the whole run. */
interface ClusterFacts {
    pods: KubePod[];
    /** Nodes that are simulated (KWOK): their pods run no containers. */
    simulatedNodes: Set<string>;
    cri: CriView;
    readAt: Date;
}

/** What one learner's network probe found, judged once the canary's verdict is known. */
interface NetworkObservation {
    learner: string;
    tried: string;
    /** Set when the check cannot be made at all (a simulated node). */
    notPossible?: string;
    probeError?: string;
    open?: Probe;
    fenced?: Probe;
    neighbour?: { learner: string; target: string; probe: Probe };
    noNeighbour?: string;
}

export async function runCheck(run: CheckRun): Promise<CheckReport> {
    const now = run.now ?? (() => new Date());
    const started = now();
    const since = () => (now().getTime() - started.getTime()) / 1000;
    const facts = await readFacts(run.course, now);
    const timings: CheckTimings = { clusterRead: since(), learnersDone: 0 };
    const podsOf = (l: Learner) => facts.pods.filter((p) => p.metadata.namespace === l.namespace);
    const simulated = (p: KubePod) => p.spec.nodeName !== undefined && facts.simulatedNodes.has(p.spec.nodeName);

    // The canary comes up while the other checks run; only the network probes wait for it.
    const needsCanary = run.targets.some((l) => podsOf(l).some((p) => !simulated(p)));
    const canary: Promise<Canary | { error: string } | undefined> = needsCanary
        ? setUpCanary(run.course, canaryNginx(run.targets[0])).then(
              (c) => ((timings.canaryReady = since()), c),
              (e: Error) => ({ error: e.message }),
          )
        : Promise.resolve(undefined);
    let report: CheckReport;
    try {
        const progress = new Progress("check", run.targets.length, run.progress ?? { write: () => true });
        const results = new Map<string, CheckResult[]>();
        const steps = new Map<string, StepResult[]>();
        const network = new Map<string, NetworkObservation>();
        await runBounded(run.targets, run.concurrency, async (l) => {
            const t0 = Date.now();
            progress.start(l.name);
            const mine = await checkLearner(run, l, facts, podsOf, simulated, canary, (what) => progress.step(l.name, what));
            results.set(l.name, mine.results);
            if (mine.steps) {
                steps.set(l.name, mine.steps);
            }
            if (mine.network) {
                network.set(l.name, mine.network);
            }
            const bad = mine.results.filter((r) => r.status === "fail").length;
            if (bad > 0) {
                progress.fail(l.name, `${bad} check(s) failed`);
            } else {
                progress.succeed(l.name, (Date.now() - t0) / 1000);
            }
        });
        progress.finish();
        timings.learnersDone = since();

        const c = await canary;
        const probes = [...network.values()].flatMap((o) => (o.open && o.fenced ? [{ learner: o.learner, open: o.open, fenced: o.fenced }] : []));
        const verdict =
            c === undefined
                ? { namespace: "", verdict: "unknown" as const, detail: "no canary: no checked pod runs on a node with containers" }
                : canaryVerdict("error" in c ? "" : c.namespace, probes, "error" in c ? c.error : undefined);
        const ordered: CheckResult[] = [];
        for (const l of run.targets) {
            const obs = network.get(l.name);
            const fence =
                obs === undefined
                    ? []
                    : obs.notPossible !== undefined
                      ? [{ check: "network-fence" as const, learner: l.name, status: "not-possible" as const, tried: obs.tried, got: obs.notPossible }]
                      : [judgeNetworkFence({ ...obs, canary: verdict })];
            const all = [...(results.get(l.name) ?? []), ...fence];
            ordered.push(...CHECK_NAMES.flatMap((name) => all.filter((r) => r.check === name)));
        }
        report = { course: run.course, checkedAt: started.toISOString(), seconds: 0, learners: run.targets.map((l) => l.name), canary: verdict, results: ordered };
        if (steps.size > 0) {
            // Exercise learners' progress through the lesson: shown, never a reason for the exit status.
            report.steps = run.targets.flatMap((l) => steps.get(l.name) ?? []);
        }
    } finally {
        if ((await canary) !== undefined) {
            await removeCanaries(run.course, { wait: false });
            timings.canaryDeleted = since();
        }
    }
    // The whole run: reading the cluster, the checks, the canary up and deleted again.
    return { ...report, seconds: since(), timings };
}

async function readFacts(course: string, now: () => Date): Promise<ClusterFacts> {
    const [pods, nodes, cri] = await Promise.all([
        kubectlJson<{ items: KubePod[] }>(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`]),
        kubectlJson<{ items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }> }>(["get", "nodes"]),
        readCri(),
    ]);
    // KWOK marks the nodes it simulates.
    const simulatedNodes = new Set(nodes.items.filter((n) => n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake").map((n) => n.metadata.name));
    return { pods: pods.items, simulatedNodes, cri, readAt: now() };
}

/** The course's own nginx (the first checked learner's image, user, port and resources), for the canary. */
function canaryNginx(l: Learner): CanaryNginx {
    const s = learnerConfig(l).sidecar;
    return { image: s.nginxImage, uid: s.nginxUser, port: s.nginxPort, resources: s.resources.nginx };
}

async function checkLearner(
    run: CheckRun,
    l: Learner,
    facts: ClusterFacts,
    podsOf: (l: Learner) => KubePod[],
    simulated: (p: KubePod) => boolean,
    canaryP: Promise<Canary | { error: string } | undefined>,
    step: (what: string) => void,
): Promise<{ results: CheckResult[]; steps?: StepResult[]; network?: NetworkObservation }> {
    const kubeconfig = run.kubeconfigOf?.(l) ?? run.layout.kubeconfig(l.name);
    if (!run.deployed.includes(l.name) || !fs.existsSync(kubeconfig)) {
        const why = `no environment: course ${run.course} has not deployed ${l.name} (no ${kubeconfig}); npm run course -- up --roster FILE ${l.name}`;
        return { results: CHECK_NAMES.map((check) => ({ check, learner: l.name, status: "fail", tried: `read ${kubeconfig}`, got: why })) };
    }
    const pods = podsOf(l).filter((p) => p.metadata.deletionTimestamp === undefined);
    const api = learnerApi(kubeconfig);
    const view = environmentView(l.namespace, pods, facts.cri, facts.readAt);
    const results: CheckResult[] = [];
    const as = `with ${l.name}'s kubeconfig`;
    // The network probe spends its time waiting (for the canary, for connections that are blocked): it runs beside the other checks.
    const network = probeNetwork(run, l, pods, podsOf, simulated, canaryP, kubeconfig);
    const onKwok = (p: KubePod) => `${p.spec.nodeName} is a simulated (KWOK) node: its pods run no containers to reach`;

    // Pods the stack deployed that the cluster no longer has.
    const expected = deployedPods(run.layout, l.name);
    for (const missing of expected.filter((e) => !pods.some((p) => p.metadata.name === e.name))) {
        const got = `pod ${missing.name} is missing: the stack deployed it, ${l.namespace} has none (npm run course -- up --roster FILE ${l.name} brings it back)`;
        const check: CheckName = missing.role === "postgres" ? "postgres-port" : "sidecar-localhost";
        results.push({ check, learner: l.name, pod: missing.name, status: "fail", tried: `kubectl get pods -n ${l.namespace} (admin)`, got });
        results.push({ check: "one-sandbox", learner: l.name, pod: missing.name, status: "fail", tried: `kubectl get pods -n ${l.namespace} (admin)`, got });
    }

    // postgres-port: what the card's psql commands do, split in two: the Secret read
    // through the API with the learner's token, then psql in the pod, with the learner's kubeconfig.
    step("psql");
    for (const { target, from } of psqlRoutes(livePostgres(l.namespace, pods))) {
        const pod = pods.find((p) => p.metadata.name === target.pod)!;
        const tried = `${podToPodPsqlCommand(l.namespace, from.pod, target.secret, target.ip, target.port)} (${as})`;
        if (simulated(pod)) {
            results.push({ check: "postgres-port", learner: l.name, pod: target.pod, status: "not-possible", tried, got: onKwok(pod) });
            continue;
        }
        const secret = await api.get(`/api/v1/namespaces/${l.namespace}/secrets/${target.secret}`);
        const password = secret.status === 200 ? (JSON.parse(secret.body) as { data?: Record<string, string> }).data?.password : undefined;
        if (password === undefined) {
            results.push({ check: "postgres-port", learner: l.name, pod: target.pod, status: "fail", tried, got: `reading Secret ${target.secret}: ${secret.status} ${apiMessage(secret)}` });
            continue;
        }
        // The password goes in on stdin, never into an argument (process lists, the API server's request log).
        const outcome = await kubectlRun(["--namespace", l.namespace, "exec", "-i", from.pod, "--", "sh", "-c", PSQL_WITH_PASSWORD_ON_STDIN, "psql", target.ip, String(target.port)], {
            kubeconfig,
            input: `${Buffer.from(password, "base64").toString("utf8")}\n`,
        });
        results.push(judgePsql({ learner: l.name, pod: target.pod, ip: target.ip, port: target.port, tried, outcome }));
    }

    // sidecar-localhost: the card's curl inside the sidecar container.
    step("curl localhost");
    const sidecar = pods.find((p) => podRole(p) === "sidecar");
    const nginxPort = sidecar?.spec.containers.find((c) => c.name === "nginx")?.ports?.[0]?.containerPort;
    if (sidecar && nginxPort !== undefined) {
        const tried = `${sidecarCurlCommand(l.namespace, sidecar.metadata.name, nginxPort)} (${as})`;
        if (simulated(sidecar)) {
            results.push({ check: "sidecar-localhost", learner: l.name, pod: sidecar.metadata.name, status: "not-possible", tried, got: onKwok(sidecar) });
        } else {
            const outcome = await kubectlRun(["--namespace", l.namespace, "exec", sidecar.metadata.name, "-c", "sidecar", "--", "curl", "-s", `http://localhost:${nginxPort}/`], { kubeconfig });
            results.push(judgeSidecarPage({ learner: l.name, pod: sidecar.metadata.name, expectedPage: nginxIndexHtml(sidecar.metadata.name), tried, outcome }));
        }
    }

    // one-sandbox: every pod, from the node's runtime where it can be seen.
    const criTried = facts.cri.visible ? "crictl pods -o json, crictl ps -o json, crictl inspectp on the lab's real node" : "look at the node's container runtime (CRI)";
    for (const p of view.pods) {
        results.push(judgeSandbox({ learner: l.name, pod: p, tried: criTried, unseen: facts.cri.visible ? undefined : facts.cri.reason }));
    }

    // An exercise learner's steps, each checked as the lesson's Check button does, with their credential.
    let steps: StepResult[] | undefined;
    if (l.mode === "exercise") {
        step("lesson steps");
        const config = learnerConfig(l);
        steps = [];
        for (const id of STEP_IDS) {
            steps.push(await checkStep({ learner: l.name, namespace: l.namespace, kubeconfig }, id, config, { cri: facts.cri }));
        }
    }

    // credential-fenced: the learner's token in another learner's namespace.
    step("credential");
    const other = neighbour(run.roster, l, (o) => run.deployed.includes(o.name));
    const otherNamespace = other?.namespace ?? "default";
    const instead = other === undefined ? "the course has no other deployed learner: tried the default namespace instead" : undefined;
    const answer = await api.get(`/api/v1/namespaces/${otherNamespace}/pods`);
    results.push(judgeCredential({ learner: l.name, tried: `kubectl get pods -n ${otherNamespace} (${as}: GET /api/v1/namespaces/${otherNamespace}/pods)`, status: answer.status, message: apiMessage(answer), instead }));

    // network-fence: judged once every learner has probed the canary.
    step("network");
    return { results, steps, network: await network };
}

/** The next learner after `l` in the roster's order (wrapping around) that `usable` accepts. */
function neighbour(roster: Learner[], l: Learner, usable: (o: Learner) => boolean): Learner | undefined {
    const i = roster.findIndex((o) => o.name === l.name);
    const ring = [...roster.slice(i + 1), ...roster.slice(0, Math.max(0, i))];
    return ring.find((o) => o.name !== l.name && usable(o));
}

/** The pods a learner's stack deployed (its outputs after the last up), by role; none when unknown. */
function deployedPods(layout: CourseLayout, learner: string): Array<{ name: string; role: "postgres" | "sidecar" }> {
    try {
        const out = readOutputs(layout, learner);
        return Object.keys(out.pods).map((name) => ({ name, role: name in out.postgresSecrets ? "postgres" : "sidecar" }));
    } catch {
        return [];
    }
}

async function probeNetwork(
    run: CheckRun,
    l: Learner,
    pods: KubePod[],
    podsOf: (l: Learner) => KubePod[],
    simulated: (p: KubePod) => boolean,
    canaryP: Promise<Canary | { error: string } | undefined>,
    kubeconfig: string,
): Promise<NetworkObservation> {
    // podlab's sidecar pod, or (in an exercise, where the learner makes the pods) podlab's workbench: both have curl.
    const podlabSidecar = pods.find((p) => podRole(p) === "sidecar");
    const sidecar = podlabSidecar ?? pods.find((p) => p.metadata.name === WORKBENCH_POD_NAME && p.metadata.labels?.[WORKBENCH_LABEL] === "true");
    const from = podlabSidecar ? { container: "sidecar", what: "sidecar container" } : { container: WORKBENCH_CONTAINER, what: "workbench" };
    const base = { learner: l.name, tried: `curl --connect-timeout ${PROBE_CONNECT_SECONDS} from ${l.name}'s ${from.what} (with ${l.name}'s kubeconfig)` };
    if (sidecar === undefined) {
        return { ...base, probeError: `no sidecar pod or workbench in ${l.namespace} to probe from` };
    }
    if (simulated(sidecar)) {
        return { ...base, notPossible: `${sidecar.spec.nodeName} is a simulated (KWOK) node: its pods send no packets` };
    }
    // Another learner's pod that answers in its own namespace: its nginx, Ready, on a node with containers.
    const readySidecarOf = (o: Learner) => podsOf(o).find((p) => podRole(p) === "sidecar" && podReady(p) && !simulated(p) && p.status?.podIP);
    const other = neighbour(run.roster, l, (o) => readySidecarOf(o) !== undefined);
    const otherPod = other && readySidecarOf(other);
    const otherPort = otherPod?.spec.containers.find((c) => c.name === "nginx")?.ports?.[0]?.containerPort;
    const targets: Array<{ key: "open" | "fenced" | "neighbour"; url: string; what: string }> = [];
    const neighbourTarget = otherPod && otherPort !== undefined ? `nginx ${otherPod.status!.podIP}:${otherPort}` : undefined;
    const c = await canaryP;
    if (c !== undefined && !("error" in c)) {
        targets.push({ key: "open", url: `http://${c.openIp}:${c.port}/`, what: `the canary's open pod ${c.openIp}:${c.port}` });
        targets.push({ key: "fenced", url: `http://${c.fencedIp}:${c.port}/`, what: `the canary's fenced pod ${c.fencedIp}:${c.port}` });
    }
    if (other && otherPod && neighbourTarget !== undefined) {
        targets.push({ key: "neighbour", url: `http://${otherPod.status!.podIP}:${otherPort}/`, what: `${other.name}'s ${neighbourTarget}` });
    }
    const noNeighbour = run.roster.length === 1 ? "the course has one learner: no other learner's pod to try" : "no other learner has a ready sidecar pod to try";
    const tried = `${base.tried} to ${targets.map((t) => t.what).join(", ") || "nothing"}`;
    if (targets.length === 0) {
        return { ...base, tried, noNeighbour };
    }
    // One exec, the connections in parallel (-Z): a timeout costs PROBE_CONNECT_SECONDS once, not per target.
    const args = [
        "--namespace",
        l.namespace,
        "exec",
        sidecar.metadata.name,
        "-c",
        from.container,
        "--",
        "curl",
        "--silent",
        "--parallel",
        "--connect-timeout",
        String(PROBE_CONNECT_SECONDS),
        "--max-time",
        String(PROBE_ANSWER_SECONDS),
        "--write-out",
        PROBE_WRITE_OUT,
        ...targets.flatMap(() => ["--output", "/dev/null"]),
        ...targets.map((t) => t.url),
    ];
    const r = await kubectlRun(args, { kubeconfig, timeoutMs: 60_000 });
    const found = parseProbes(r.stdout, targets.map((t) => t.url));
    if (targets.every((t) => found.get(t.url)?.kind === "error") && r.exitCode !== 0 && !/^http/m.test(r.stdout)) {
        return { ...base, tried, probeError: `could not run curl in ${l.name}'s ${from.what}: ${r.stderr.trim().split("\n").pop()}` };
    }
    const probe = (key: string) => {
        const t = targets.find((x) => x.key === key);
        return t === undefined ? undefined : found.get(t.url);
    };
    const n = probe("neighbour");
    return {
        ...base,
        tried,
        open: probe("open"),
        fenced: probe("fenced"),
        neighbour: n && other && neighbourTarget ? { learner: other.name, target: neighbourTarget, probe: n } : undefined,
        noNeighbour,
    };
}
