/**
 * One learner's environment as a Pulumi stack: what every operation on a
 * learner needs (its context, the stack's config file, its outputs and card);
 * the operations themselves are in ./learnerUp.ts. One workspace per stack, so
 * concurrent learners never share a workspace file.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { EngineEvent, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { OpenStackOptions, PROJECT_DIR, openStack } from "../automation";
import { kubectlJson } from "../kubectl";
import { PassphraseKeys } from "../passphrase";
import { EnvironmentOutputs, lessonOf, renderCard } from "./card";
import { ClusterAccess, mintCredential, readCredentialRecord } from "./credentials";
import { CourseLayout, writeFileAtomic } from "./layout";
import { CourseRegistry } from "./registry";
import { Learner } from "./roster";

/** What every operation on a learner needs. */
export interface CourseContext {
    course: string;
    layout: CourseLayout;
    registry: CourseRegistry;
    /** The roster's `expires`, if any. */
    expires?: Date;
    /** The cluster learners' kubeconfigs point at. */
    cluster: ClusterAccess;
    /** The Pulumi CLI, found once for every learner's workspace (undefined: a command that runs no Pulumi). */
    pulumi?: PulumiCommand;
    /** Passphrase keys, when new stacks use the passphrase secrets provider (a generated password is then written without a CLI run). */
    keys?: PassphraseKeys;
    now: () => Date;
}

/** Reports what a learner's operation is doing (the live progress line). */
export type StepReporter = (what: string) => void;

/** A learner known only by name (one dropped from the roster, say): its stack and namespace follow the course's naming. */
export function learnerByName(course: string, name: string): Learner {
    const stack = `${course}-${name}`;
    return { name, stack, namespace: `podlab-${stack}`, config: {} };
}

/** Fresh credentials for a deployed learner, pods untouched: the old token stops working. */
export async function renewCredentials(ctx: CourseContext, learner: Learner): Promise<void> {
    const outputs = readOutputs(ctx.layout, learner.name);
    await mintCredential({ layout: ctx.layout, course: ctx.course, learner, serviceAccount: outputs.access.serviceAccount, cluster: ctx.cluster, expires: ctx.expires, now: ctx.now() });
    writeCard(ctx, learner.name);
}

/** Writes the workspace of a learner's stack: Pulumi.yaml, and with `config` the stack's config file. Returns its directory. */
export function writeLearnerWorkspace(layout: CourseLayout, learner: Learner, config?: Record<string, unknown>): string {
    const dir = layout.workspace(learner.name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    if (config !== undefined) {
        writeStackConfig(path.join(dir, `Pulumi.${learner.stack}.yaml`), config);
    }
    return dir;
}

/** Writes (or rewrites) the workspace of a learner's stack and opens the stack through the Automation API. */
export async function openLearnerStack(layout: CourseLayout, learner: Learner, opts: OpenStackOptions = {}): Promise<Stack> {
    return openStack(learner.stack, writeLearnerWorkspace(layout, learner, learner.config), opts);
}

/**
 * The stack's config file: the roster's config for the learner, plus what Pulumi
 * itself keeps there (the secrets salt and the encrypted password), which a
 * rewrite must never lose: a new password would no longer match the database.
 */
export function writeStackConfig(file: string, config: Record<string, unknown>): void {
    const old = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as { encryptionsalt?: string; config?: Record<string, unknown> }) : {};
    const kept = Object.fromEntries(Object.entries(old.config ?? {}).filter(([k]) => k === "podlab:postgresPassword"));
    const doc = {
        ...(old.encryptionsalt !== undefined ? { encryptionsalt: old.encryptionsalt } : {}),
        config: { ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`podlab:${k}`, v])), ...kept },
    };
    writeFileAtomic(file, `# Written by npm run course from the roster; edits are overwritten.\n${yaml.dump(doc)}`, 0o600);
}

/** The stack outputs the course uses, from the outputs.json written after the last `up`. */
export function readOutputs(layout: CourseLayout, learner: string): CourseOutputs {
    const file = path.join(layout.workspace(learner), "outputs.json");
    if (!fs.existsSync(file)) {
        throw new Error(`learner ${learner} has not been deployed by this course (no ${file}); run up first`);
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as CourseOutputs;
}

export interface CourseOutputs extends EnvironmentOutputs {
    access: { serviceAccount: string };
}

export function writeCard(ctx: CourseContext, learner: string): void {
    const record = readCredentialRecord(ctx.layout, learner);
    const card = renderCard({ course: ctx.course, learner, expires: record?.expires ?? "unknown", lesson: lessonOf(readOutputs(ctx.layout, learner)) });
    writeFileAtomic(ctx.layout.card(learner), card);
}

export function plainOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): CourseOutputs {
    // Secret outputs (there are none today) never reach a file in plain text.
    return Object.fromEntries(Object.entries(outputs).filter(([, v]) => !v.secret).map(([k, v]) => [k, v.value])) as unknown as CourseOutputs;
}

export function describeEvent(e: EngineEvent, step: StepReporter): void {
    const m = e.resourcePreEvent?.metadata;
    if (m && m.op !== "same" && m.type.startsWith("kubernetes:")) {
        const kind = m.type.split(":").pop();
        step(`${m.op} ${kind} ${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`);
    }
}

/** The gist of a failed Pulumi operation: its `error:` lines, without the CLI's framing. */
export function failureReason(e: unknown): string {
    const text = e instanceof Error ? e.message : String(e);
    const errors = text
        .split("\n")
        .map((l) => l.trim().replace(/^stderr:\s*/i, ""))
        .filter((l) => /^error:/i.test(l) && !/^error: (update|destroy) failed$/i.test(l))
        .map((l) => l.replace(/^error:\s*/i, ""));
    const unique = [...new Set(errors)];
    return unique.length > 0 ? unique.join("; ").slice(0, 600) : (text.split("\n").find((l) => l.trim() !== "") ?? text).slice(0, 600);
}

/** When a namespace will not go away: what holds it (pulumi-kubernetes waits for it and times out). */
export async function stuckNamespace(namespace: string): Promise<string> {
    try {
        const ns = await kubectlJson<{ status?: { phase?: string; conditions?: Array<{ type: string; message?: string; status: string }> }; spec?: { finalizers?: string[] } }>(["get", "namespace", namespace]);
        if (ns.status?.phase !== "Terminating") {
            return "";
        }
        const why = (ns.status.conditions ?? []).filter((c) => c.status === "True").map((c) => `${c.type}: ${c.message}`);
        return ` (namespace ${namespace} is stuck Terminating; finalizers ${JSON.stringify(ns.spec?.finalizers ?? [])}${why.length ? `; ${why.join("; ")}` : ""})`;
    } catch {
        return "";
    }
}
