/**
 * `npm run course -- check`: the lesson's checks for every learner, run for
 * real, with the learner's own kubeconfig wherever a learner would act (the
 * admin's only reads the cluster, looks at the node's runtime and sets up the
 * canary). Learners run concurrently, bounded; each finding says what was
 * tried and what came back (cli/checkModel.ts judges it). Nothing in any
 * environment changes: every command as the learner reads, or runs psql and
 * curl inside their own pods.
 */
import * as fs from "fs";
import { kubectlJson, kubectlRun } from "../kubectl";
import { CriView, readCri } from "../cri";
import { environmentView, livePostgres, podRole } from "../picture/model";
import { KubePod } from "../kubePod";
import { PSQL_WITH_PASSWORD_ON_STDIN, podToPodPsqlCommand, sidecarCurlCommand } from "../../components/learnerCommands";
import { WORKBENCH_CONTAINER, WORKBENCH_LABEL, WORKBENCH_POD_NAME } from "../../components/workbench";
import { checkStep } from "../lesson/check";
import { STEP_IDS } from "../lesson/steps";
import { nginxIndexHtml } from "../../components/nginx";
import { Canary, CanaryImages, removeCanaries, setUpCanary } from "./canary";
import { psqlRoutes } from "../environmentOutputs";
import { CHECK_NAMES, CheckName, CheckReport, CheckResult, CheckTimings, StepResult } from "../checkReport";
import { judgeCredential, judgePsql, judgeSandbox, judgeSidecarPage } from "../checkModel";
import { readOutputs } from "./environment";
import { canaryVerdict, judgeNetworkFence } from "./fenceModel";
import { LearnerFenceObservation, NetworkFacts, probeCanary, probeLearnerFence } from "./fenceProbe";
import { apiMessage, learnerApi } from "../learnerApi";
import { CourseLayout } from "./layout";
import { Progress, ProgressStream, runBounded } from "./progress";
import { COURSE_LABEL, Learner, learnerConfig } from "./roster";


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
    network: NetworkFacts;
    cri: CriView;
    readAt: Date;
}

/** What one learner's network probe found, judged once the canary's verdict is known. */
type NetworkObservation = { tried: string; notPossible: string } | (LearnerFenceObservation & { noNeighbour?: string });

export async function runCheck(run: CheckRun): Promise<CheckReport> {
    const now = run.now ?? (() => new Date());
    const started = now();
    const since = () => (now().getTime() - started.getTime()) / 1000;
    const facts = await readFacts(run.course, now);
    const timings: CheckTimings = { clusterRead: since(), learnersDone: 0 };
    const podsOf = (l: Learner) => facts.pods.filter((p) => p.metadata.namespace === l.namespace);
    const simulated = (p: KubePod) => p.spec.nodeName !== undefined && facts.simulatedNodes.has(p.spec.nodeName);

    // The canary comes up while the other checks run; only the network probes wait for it.
    // The canary's own probes (admin) run as soon as it is Ready, beside the learners'.
    const needsCanary = run.targets.some((l) => podsOf(l).some((p) => !simulated(p)));
    const canary: Promise<Canary | { error: string } | undefined> = needsCanary
        ? setUpCanary(run.course, canaryImages(run.targets[0])).then(
              (c) => ((timings.canaryReady = since()), c),
              (e: Error) => ({ error: e.message }),
          )
        : Promise.resolve(undefined);
    const canaryProbes = canary.then((c) => (c === undefined || "error" in c ? undefined : probeCanary(c, c.pods)));
    let report: CheckReport;
    try {
        const progress = new Progress("check", run.targets.length, run.progress ?? { write: () => true });
        const results = new Map<string, CheckResult[]>();
        const steps = new Map<string, StepResult[]>();
        const network = new Map<string, NetworkObservation>();
        await runBounded(run.targets, run.concurrency, async (l) => {
            const t0 = Date.now();
            progress.start(l.name);
            const mine = await checkLearner(run, l, facts, podsOf, simulated, (what) => progress.step(l.name, what));
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
        const probes = await canaryProbes;
        const verdict =
            c === undefined
                ? { namespace: "", verdict: "unknown" as const, detail: "no canary: no checked pod runs on a node with containers" }
                : "error" in c
                  ? canaryVerdict("", {}, c.error)
                  : canaryVerdict(c.namespace, probes ?? {}, probes?.error);
        const ordered: CheckResult[] = [];
        for (const l of run.targets) {
            const obs = network.get(l.name);
            const fence =
                obs === undefined
                    ? []
                    : "notPossible" in obs
                      ? [{ check: "network-fence" as const, learner: l.name, status: "not-possible" as const, tried: obs.tried, got: obs.notPossible }]
                      : [judgeNetworkFence({ ...obs, learner: l.name, canary: verdict })];
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

type KubeNode = { metadata: { name: string; annotations?: Record<string, string> }; status?: { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } };
type EndpointSlice = { endpoints?: Array<{ addresses: string[] }>; ports?: Array<{ name?: string; port?: number }> };

async function readFacts(course: string, now: () => Date): Promise<ClusterFacts> {
    const [pods, nodes, slices, cri] = await Promise.all([
        kubectlJson<{ items: KubePod[] }>(["get", "pods", "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`]),
        kubectlJson<{ items: KubeNode[] }>(["get", "nodes"]),
        // Where the API server's packets really go (what its Service's address is translated to): the fence must block these.
        kubectlJson<{ items: EndpointSlice[] }>(["get", "endpointslices", "--namespace=default", "--selector=kubernetes.io/service-name=kubernetes"]),
        readCri(),
    ]);
    // KWOK marks the nodes it simulates.
    const simulatedNodes = new Set(nodes.items.filter((n) => n.metadata.annotations?.["kwok.x-k8s.io/node"] === "fake").map((n) => n.metadata.name));
    const kubeletPorts = new Map(nodes.items.flatMap((n) => (n.status?.daemonEndpoints?.kubeletEndpoint?.Port ? [[n.metadata.name, n.status.daemonEndpoints.kubeletEndpoint.Port] as const] : [])));
    const apiAddresses = [...new Set(slices.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)))];
    const apiPort = slices.items.flatMap((s) => s.ports ?? []).find((p) => p.port !== undefined)?.port;
    const apiServer = apiAddresses.length > 0 && apiPort !== undefined ? { addresses: apiAddresses, port: apiPort } : undefined;
    return { pods: pods.items, simulatedNodes, network: { kubeletPorts, apiServer }, cri, readAt: now() };
}

/** The course's own nginx and curl (the first checked learner's images, users, port and resources), for the canary. */
function canaryImages(l: Learner): CanaryImages {
    const s = learnerConfig(l).sidecar;
    return { nginx: { image: s.nginxImage, uid: s.nginxUser, port: s.nginxPort, resources: s.resources.nginx }, curl: { image: s.curlImage, uid: s.curlUser, resources: s.resources.curl } };
}

async function checkLearner(
    run: CheckRun,
    l: Learner,
    facts: ClusterFacts,
    podsOf: (l: Learner) => KubePod[],
    simulated: (p: KubePod) => boolean,
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
    const network = probeNetwork(run, l, pods, podsOf, simulated, facts, kubeconfig);
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
    facts: ClusterFacts,
    kubeconfig: string,
): Promise<NetworkObservation> {
    // podlab's sidecar pod, or (in an exercise, where the learner makes the pods) podlab's workbench: both have sh and curl.
    const podlabSidecar = pods.find((p) => podRole(p) === "sidecar");
    const prober = podlabSidecar ?? pods.find((p) => p.metadata.name === WORKBENCH_POD_NAME && p.metadata.labels?.[WORKBENCH_LABEL] === "true");
    const from = podlabSidecar ? { container: "sidecar", what: "sidecar" } : { container: WORKBENCH_CONTAINER, what: "workbench" };
    const tried = `curl from ${l.name}'s ${from.what} container (with ${l.name}'s kubeconfig)`;
    if (prober === undefined) {
        return { tried, probeError: `no sidecar pod or workbench in ${l.namespace} to probe from`, paths: [], ipv6: { closed: "not read" } };
    }
    if (simulated(prober)) {
        return { tried, notPossible: `${prober.spec.nodeName} is a simulated (KWOK) node: its pods send no packets` };
    }
    // Another learner's pods that run on a node with containers and have an IP.
    const livePods = (o: Learner) => podsOf(o).filter((p) => !simulated(p) && p.status?.podIP && p.metadata.deletionTimestamp === undefined);
    const other = neighbour(run.roster, l, (o) => livePods(o).length > 0);
    const noNeighbour = other ? undefined : run.roster.length === 1 ? "the course has one learner: no other learner's pod to try" : "no other learner has a running pod to try";
    const observation = await probeLearnerFence({
        learner: l.name,
        namespace: l.namespace,
        kubeconfig,
        from: { pod: prober, ...from },
        ownPods: pods,
        neighbour: other && { learner: other.name, pods: livePods(other) },
        facts: facts.network,
    });
    return { ...observation, noNeighbour };
}
