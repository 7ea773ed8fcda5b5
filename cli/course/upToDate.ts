/**
 * Which learners a new `course up` can leave alone, decided for the whole class
 * from one kubectl read and the learners' records, without a Pulumi run.
 *
 * After a learner's `up` has finished (pods Ready, credential, card), it
 * records what went in (the program and the stack's config, hashed) and every
 * Kubernetes object the update reported (kind, namespace, name, uid). A later
 * `up` skips the learner when the inputs hash the same, every one of those
 * objects is still there with the same uid (nothing deleted or recreated
 * behind the stack's back, none being deleted), every pod is Ready, the
 * credential this directory handed out is current (credentials.ts, read from
 * its anchor) and the workbench was given it. Anything else (a failed or
 * killed run, whose record was removed when it started; a pod deleted; a
 * changed roster or program; another instructor's update, records.ts) runs
 * the learner's `up`. What it cannot see: an object edited in place (its spec
 * changed, same uid); `up --refresh` runs Pulumi for every learner.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { kubectl } from "../kubectl";
import { CREDENTIAL_ANNOTATION } from "./workbenchCredential";
import { WORKBENCH_POD_NAME } from "../../components/workbench";
import { ANCHOR_ANNOTATIONS, ANCHOR_LABEL, AnchorSecret, boundAnchorUid, credentialStateOf } from "./credentials";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";
import { sortKeys } from "../stackUp";
import { COURSE_LABEL, Learner } from "./roster";

/** A Kubernetes object an update reported. */
export interface RecordedObject {
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    uid?: string;
}

/** What a finished `up` leaves in the learner's workspace. */
export interface UpRecord {
    /** Hash of the program and the stack's config ({@link stackInputs}). */
    inputs: string;
    objects: RecordedObject[];
    /** The credential's anchor the card and the workbench were given. */
    anchor?: string;
    at: string;
}

function recordFile(layout: CourseLayout, learner: string): string {
    return path.join(layout.workspace(learner), "up.json");
}

/** Removes the record before a learner's `up` starts: a run that fails or is killed leaves none. */
export function forgetUp(layout: CourseLayout, learner: string): void {
    fs.rmSync(recordFile(layout, learner), { force: true });
}

export function recordUp(layout: CourseLayout, learner: string, record: UpRecord): void {
    writeFileAtomic(recordFile(layout, learner), JSON.stringify(record) + "\n", 0o600);
}

function readRecord(layout: CourseLayout, learner: string): UpRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(recordFile(layout, learner), "utf8")) as UpRecord;
    } catch {
        return undefined;
    }
}

/** Collects the Kubernetes objects an update reports in its events (each step's outputs). */
export class ObjectsSeen {
    private readonly byUrn = new Map<string, RecordedObject>();

    take(e: EngineEvent): void {
        const done = e.resOutputsEvent;
        // A patch (ServiceAccountPatch of the namespace's `default`) changes an object the cluster made and labels it not: not one of the class's objects.
        if (!done || done.planning || !done.metadata.type.startsWith("kubernetes:") || done.metadata.type.endsWith("Patch") || done.metadata.op === "delete") {
            return;
        }
        const o = (done.metadata.new?.outputs ?? {}) as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; uid?: string } };
        if (o.kind !== undefined && o.apiVersion !== undefined && o.metadata?.name !== undefined) {
            this.byUrn.set(done.metadata.urn, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid });
        }
    }

    objects(): RecordedObject[] {
        return [...this.byUrn.values()];
    }
}

let programHash: string | undefined;

/**
 * The compiled program this command runs (index.js and components/ beside it)
 * and the Kubernetes provider's version, hashed once per command.
 */
export function programFingerprint(): string {
    if (programHash === undefined) {
        const root = path.dirname(require.resolve("../../index"));
        const h = createHash("sha256");
        const files = [path.join(root, "index.js"), ...fs.readdirSync(path.join(root, "components"), { recursive: true }).map((f) => path.join(root, "components", String(f)))];
        for (const f of files.filter((f) => /\.[jt]s$/.test(f)).sort()) {
            h.update(`${path.relative(root, f)}\0`).update(fs.readFileSync(f)).update("\0");
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        h.update((require("@pulumi/kubernetes/package.json") as { version: string }).version);
        programHash = h.digest("hex");
    }
    return programHash;
}

/** What goes into a learner's update: the program and the stack's config file, as parsed (its layout does not count). */
export function stackInputs(workDir: string, stack: string): string {
    const config = yaml.load(fs.readFileSync(path.join(workDir, `Pulumi.${stack}.yaml`), "utf8"));
    return createHash("sha256").update(programFingerprint()).update(JSON.stringify(sortKeys(config))).digest("hex");
}

/** The class's objects as the cluster has them now. */
export interface ClassSnapshot {
    /** kind/namespace/name -> uid, Ready (pods), being deleted, the credential a workbench pod was given. */
    objects: Map<string, { uid: string; ready: boolean; deleting: boolean; credential?: string }>;
    /** Credential anchors by namespace, with the annotations that record them. */
    anchors: Map<string, AnchorSecret[]>;
}

const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ""}/${name}`;

/** kubectl's name for a kind: `Pod` -> `pod`, `NetworkPolicy` of networking.k8s.io/v1 -> `networkpolicy.networking.k8s.io`. */
export function kubectlResource(apiVersion: string, kind: string): string {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    return group === "" ? kind.toLowerCase() : `${kind.toLowerCase()}.${group}`;
}

const jsonKey = (k: string) => k.replace(/\./g, "\\.");
/** What is read of each object, one tab-separated line each: an anchor's record is in its annotations. */
const COLUMNS = [
    ".kind",
    ".metadata.namespace",
    ".metadata.name",
    ".metadata.uid",
    ".metadata.deletionTimestamp",
    '.status.conditions[?(@.type=="Ready")].status',
    `.metadata.labels.${jsonKey(ANCHOR_LABEL)}`,
    `.metadata.annotations.${jsonKey(CREDENTIAL_ANNOTATION)}`,
    ...Object.values(ANCHOR_ANNOTATIONS).map((a) => `.metadata.annotations.${jsonKey(a)}`),
];

/** One kubectl read of every object of these kinds that carries the course's label (credential anchors included). */
export async function readClass(course: string, resources: string[]): Promise<ClassSnapshot> {
    const kinds = [...new Set(["secret", ...resources])].join(",");
    const jsonpath = `{range .items[*]}${COLUMNS.map((c) => `{${c}}`).join('{"\\t"}')}{"\\n"}{end}`;
    const out = await kubectl(["get", kinds, "--all-namespaces", `--selector=${COURSE_LABEL}=${course}`, "-o", `jsonpath=${jsonpath}`], { timeoutMs: 120_000 });
    return parseClass(out);
}

export function parseClass(text: string): ClassSnapshot {
    const snapshot: ClassSnapshot = { objects: new Map(), anchors: new Map() };
    const annotationKeys = Object.values(ANCHOR_ANNOTATIONS);
    for (const line of text.split("\n")) {
        const [kind, namespace, name, uid, deletion, ready, anchorFor, credential, ...annotationValues] = line.split("\t");
        if (!name) {
            continue;
        }
        snapshot.objects.set(key(kind, namespace || undefined, name), { uid, ready: ready === "True", deleting: deletion !== "" && deletion !== undefined, credential: credential || undefined });
        if (kind === "Secret" && anchorFor) {
            const annotations = Object.fromEntries(annotationKeys.flatMap((k, i) => (annotationValues[i] ? [[k, annotationValues[i]]] : [])));
            const list = snapshot.anchors.get(namespace) ?? [];
            list.push({ metadata: { name, uid, namespace, labels: { [ANCHOR_LABEL]: anchorFor }, annotations } });
            snapshot.anchors.set(namespace, list);
        }
    }
    return snapshot;
}

/** Why a learner needs its `up` (undefined: it is up to date). */
export function staleReason(a: { layout: CourseLayout; learner: Learner; record?: UpRecord; inputs: string; snapshot: ClassSnapshot; expires?: Date; now: Date }): string | undefined {
    const { record, learner } = a;
    if (record === undefined) {
        return "no finished up recorded";
    }
    if (record.inputs !== a.inputs) {
        return "program or config changed";
    }
    for (const o of record.objects) {
        const live = a.snapshot.objects.get(key(o.kind, o.namespace, o.name));
        if (live === undefined || live.deleting || (o.uid !== undefined && live.uid !== o.uid)) {
            return `${o.kind} ${o.name} ${live === undefined ? "missing" : live.deleting ? "being deleted" : "recreated"}`;
        }
        if (o.kind === "Pod" && !live.ready) {
            return `pod ${o.name} not Ready`;
        }
    }
    const credential = credentialStateOf(a.snapshot.anchors.get(learner.namespace) ?? [], boundAnchorUid(a.layout.kubeconfig(learner.name)), a.expires, a.now);
    if (credential.state !== "here" || credential.record?.anchor !== record.anchor) {
        return "credential to renew";
    }
    const workbench = record.objects.find((o) => o.kind === "Pod" && o.name === WORKBENCH_POD_NAME);
    if (workbench !== undefined && a.snapshot.objects.get(key("Pod", workbench.namespace, workbench.name))?.credential !== record.anchor) {
        return "workbench without its credential";
    }
    if (!fs.existsSync(a.layout.card(learner.name))) {
        return "no card";
    }
    return undefined;
}

/**
 * The learners whose environment is as their last `up` left it, from one
 * kubectl read for all of them. The stack config files must be written first
 * (their content is part of the inputs).
 */
export async function upToDateLearners(a: { course: string; layout: CourseLayout; learners: Learner[]; expires?: Date; now: Date }): Promise<Set<string>> {
    const records = new Map(a.learners.map((l) => [l.name, readRecord(a.layout, l.name)]));
    const withRecord = a.learners.filter((l) => records.get(l.name) !== undefined);
    if (withRecord.length === 0) {
        return new Set();
    }
    const resources = [...new Set(withRecord.flatMap((l) => records.get(l.name)!.objects.map((o) => kubectlResource(o.apiVersion, o.kind))))];
    const snapshot = await readClass(a.course, resources);
    return new Set(
        withRecord
            .filter((l) => staleReason({ layout: a.layout, learner: l, record: records.get(l.name), inputs: stackInputs(a.layout.workspace(l.name), l.stack), snapshot, expires: a.expires, now: a.now }) === undefined)
            .map((l) => l.name),
    );
}
