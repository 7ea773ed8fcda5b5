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
 *
 * What is known of a credential (when it ends, what the roster asked, when it
 * was minted) is recorded on its anchor's annotations, not in the course
 * directory: every instructor of a course sharing one backend reads the same
 * record from the cluster (records.ts). An anchor counts once its kubeconfig
 * was written (the last annotation): one a killed run left half-made never does.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { kubectl, kubectlJson } from "../kubectl";
import { ClusterAccess } from "../learnerApi";
import { PROJECT_LABELS } from "../../components/podSpec";
import { CourseLayout } from "./layout";
import { writeFileAtomic } from "../files";
import { COURSE_LABEL, LEARNER_LABEL, Learner } from "./roster";

/** A credential without an `expires` in the roster lives this long. */
export const DEFAULT_CREDENTIAL_HOURS = 8;
/** `up` mints a fresh credential when the current one has less than this left. */
export const RENEW_BEFORE_MS = 60 * 60 * 1000;
/** Marks anchor Secrets; the value is the ServiceAccount the tokens were issued for. */
export const ANCHOR_LABEL = "podlab.dev/credential-for";
/** The annotations of an anchor that record its credential. */
export const ANCHOR_ANNOTATIONS = {
    minted: "podlab.dev/minted",
    requestedExpires: "podlab.dev/requested-expires",
    expires: "podlab.dev/token-expires",
    /** Set last, once the kubeconfig with the anchor's token was written. */
    handedOut: "podlab.dev/kubeconfig-written",
} as const;
/** The shortest token the API server issues (TokenRequest's minimum): what `check` gets when it has no kubeconfig of the learner's here. */
export const CHECK_TOKEN_SECONDS = 600;

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

/** An anchor Secret as the cluster has it. */
export interface AnchorSecret {
    metadata: { name: string; uid: string; creationTimestamp?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** The record an anchor carries; undefined for one whose kubeconfig was never written (a killed run's). */
export function anchorRecord(a: AnchorSecret): CredentialRecord | undefined {
    const n = a.metadata.annotations ?? {};
    if (n[ANCHOR_ANNOTATIONS.handedOut] === undefined || n[ANCHOR_ANNOTATIONS.expires] === undefined) {
        return undefined;
    }
    return {
        anchor: a.metadata.name,
        anchorUid: a.metadata.uid,
        serviceAccount: a.metadata.labels?.[ANCHOR_LABEL] ?? "",
        expires: n[ANCHOR_ANNOTATIONS.expires],
        requestedExpires: n[ANCHOR_ANNOTATIONS.requestedExpires],
        minted: n[ANCHOR_ANNOTATIONS.minted] ?? n[ANCHOR_ANNOTATIONS.handedOut],
    };
}

/** The anchor a kubeconfig's token is bound to (its `kubernetes.io.secret` claim), or undefined. */
export function boundAnchorUid(kubeconfigFile: string): string | undefined {
    try {
        const cfg = yaml.load(fs.readFileSync(kubeconfigFile, "utf8")) as { users?: Array<{ user?: { token?: string } }> };
        const token = cfg.users?.[0]?.user?.token ?? "";
        const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { "kubernetes.io"?: { secret?: { uid?: string } } };
        return claims["kubernetes.io"]?.secret?.uid;
    } catch {
        return undefined;
    }
}

/** The newest handed-out credential of each learner of a course (one read of the cluster), by learner. */
export async function courseCredentials(course: string): Promise<Map<string, CredentialRecord>> {
    const list = await kubectlJson<{ items: AnchorSecret[] }>(["get", "secrets", "--all-namespaces", `--selector=${COURSE_LABEL}=${course},${ANCHOR_LABEL}`]);
    const newest = new Map<string, CredentialRecord>();
    for (const a of list.items) {
        const learner = a.metadata.labels?.[LEARNER_LABEL];
        const record = anchorRecord(a);
        if (learner !== undefined && record !== undefined && (newest.get(learner)?.minted ?? "") < record.minted) {
            newest.set(learner, record);
        }
    }
    return newest;
}

/**
 * Where the learner's credential stands, for `up`:
 * - "here": this course directory's kubeconfig is bound to a handed-out anchor
 *   that was minted for the roster's current `expires` and has more than
 *   {@link RENEW_BEFORE_MS} left: it stays;
 * - "elsewhere": no kubeconfig of it here, but such a credential was handed out
 *   (from another instructor's course directory): it stays too, since learners
 *   use it; `credentials` makes one here (and revokes that one);
 * - "none": a new one is due.
 */
export async function credentialState(layout: CourseLayout, learner: Learner, serviceAccount: string, expires: Date | undefined, now: Date): Promise<{ state: "here" | "elsewhere" | "none"; record?: CredentialRecord }> {
    return credentialStateOf(await anchorsOf(learner.namespace, serviceAccount), boundAnchorUid(layout.kubeconfig(learner.name)), expires, now);
}

/** {@link credentialState} from the learner's anchors as already read (a whole class at once, say) and the anchor their kubeconfig here is bound to. */
export function credentialStateOf(anchors: AnchorSecret[], boundUid: string | undefined, expires: Date | undefined, now: Date): { state: "here" | "elsewhere" | "none"; record?: CredentialRecord } {
    const records = anchors.map(anchorRecord).filter((r): r is CredentialRecord => r !== undefined);
    const fits = (r: CredentialRecord) => (r.requestedExpires ?? null) === (expires?.toISOString() ?? null) && new Date(r.expires).getTime() - now.getTime() >= RENEW_BEFORE_MS;
    const mine = records.find((r) => r.anchorUid === boundUid);
    if (mine !== undefined && fits(mine)) {
        return { state: "here", record: mine };
    }
    const other = records.filter(fits).sort((a, b) => b.minted.localeCompare(a.minted))[0];
    return other !== undefined && mine === undefined ? { state: "elsewhere", record: other } : { state: "none" };
}

/**
 * Mints a new credential for the learner's ServiceAccount and writes their
 * kubeconfig; then deletes every older anchor, which revokes older tokens.
 * Returns what was recorded.
 */
/** Seconds a token request may take (kubectl's start included) between reading the clock and the API server's issue. */
const TOKEN_REQUEST_MARGIN_SECONDS = 5;

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
                annotations: {
                    [ANCHOR_ANNOTATIONS.minted]: args.now.toISOString(),
                    ...(args.expires !== undefined ? { [ANCHOR_ANNOTATIONS.requestedExpires]: args.expires.toISOString() } : {}),
                },
            },
        }),
    });
    const { name, uid } = anchor.metadata;
    // Counted from just before the request, less a margin for the request itself: the API server
    // starts the token's lifetime when it gets there, and the token must end by `until`, not after.
    const seconds = Math.floor((until.getTime() - Date.now()) / 1000) - TOKEN_REQUEST_MARGIN_SECONDS;
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
    // The record, on the anchor, for every instructor of the course; handed out last, once the kubeconfig is written.
    await kubectl(["annotate", "secret", name, `--namespace=${learner.namespace}`, "--overwrite", `${ANCHOR_ANNOTATIONS.expires}=${record.expires}`, `${ANCHOR_ANNOTATIONS.handedOut}=${new Date().toISOString()}`]);
    // Only now that the new kubeconfig is in place: older tokens stop working.
    const older = args.newNamespace ? [] : (await anchorsOf(learner.namespace, serviceAccount)).map((a) => a.metadata.name).filter((n) => n !== name);
    if (older.length > 0) {
        await kubectl(["delete", "secret", `--namespace=${learner.namespace}`, "--ignore-not-found", "--wait=false", ...older]);
    }
    return record;
}

/**
 * What to tell the instructor when the API server granted less than asked: it
 * caps a token at its --service-account-max-token-expiration. The card shows
 * the granted end; the next `up` or `credentials` within {@link RENEW_BEFORE_MS}
 * of it mints a new one. Empty when the grant covers the request (a minute's slack).
 */
export function grantNote(record: CredentialRecord): string[] {
    const requested = record.requestedExpires ?? new Date(new Date(record.minted).getTime() + DEFAULT_CREDENTIAL_HOURS * 3600 * 1000).toISOString();
    if (new Date(record.expires).getTime() >= new Date(requested).getTime() - 60_000) {
        return [];
    }
    return [
        `the API server granted this credential only until ${record.expires}, before the ${record.requestedExpires ? "roster's expires" : "default end"} ${requested} ` +
            `(its --service-account-max-token-expiration caps every token): run up or credentials again before then to renew it`,
    ];
}

async function anchorsOf(namespace: string, serviceAccount: string): Promise<AnchorSecret[]> {
    const list = await kubectlJson<{ items: AnchorSecret[] }>(["get", "secrets", `--namespace=${namespace}`, `--selector=${ANCHOR_LABEL}=${serviceAccount}`]);
    return list.items;
}

/**
 * A kubeconfig `check` acts with as the learner: this course directory's when
 * its token is bound to a handed-out anchor; else (another instructor handed
 * the credential out) a short-lived token of the learner's ServiceAccount bound
 * to that same anchor, so it revokes nothing and ends with it, written to a
 * private temporary file. Undefined when the learner has no credential.
 */
export async function kubeconfigForCheck(layout: CourseLayout, course: string, learner: Learner, cluster: ClusterAccess): Promise<{ file: string; minted: boolean; remove: () => void } | undefined> {
    const own = layout.kubeconfig(learner.name);
    const list = await kubectlJson<{ items: AnchorSecret[] }>(["get", "secrets", `--namespace=${learner.namespace}`, `--selector=${COURSE_LABEL}=${course},${ANCHOR_LABEL}`]);
    const handedOut = list.items.filter((a) => anchorRecord(a) !== undefined);
    if (handedOut.some((a) => a.metadata.uid === boundAnchorUid(own))) {
        return { file: own, minted: false, remove: () => undefined };
    }
    const anchor = handedOut.sort((a, b) => anchorRecord(b)!.minted.localeCompare(anchorRecord(a)!.minted))[0];
    if (anchor === undefined) {
        return undefined;
    }
    const serviceAccount = anchor.metadata.labels![ANCHOR_LABEL];
    const token = (
        await kubectl([
            "create",
            "token",
            serviceAccount,
            `--namespace=${learner.namespace}`,
            `--duration=${CHECK_TOKEN_SECONDS}s`,
            "--bound-object-kind=Secret",
            `--bound-object-name=${anchor.metadata.name}`,
            `--bound-object-uid=${anchor.metadata.uid}`,
        ])
    ).trim();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-check-"));
    const file = path.join(dir, "kubeconfig");
    writeFileAtomic(file, learnerKubeconfig({ course, learner: learner.name, namespace: learner.namespace, cluster, token }), 0o600);
    return { file, minted: true, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
