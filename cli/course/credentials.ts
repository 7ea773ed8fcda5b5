/**
 * Learners' credentials: a kubeconfig per learner whose token comes from the
 * TokenRequest API for the environment's ServiceAccount (LearnerAccess), with
 * a bounded lifetime, never from a long-lived token Secret.
 *
 * A token cannot be revoked by itself, so each one is bound to an "anchor"
 * Secret in the learner's namespace (an empty Secret, created here): the API
 * server accepts the token only while that Secret exists. Minting a new
 * credential creates a new anchor and then deletes the older ones, so the old
 * token stops working. The token is only ever written to the kubeconfig file
 * (mode 0600); it is not printed, logged or kept in any stack.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { kubectl, kubectlJson } from "../kubectl";
import { PROJECT_LABELS } from "../../components/podSpec";
import { CourseLayout, writeFileAtomic } from "./layout";
import { COURSE_LABEL, LEARNER_LABEL, Learner } from "./roster";

/** A credential without an `expires` in the roster lives this long. */
export const DEFAULT_CREDENTIAL_HOURS = 8;
/** `up` mints a fresh credential when the current one has less than this left. */
export const RENEW_BEFORE_MS = 60 * 60 * 1000;
/** Marks anchor Secrets; the value is the ServiceAccount the tokens were issued for. */
export const ANCHOR_LABEL = "podlab.dev/credential-for";

/** How a kubeconfig reaches the cluster: taken from the admin's, without its credential. */
export interface ClusterAccess {
    server: string;
    "certificate-authority-data"?: string;
    "insecure-skip-tls-verify"?: boolean;
    "tls-server-name"?: string;
    "proxy-url"?: string;
}

/** What is recorded of a minted credential (no secret in it). */
export interface CredentialRecord {
    anchor: string;
    anchorUid: string;
    serviceAccount: string;
    /** When the token ends, as the API server granted it. */
    expires: string;
    /** The roster's `expires` it was minted for, if any. */
    requestedExpires?: string;
    minted: string;
}

/** The current cluster of the admin's kubeconfig, with its CA inlined and no user. */
export async function adminClusterAccess(): Promise<ClusterAccess> {
    const view = await kubectlJson<{ clusters?: Array<{ cluster: ClusterAccess }> }>(["config", "view", "--raw", "--minify", "--flatten"]);
    const cluster = view.clusters?.[0]?.cluster;
    if (!cluster?.server) {
        throw new Error("the kubeconfig names no current cluster (kubectl config view --minify shows none)");
    }
    const keep = ["server", "certificate-authority-data", "insecure-skip-tls-verify", "tls-server-name", "proxy-url"] as const;
    return Object.fromEntries(keep.filter((k) => cluster[k] !== undefined).map((k) => [k, cluster[k]])) as unknown as ClusterAccess;
}

/** A kubeconfig for one learner: one cluster, one token, their namespace as the default. */
export function learnerKubeconfig(args: { course: string; learner: string; namespace: string; cluster: ClusterAccess; token: string }): string {
    const clusterName = `podlab-${args.course}`;
    const context = `${args.course}-${args.learner}`;
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: args.cluster }],
        users: [{ name: args.learner, user: { token: args.token } }],
        contexts: [{ name: context, context: { cluster: clusterName, user: args.learner, namespace: args.namespace } }],
        "current-context": context,
    });
}

/** The expiry a JWT states (its `exp` claim), read without verifying it. */
export function tokenExpiry(token: string): Date {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: number };
    if (typeof payload.exp !== "number") {
        throw new Error("the API server returned a token without an expiry");
    }
    return new Date(payload.exp * 1000);
}

export function readCredentialRecord(layout: CourseLayout, learner: string): CredentialRecord | undefined {
    try {
        return JSON.parse(fs.readFileSync(`${layout.workspace(learner)}/credential.json`, "utf8")) as CredentialRecord;
    } catch {
        return undefined;
    }
}

/**
 * True when the learner's kubeconfig can stay: it exists, its anchor still
 * exists, it was minted for the roster's current `expires`, and it has more
 * than {@link RENEW_BEFORE_MS} left.
 */
export async function credentialCurrent(layout: CourseLayout, learner: Learner, expires: Date | undefined, now: Date): Promise<boolean> {
    const record = readCredentialRecord(layout, learner.name);
    return record !== undefined && credentialRecordCurrent(layout, learner, record, expires, now, await anchorsOf(learner.namespace, record.serviceAccount));
}

/** {@link credentialCurrent} with the anchors already read (for a whole class at once, say). */
export function credentialRecordCurrent(layout: CourseLayout, learner: Learner, record: CredentialRecord, expires: Date | undefined, now: Date, anchors: Array<{ name: string; uid: string }>): boolean {
    if (!fs.existsSync(layout.kubeconfig(learner.name))) {
        return false;
    }
    if ((record.requestedExpires ?? null) !== (expires?.toISOString() ?? null) || new Date(record.expires).getTime() - now.getTime() < RENEW_BEFORE_MS) {
        return false;
    }
    return anchors.some((a) => a.name === record.anchor && a.uid === record.anchorUid);
}

/**
 * Mints a new credential for the learner's ServiceAccount and writes their
 * kubeconfig; then deletes every older anchor, which revokes older tokens.
 * Returns what was recorded.
 */
export async function mintCredential(args: {
    layout: CourseLayout;
    course: string;
    learner: Learner;
    serviceAccount: string;
    cluster: ClusterAccess;
    /** The roster's `expires`; default {@link DEFAULT_CREDENTIAL_HOURS} from now. */
    expires?: Date;
    now: Date;
    /** The namespace was just created (by the update that ran before): no older anchor can be in it, so none is looked for. */
    newNamespace?: boolean;
}): Promise<CredentialRecord> {
    const { layout, learner, serviceAccount } = args;
    const until = args.expires ?? new Date(args.now.getTime() + DEFAULT_CREDENTIAL_HOURS * 3600 * 1000);
    const seconds = Math.floor((until.getTime() - args.now.getTime()) / 1000);
    const anchor = await kubectlJson<{ metadata: { name: string; uid: string } }>(["create", "-f", "-"], {
        input: JSON.stringify({
            apiVersion: "v1",
            kind: "Secret",
            type: "Opaque",
            metadata: {
                generateName: `${serviceAccount}-credential-`,
                namespace: learner.namespace,
                labels: {
                    ...PROJECT_LABELS,
                    "app.kubernetes.io/managed-by": "podlab-course",
                    [COURSE_LABEL]: args.course,
                    [LEARNER_LABEL]: learner.name,
                    [ANCHOR_LABEL]: serviceAccount,
                },
            },
        }),
    });
    const { name, uid } = anchor.metadata;
    const token = (
        await kubectl([
            "create",
            "token",
            serviceAccount,
            `--namespace=${learner.namespace}`,
            `--duration=${seconds}s`,
            "--bound-object-kind=Secret",
            `--bound-object-name=${name}`,
            `--bound-object-uid=${uid}`,
        ])
    ).trim();
    const granted = tokenExpiry(token);
    writeFileAtomic(layout.kubeconfig(learner.name), learnerKubeconfig({ course: args.course, learner: learner.name, namespace: learner.namespace, cluster: args.cluster, token }), 0o600);
    const record: CredentialRecord = {
        anchor: name,
        anchorUid: uid,
        serviceAccount,
        expires: granted.toISOString(),
        requestedExpires: args.expires?.toISOString(),
        minted: args.now.toISOString(),
    };
    writeFileAtomic(`${layout.workspace(learner.name)}/credential.json`, JSON.stringify(record, null, 2) + "\n", 0o600);
    // Only now that the new kubeconfig is in place: older tokens stop working.
    const older = args.newNamespace ? [] : (await anchorsOf(learner.namespace, serviceAccount)).filter((a) => a.name !== name).map((a) => a.name);
    if (older.length > 0) {
        await kubectl(["delete", "secret", `--namespace=${learner.namespace}`, "--ignore-not-found", "--wait=false", ...older]);
    }
    return record;
}

async function anchorsOf(namespace: string, serviceAccount: string): Promise<Array<{ name: string; uid: string }>> {
    const list = await kubectlJson<{ items: Array<{ metadata: { name: string; uid: string } }> }>(["get", "secrets", `--namespace=${namespace}`, `--selector=${ANCHOR_LABEL}=${serviceAccount}`]);
    return list.items.map((s) => ({ name: s.metadata.name, uid: s.metadata.uid }));
}
