/**
 * The lab side of the benchmark: a private Pulumi state backend, podlab
 * stacks in scratch directories, manifests rendered from the same program for
 * kubectl, and the namespaces each run creates and removes.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import podlab from "../index";
import { PASSWORD_KEY, openStack, scratchProject, setSecretConfig } from "../cli/automation";
import { runCommand } from "./proc";
import { kubectl } from "../cli/kubectl";

/** Every namespace the benchmark creates starts with this; leftovers of an interrupted run are removed at start. */
export const NAMESPACE_PREFIX = "podlab-bench-";

/** Points Pulumi at a fresh file backend under a new temp dir, so no user stack is touched. Returns the dir. */
export function privateBackend(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-bench-"));
    fs.mkdirSync(path.join(root, "backend"));
    process.env.PULUMI_BACKEND_URL = `file://${path.join(root, "backend")}`;
    return root;
}

/**
 * Refuses to run unless kubectl talks to a live API server of the lab: on
 * loopback (the KWOK lab), or on the real node's bridge address, which
 * lab/env exports as PODLAB_API_SERVER_FROM_PODS. The benchmark creates and
 * deletes dozens of namespaces and must only ever do that on the lab.
 */
export async function requireLoopbackLab(): Promise<string> {
    if (!process.env.KUBECONFIG || !fs.existsSync(process.env.KUBECONFIG)) {
        throw new Error("no lab kubeconfig: run `npm run bench`, which starts the lab (lab/cluster.sh up) and sets the environment");
    }
    const server = (await kubectl(["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"])).trim();
    const host = new URL(server).hostname;
    const labNode = process.env.PODLAB_API_SERVER_FROM_PODS && !process.env.PODLAB_KUBECONFIG ? [new URL(process.env.PODLAB_API_SERVER_FROM_PODS).hostname] : [];
    if (![...labNode, "127.0.0.1", "localhost", "[::1]", "::1"].includes(host)) {
        throw new Error(`the kubeconfig points at ${server}; the benchmark only runs against the loopback lab`);
    }
    await kubectl(["version", "-o", "json"]);
    return server;
}

/** Namespaces left by an interrupted benchmark run. */
export async function leftoverNamespaces(): Promise<string[]> {
    const out = await kubectl(["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"]);
    return out.split(/\s+/).filter((n) => n.startsWith(NAMESPACE_PREFIX));
}

/** The cluster-scoped kinds a course's own stack (cli/course/courseStack.ts, its admission fence) creates. */
const COURSE_FENCE_KINDS = "validatingadmissionpolicybindings.admissionregistration.k8s.io,validatingadmissionpolicies.admissionregistration.k8s.io";

/**
 * Deletes the course-level objects (the course's admission fence) of the
 * benchmark's courses: those of one course (a label selector), or, without
 * one, every one whose name says it is a benchmark course's (left by an
 * interrupted run, whose backend went with it). Returns what was deleted.
 */
export async function deleteCourseFences(selector?: string): Promise<string[]> {
    const names = selector
        ? [`--selector=${selector}`]
        : (await kubectl(["get", COURSE_FENCE_KINDS, "-o", "name"]))
              .split("\n")
              .filter((n) => /\/podlab-fence-course-bench-/.test(n));
    if (names.length === 0) {
        return [];
    }
    const r = await runCommand("kubectl", ["delete", ...(selector ? [COURSE_FENCE_KINDS] : []), ...names, "--ignore-not-found", "-o", "name"]);
    if (r.code !== 0) {
        throw new Error(`deleting the course fences ${names.join(" ")}: ${r.stderr.trim()}`);
    }
    return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

/**
 * Deletes a namespace (or every namespace with a label) and waits until it is
 * gone. Pods are force-deleted first (the fake node has nothing to stop): that
 * takes namespace deletion from about 11 s to about 7 s, and none of it is timed.
 */
export async function deleteNamespace(target: string | { selector: string }): Promise<void> {
    const [pods, namespaces] =
        typeof target === "string" ? [["--all", "-n", target], [target]] : [["--all-namespaces", `--selector=${target.selector}`], [`--selector=${target.selector}`]];
    await runCommand("kubectl", ["delete", "pods", ...pods, "--grace-period=0", "--force", "--wait=false"]);
    const r = await runCommand("kubectl", ["delete", "namespace", ...namespaces, "--ignore-not-found", "--wait=true", "--timeout=300s"]);
    if (r.code !== 0) {
        throw new Error(`deleting namespace ${namespaces.join(" ")}: ${r.stderr.trim()}`);
    }
}

/**
 * How many more pods the cluster's nodes admit (allocatable pods minus the
 * pods already bound). A deployment that does not fit leaves pods Pending and
 * `pulumi up` waiting for them until the provider's 10-minute timeout.
 */
export async function freePodSlots(): Promise<number> {
    const nodes = JSON.parse(await kubectl(["get", "nodes", "-o", "json"])) as { items: any[] };
    const pods = JSON.parse(await kubectl(["get", "pods", "-A", "-o", "json"])) as { items: any[] };
    const allocatable = nodes.items.filter((n) => !n.spec?.unschedulable).reduce((sum, n) => sum + Number(n.status?.allocatable?.pods ?? 0), 0);
    const bound = pods.items.filter((p) => p.spec?.nodeName && !["Succeeded", "Failed"].includes(p.status?.phase)).length;
    return allocatable - bound;
}

/** Pods in the namespace and how many of them are Ready. */
export async function readyPods(namespace: string): Promise<{ total: number; ready: number }> {
    const list = JSON.parse(await kubectl(["get", "pods", "-n", namespace, "-o", "json"])) as { items: any[] };
    const ready = list.items.filter((p) => (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"));
    return { total: list.items.length, ready: ready.length };
}

/** Hooks into the program's run, for the phase breakdown. */
export interface ProgramTimes {
    /** performance.now() when the inline program started and when it returned (all resources registered). */
    start?: number;
    end?: number;
}

export interface BenchStack {
    stack: Stack;
    namespace: string;
    program: ProgramTimes;
}

/**
 * A podlab stack with the dev stack's config (Pulumi.dev.yaml) in its own
 * scratch directory (a whole project, so the plain `pulumi` CLI can run there
 * too), with `count` postgres pods in `namespace`. It is opened
 * by the deploy path's own `openStack` (lab/automation.ts), so whatever
 * workspace settings podlab gives its stacks apply here too; only the program
 * is wrapped, to time it. It gets a generated postgres password like any lab
 * stack without the random provider, and always, so the Pulumi and the
 * kubectl side create the same objects.
 */
export async function devStack(
    root: string,
    stackName: string,
    opts: { namespace: string; count: number; envVars?: Record<string, string> },
): Promise<BenchStack> {
    const dir = scratchProject(path.join(root, "stacks", stackName), "Pulumi.dev.yaml", stackName, { program: true });
    const stack = await openStack(stackName, dir);
    const program: ProgramTimes = {};
    stack.workspace.program = async () => {
        program.start = performance.now();
        const outputs = podlab();
        program.end = performance.now();
        return outputs;
    };
    Object.assign(stack.workspace.envVars, opts.envVars ?? {});
    await stack.setAllConfig(
        {
            "podlab:namespace": { value: opts.namespace },
            "podlab:postgres.count": { value: String(opts.count) },
        },
        true,
    );
    await setSecretConfig(stack, PASSWORD_KEY, randomBytes(18).toString("base64url"));
    return { stack, namespace: opts.namespace, program };
}

/** The resource graph of a deployed stack: how long its longest dependency chain is, and whether any pod waits for another pod. */
export interface DependencyGraph {
    resources: number;
    /** Longest chain of `dependencies` between custom resources, e.g. Namespace -> Secret -> Pod is 3. */
    longestChain: string[];
    /** Pod URN name to the names of the resources it depends on. */
    podDependencies: Record<string, string[]>;
    podsWaitingForPods: number;
}

export async function dependencyGraph(stack: Stack): Promise<DependencyGraph> {
    const resources = (await stack.exportStack()).deployment.resources as { urn: string; type: string; dependencies?: string[] }[];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
    const memo = new Map<string, string[]>();
    const chain = (urn: string): string[] => {
        if (!memo.has(urn)) {
            const deps = (byUrn.get(urn)?.dependencies ?? []).map(chain);
            const longest = deps.reduce((a, b) => (b.length > a.length ? b : a), [] as string[]);
            memo.set(urn, [...longest, name(urn)]);
        }
        return memo.get(urn)!;
    };
    const pods = resources.filter((r) => r.type === "kubernetes:core/v1:Pod");
    return {
        resources: resources.length,
        longestChain: resources.map((r) => chain(r.urn)).reduce((a, b) => (b.length > a.length ? b : a), [] as string[]),
        podDependencies: Object.fromEntries(pods.map((p) => [name(p.urn), (p.dependencies ?? []).map(name)])),
        podsWaitingForPods: pods.filter((p) => (p.dependencies ?? []).some((d) => byUrn.get(d)?.type === "kubernetes:core/v1:Pod")).length,
    };
}

/** Forgets a stack whose objects were removed some other way (its namespace was deleted). */
export async function forgetStack(s: BenchStack): Promise<void> {
    await s.stack.workspace.removeStack(s.stack.name, { force: true });
}

/**
 * Kinds in the order kubectl must create them: the namespace first, then the
 * learner's identity and the fences (the quota before any pod it counts), then
 * what pods refer to, then pods.
 */
const KIND_ORDER = ["Namespace", "ServiceAccount", "Role", "RoleBinding", "ResourceQuota", "LimitRange", "NetworkPolicy", "Secret", "ConfigMap", "Pod"];

/** Rendered manifests of one stack, as one YAML stream with a placeholder namespace. */
export interface Rendered {
    /** How many objects of each kind. */
    kinds: Record<string, number>;
    placeholder: string;
    yaml: string;
    /** Wall time of the render (`pulumi up` with kubernetes:renderYamlToDirectory), not part of any comparison. */
    ms: number;
    /** The environment podlab's `openStack` gives the Pulumi CLI (LocalWorkspace envVars), recorded with the results. */
    workspaceEnv: Record<string, string>;
}

/**
 * Renders a stack's objects with the Kubernetes provider itself
 * (`kubernetes:renderYamlToDirectory`: `up` writes YAML instead of creating
 * anything), then forgets the stack. Returns them as one stream in apply order.
 */
export async function renderStack(stack: Stack, outDir: string): Promise<Omit<Rendered, "placeholder">> {
    await stack.setConfig("kubernetes:renderYamlToDirectory", { value: outDir });
    const t0 = performance.now();
    await stack.up();
    const ms = performance.now() - t0;
    const docs: { kind: string; text: string }[] = [];
    const walk = (dir: string) => {
        for (const f of fs.readdirSync(dir).sort()) {
            const p = path.join(dir, f);
            if (fs.statSync(p).isDirectory()) {
                walk(p);
            } else if (f.endsWith(".yaml")) {
                const text = fs.readFileSync(p, "utf8");
                const kind = /^kind: *(\S+)\s*$/m.exec(text)?.[1] ?? "";
                if (!KIND_ORDER.includes(kind)) {
                    throw new Error(`rendered ${p} has kind ${JSON.stringify(kind)}, which the benchmark does not know how to order`);
                }
                docs.push({ kind, text });
            }
        }
    };
    walk(outDir);
    docs.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
    const kinds: Record<string, number> = {};
    for (const d of docs) {
        kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
    }
    await stack.workspace.removeStack(stack.name, { force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
    const workspaceEnv = Object.fromEntries(Object.entries(stack.workspace.envVars).filter(([k]) => !/PASSPHRASE|TOKEN|SECRET|KEY/i.test(k)));
    return { kinds, ms, workspaceEnv, yaml: docs.map((d) => `---\n${d.text.trimEnd()}\n`).join("") };
}

/**
 * The objects podlab's program creates for `count` postgres pods, rendered by
 * the Kubernetes provider from the same program and config, in apply order.
 */
export async function renderManifests(root: string, count: number): Promise<Rendered> {
    const placeholder = `${NAMESPACE_PREFIX}render-placeholder-${count}`;
    const s = await devStack(root, `render-${count}`, { namespace: placeholder, count });
    const r = await renderStack(s.stack, path.join(root, "rendered", String(count)));
    if (r.kinds.Pod !== count + 1 || r.kinds.Namespace !== 1) {
        throw new Error(`rendering ${count} postgres pods gave ${JSON.stringify(r.kinds)}`);
    }
    return { ...r, placeholder };
}

/** The rendered stream for one namespace. */
export function manifestsFor(r: Rendered, namespace: string): string {
    return r.yaml.split(r.placeholder).join(namespace);
}
