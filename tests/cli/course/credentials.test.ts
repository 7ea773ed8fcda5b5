import * as yaml from "js-yaml";
import { learnerKubeconfig, tokenExpiry } from "../../../cli/course/credentials";

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
