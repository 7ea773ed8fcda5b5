import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { ANCHOR_ANNOTATIONS, ANCHOR_LABEL, anchorRecord, boundAnchorUid, grantNote, learnerKubeconfig, tokenExpiry } from "../../../cli/course/credentials";

const jwt = (claims: object) => ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");

describe("a learner's kubeconfig", () => {
    it("has one cluster, one token user and the learner's namespace as the default", () => {
        const text = learnerKubeconfig({
            course: "pods101",
            learner: "ada",
            namespace: "podlab-pods101-ada",
            cluster: { server: "https://127.0.0.1:6444", "certificate-authority-data": "Q0E=" },
            token: "tok",
        });
        expect(yaml.load(text)).toEqual({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "podlab-pods101", cluster: { server: "https://127.0.0.1:6444", "certificate-authority-data": "Q0E=" } }],
            users: [{ name: "ada", user: { token: "tok" } }],
            contexts: [{ name: "pods101-ada", context: { cluster: "podlab-pods101", user: "ada", namespace: "podlab-pods101-ada" } }],
            "current-context": "pods101-ada",
        });
    });
});

describe("tokenExpiry", () => {
    it("reads the exp claim", () => {
        expect(tokenExpiry(jwt({ exp: 1797786000 })).toISOString()).toBe("2026-12-20T17:00:00.000Z");
    });
    it("refuses a token without one", () => {
        expect(() => tokenExpiry(jwt({ sub: "x" }))).toThrow("without an expiry");
    });
});

describe("grantNote", () => {
    const record = { anchor: "learner-credential-x", anchorUid: "u", serviceAccount: "learner", minted: "2026-12-04T10:00:00.000Z" };

    it("says nothing when the API server granted what was asked (a minute's slack)", () => {
        expect(grantNote({ ...record, expires: "2026-12-04T16:59:30.000Z", requestedExpires: "2026-12-04T17:00:00.000Z" })).toEqual([]);
        // No roster expires: the default 8 hours from minting.
        expect(grantNote({ ...record, expires: "2026-12-04T18:00:00.000Z" })).toEqual([]);
    });

    it("says plainly when a capped token ends before the roster's expires, and how to renew it", () => {
        expect(grantNote({ ...record, expires: "2026-12-04T11:00:00.000Z", requestedExpires: "2026-12-05T17:00:00.000Z" })).toEqual([
            "the API server granted this credential only until 2026-12-04T11:00:00.000Z, before the roster's expires 2026-12-05T17:00:00.000Z " +
                "(its --service-account-max-token-expiration caps every token): run up or credentials again before then to renew it",
        ]);
        expect(grantNote({ ...record, expires: "2026-12-04T11:00:00.000Z" })[0]).toContain("before the default end 2026-12-04T18:00:00.000Z");
    });
});

describe("a credential's record, on its anchor Secret", () => {
    const anchor = (annotations: Record<string, string>) => ({ metadata: { name: "learner-credential-x1", uid: "u-1", labels: { [ANCHOR_LABEL]: "learner" }, annotations } });

    it("is read from the anchor's annotations, for any instructor of the course", () => {
        expect(
            anchorRecord(
                anchor({
                    [ANCHOR_ANNOTATIONS.minted]: "2026-12-04T20:00:00.000Z",
                    [ANCHOR_ANNOTATIONS.requestedExpires]: "2026-12-20T17:00:00.000Z",
                    [ANCHOR_ANNOTATIONS.expires]: "2026-12-20T17:00:00.000Z",
                    [ANCHOR_ANNOTATIONS.handedOut]: "2026-12-04T20:00:01.000Z",
                }),
            ),
        ).toEqual({ anchor: "learner-credential-x1", anchorUid: "u-1", serviceAccount: "learner", expires: "2026-12-20T17:00:00.000Z", requestedExpires: "2026-12-20T17:00:00.000Z", minted: "2026-12-04T20:00:00.000Z" });
    });

    it("does not exist for an anchor whose kubeconfig was never written (a killed run's)", () => {
        expect(anchorRecord(anchor({ [ANCHOR_ANNOTATIONS.minted]: "2026-12-04T20:00:00.000Z" }))).toBeUndefined();
    });
});

describe("boundAnchorUid", () => {
    it("reads the anchor a kubeconfig's token is bound to; nothing for a missing file or another token", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-kc-"));
        const file = path.join(dir, "kubeconfig");
        const cluster = { server: "https://127.0.0.1:6444" };
        fs.writeFileSync(file, learnerKubeconfig({ course: "c", learner: "ada", namespace: "n", cluster, token: jwt({ exp: 1, "kubernetes.io": { namespace: "n", secret: { name: "a", uid: "u-1" } } }) }));
        expect(boundAnchorUid(file)).toBe("u-1");
        fs.writeFileSync(file, learnerKubeconfig({ course: "c", learner: "ada", namespace: "n", cluster, token: jwt({ exp: 1 }) }));
        expect(boundAnchorUid(file)).toBeUndefined();
        expect(boundAnchorUid(path.join(dir, "none"))).toBeUndefined();
    });
});
