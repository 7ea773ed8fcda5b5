import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { CourseLayout } from "../../../cli/course/layout";
import { Learner } from "../../../cli/course/roster";
import { ObjectsSeen, RecordedObject, kubectlResource, parseClass, staleReason } from "../../../cli/course/upToDate";

const NS = "podlab-c-ada";
const ada: Learner = { name: "ada", stack: "c-ada", namespace: NS, mode: "environment", config: {} };
const OBJECTS: RecordedObject[] = [
    { apiVersion: "v1", kind: "Namespace", name: NS, uid: "n1" },
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", namespace: NS, name: "fence", uid: "p1" },
    { apiVersion: "v1", kind: "Pod", namespace: NS, name: "postgres", uid: "u1" },
    { apiVersion: "v1", kind: "Pod", namespace: NS, name: "workbench", uid: "w1" },
];
const ANCHOR = "learner-credential-abc";
const NOW = new Date("2026-12-05T10:00:00Z");

/**
 * The class as kubectl's jsonpath prints it: kind, namespace, name, uid, deletion, Ready, anchor label,
 * the credential a workbench was given, then an anchor's annotations (minted, requested expiry, token expiry, handed out).
 */
function line(kind: string, ns: string, name: string, uid: string, extra: { deleting?: boolean; ready?: string; anchorFor?: string; credential?: string; anchor?: { expires: string; requested?: string } } = {}): string {
    const a = extra.anchor;
    return [kind, ns, name, uid, extra.deleting ? "2026-12-05T09:59:00Z" : "", extra.ready ?? "", extra.anchorFor ?? "", extra.credential ?? "", a ? "2026-12-05T09:00:00Z" : "", a?.requested ?? "", a?.expires ?? "", a ? "2026-12-05T09:00:01Z" : ""].join("\t");
}

const LIVE = [
    line("Namespace", "", NS, "n1"),
    line("NetworkPolicy", NS, "fence", "p1"),
    line("Pod", NS, "postgres", "u1", { ready: "True" }),
    line("Pod", NS, "workbench", "w1", { ready: "True", credential: ANCHOR }),
    line("Secret", NS, ANCHOR, "a1", { anchorFor: "learner", anchor: { expires: "2026-12-05T18:00:00Z" } }),
    line("Secret", NS, "postgres-credentials", "s1"),
];

/** A kubeconfig whose token is bound to the anchor with this uid (the claim credentials.ts boundAnchorUid reads). */
function kubeconfigBoundTo(uid: string): string {
    const claims = Buffer.from(JSON.stringify({ "kubernetes.io": { secret: { name: ANCHOR, uid } } })).toString("base64url");
    return `apiVersion: v1\nkind: Config\nusers:\n  - name: ada\n    user:\n      token: e30.${claims}.sig\n`;
}

function layoutWithCredential(): CourseLayout {
    const layout = new CourseLayout("c", fs.mkdtempSync(path.join(os.tmpdir(), "podlab-course-")));
    fs.mkdirSync(layout.workspace("ada"), { recursive: true });
    fs.mkdirSync(layout.learnerOut("ada"), { recursive: true });
    fs.writeFileSync(layout.kubeconfig("ada"), kubeconfigBoundTo("a1"));
    fs.writeFileSync(layout.card("ada"), "card");
    return layout;
}

describe("staleReason: whether a learner's up can be skipped", () => {
    const layout = layoutWithCredential();
    const record = { inputs: "h1", objects: OBJECTS, anchor: ANCHOR, at: "" };
    const check = (lines: string[], over: Partial<Parameters<typeof staleReason>[0]> = {}) => staleReason({ layout, learner: ada, record, inputs: "h1", snapshot: parseClass(lines.join("\n")), now: NOW, ...over });

    it("is up to date when the inputs match, every object is there with its uid, pods are Ready, the credential here is current and the workbench has it", () => {
        expect(check(LIVE)).toBeUndefined();
    });

    it("runs the learner for each way the environment or its inputs changed", () => {
        expect(check(LIVE, { record: undefined })).toBe("no finished up recorded");
        expect(check(LIVE, { inputs: "h2" })).toBe("program or config changed");
        expect(check(LIVE.filter((l) => !l.includes("postgres\tu1")))).toBe("Pod postgres missing");
        expect(check(LIVE.map((l) => l.replace("postgres\tu1", "postgres\tu9")))).toBe("Pod postgres recreated");
        expect(check([...LIVE.slice(0, 2), line("Pod", NS, "postgres", "u1", { ready: "False" }), ...LIVE.slice(3)])).toBe("pod postgres not Ready");
        expect(check([line("Namespace", "", NS, "n1", { deleting: true }), ...LIVE.slice(1)])).toBe("Namespace podlab-c-ada being deleted");
        expect(check(LIVE.filter((l) => !l.includes("fence")))).toBe("NetworkPolicy fence missing");
        // The credential: its anchor gone, a roster expiry it was not minted for, or less than an hour left.
        expect(check(LIVE.filter((l) => !l.startsWith(`Secret\t${NS}\t${ANCHOR}`)))).toBe("credential to renew");
        expect(check(LIVE, { expires: new Date("2026-12-05T12:00:00Z") })).toBe("credential to renew");
        expect(check(LIVE, { now: new Date("2026-12-05T17:30:00Z") })).toBe("credential to renew");
        // Another instructor's newer credential (minted elsewhere: this directory's kubeconfig is bound to another anchor).
        expect(check(LIVE, { record: { ...record, anchor: "learner-credential-old" } })).toBe("credential to renew");
        // An anchor whose kubeconfig was never written (a killed run's) is no credential.
        expect(check(LIVE.map((l) => (l.startsWith(`Secret\t${NS}\t${ANCHOR}`) ? l.replace(/\t[^\t]*$/, "\t") : l)))).toBe("credential to renew");
        // The workbench was not given this credential (its annotation names another anchor, or none).
        expect(check(LIVE.map((l) => l.replace(`\t${ANCHOR}\t\t\t\t`, "\tother\t\t\t\t")))).toBe("workbench without its credential");
    });
});

describe("ObjectsSeen", () => {
    it("keeps every Kubernetes object an update reported, by its outputs; not the provider, the stack, patches, planning steps or deletions", () => {
        const seen = new ObjectsSeen();
        const ev = (type: string, op: string, outputs: Record<string, unknown>, planning = false) =>
            ({ resOutputsEvent: { planning, metadata: { op, type, urn: `urn:${type}:${String(outputs.kind)}:${op}`, new: { outputs } } } }) as unknown as EngineEvent;
        seen.take(ev("kubernetes:core/v1:Pod", "create", { apiVersion: "v1", kind: "Pod", metadata: { name: "postgres", namespace: NS, uid: "u1" } }));
        seen.take(ev("kubernetes:core/v1:Pod", "create", { apiVersion: "v1", kind: "Pod", metadata: { name: "planned", namespace: NS } }, true));
        seen.take(ev("kubernetes:core/v1:ConfigMap", "delete", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "old", namespace: NS } }));
        seen.take(ev("pulumi:providers:kubernetes", "same", { kind: "x" }));
        // The namespace's default ServiceAccount, patched: the cluster made it, and it carries no course label to find it by.
        seen.take(ev("kubernetes:core/v1:ServiceAccountPatch", "create", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: NS, uid: "d1" } }));
        seen.take(ev("pulumi:pulumi:Stack", "same", { namespace: NS }));
        expect(seen.objects()).toEqual([{ apiVersion: "v1", kind: "Pod", namespace: NS, name: "postgres", uid: "u1" }]);
    });
});

describe("kubectlResource", () => {
    it("names a kind the way kubectl get takes it, with its group", () => {
        expect(kubectlResource("v1", "Pod")).toBe("pod");
        expect(kubectlResource("networking.k8s.io/v1", "NetworkPolicy")).toBe("networkpolicy.networking.k8s.io");
        expect(kubectlResource("rbac.authorization.k8s.io/v1", "RoleBinding")).toBe("rolebinding.rbac.authorization.k8s.io");
    });
});
