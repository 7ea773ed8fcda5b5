import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { apiMessage, learnerApi } from "../../cli/learnerApi";

describe("the API server with a learner's token", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-api-"));
    const write = (name: string, doc: unknown) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, yaml.dump(doc));
        return file;
    };
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses a kubeconfig that is not a course's (no token)", () => {
        const file = write("no-token.yaml", { clusters: [{ cluster: { server: "https://127.0.0.1:6444" } }], users: [{ user: { "client-certificate-data": "x" } }] });
        expect(() => learnerApi(file)).toThrow(`${file} is not a course kubeconfig (one cluster, one token)`);
    });

    it("verifies the server against the kubeconfig's CA, sends the token as a bearer, returns status and body", async () => {
        // A TLS server on loopback with its own self-signed certificate, which the kubeconfig names as its CA.
        const key = path.join(dir, "key.pem");
        const cert = path.join(dir, "cert.pem");
        execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
        const seen: Array<[string | undefined, string | undefined]> = [];
        const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
            seen.push([req.url, req.headers.authorization]);
            res.writeHead(403, { "content-type": "application/json" });
            res.end(JSON.stringify({ kind: "Status", message: "pods is forbidden" }));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const port = (server.address() as { port: number }).port;
            const cluster = { server: `https://127.0.0.1:${port}`, "certificate-authority-data": fs.readFileSync(cert).toString("base64") };
            const file = write("course.yaml", { clusters: [{ cluster }], users: [{ user: { token: "tkn" } }] });
            const answer = await learnerApi(file).get("/api/v1/namespaces/x/pods");
            expect(answer.status).toBe(403);
            expect(apiMessage(answer)).toBe("pods is forbidden");
            expect(seen).toEqual([["/api/v1/namespaces/x/pods", "Bearer tkn"]]);
            // Another CA: the server is not trusted, and the token is never sent.
            const other = write("other-ca.yaml", { clusters: [{ cluster: { ...cluster, "certificate-authority-data": Buffer.from("not a CA").toString("base64") } }], users: [{ user: { token: "tkn" } }] });
            await expect(learnerApi(other).get("/api/v1/namespaces/x/pods")).rejects.toThrow();
            expect(seen).toHaveLength(1);
        } finally {
            server.close();
        }
    });

    it("reads a Status message, or the body as it is", () => {
        expect(apiMessage({ status: 500, body: "oops\n" })).toBe("oops");
        expect(apiMessage({ status: 200, body: '{"kind":"PodList"}' })).toBe('{"kind":"PodList"}');
    });
});
