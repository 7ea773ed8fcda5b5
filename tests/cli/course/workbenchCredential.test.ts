import * as yaml from "js-yaml";
import { learnerKubeconfig } from "../../../cli/course/credentials";
import { workbenchKubeconfig, workbenchSecret } from "../../../cli/course/workbenchCredential";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE4MDAwMDAwMDB9.c2lnbmF0dXJl";
const minted = learnerKubeconfig({ course: "c", learner: "ada", namespace: "podlab-c-ada", cluster: { server: "https://127.0.0.1:6444", "certificate-authority-data": "Q0E=" }, token: TOKEN });

describe("the workbench's kubeconfig", () => {
    it("is the learner's own, pointed at the API server as pods reach it", () => {
        const doc = yaml.load(workbenchKubeconfig(minted, "https://10.245.0.1:6444")) as any;
        expect(doc.clusters[0].cluster).toEqual({ server: "https://10.245.0.1:6444", "certificate-authority-data": "Q0E=" });
        expect(doc.users[0].user).toEqual({ token: TOKEN });
        expect(doc.contexts[0].context.namespace).toBe("podlab-c-ada");
        expect(doc["current-context"]).toBe("c-ada");
        expect(yaml.load(workbenchKubeconfig(minted, undefined))).toEqual(yaml.load(minted));
    });

    it("refuses a kubeconfig that is not a course's (one cluster)", () => {
        expect(() => workbenchKubeconfig("apiVersion: v1\nclusters: []\n", undefined)).toThrow("a learner's kubeconfig names exactly one cluster");
    });

    it("goes into the workbench's Secret as data (server-side apply: no last-applied annotation copies it), labelled as the course's", () => {
        const secret = workbenchSecret({ namespace: "podlab-c-ada", labels: { "podlab.dev/course": "c", "podlab.dev/learner": "ada" }, kubeconfig: "k" }) as any;
        expect(secret.metadata).toEqual({
            name: "workbench-kubeconfig",
            namespace: "podlab-c-ada",
            labels: {
                "podlab.dev/course": "c",
                "podlab.dev/learner": "ada",
                "app.kubernetes.io/part-of": "podlab",
                "app.kubernetes.io/managed-by": "podlab-course",
                "app.kubernetes.io/name": "workbench",
            },
        });
        expect(secret.data).toEqual({ config: Buffer.from("k").toString("base64") });
        expect(secret.stringData).toBeUndefined();
        // Not an anchor: minting deletes older anchors by their label, never this Secret.
        expect(Object.keys(secret.metadata.labels)).not.toContain("podlab.dev/credential-for");
    });
});
