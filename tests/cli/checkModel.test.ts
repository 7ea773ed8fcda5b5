import * as m from "../../cli/checkModel";
import { nginxIndexHtml } from "../../components/nginx";
import { environmentView } from "../../cli/picture/model";
import { CRI, NS, PODS, READ_AT } from "./picture/fixtures";

const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: "" });
const failed = (stderr: string, exitCode = 1) => ({ exitCode, stdout: "", stderr });

describe("judging the course's checks", () => {
    it("postgres-port passes only when psql's answer names the pod's own IP and port", () => {
        const psqlOut = " inet_server_addr | inet_server_port \n------------------+------------------\n 10.245.0.11      |             5432\n(1 row)\n";
        const a = { learner: "ada", pod: "postgres", ip: "10.245.0.11", port: 5432, tried: "psql ..." };
        expect(m.judgePsql({ ...a, outcome: ok(psqlOut) })).toEqual({ check: "postgres-port", learner: "ada", pod: "postgres", status: "pass", tried: "psql ...", got: "postgres answered as 10.245.0.11:5432" });
        expect(m.judgePsql({ ...a, ip: "10.245.0.1", outcome: ok(psqlOut) }).status).toBe("fail");
        expect(m.judgePsql({ ...a, port: 5433, outcome: ok(psqlOut) }).status).toBe("fail");
        const refused = m.judgePsql({ ...a, outcome: failed('psql: error: connection to server at "10.245.0.11", port 5432 failed: password authentication failed for user "postgres"', 2) });
        expect(refused.status).toBe("fail");
        expect(refused.got).toBe('exit 2: psql: error: connection to server at "10.245.0.11", port 5432 failed: password authentication failed for user "postgres"');
    });

    it("sidecar-localhost passes only on nginx's own page for that pod", () => {
        const a = { learner: "ada", pod: "sidecar", expectedPage: nginxIndexHtml("sidecar"), tried: "curl" };
        const pass = m.judgeSidecarPage({ ...a, outcome: ok(nginxIndexHtml("sidecar")) });
        expect(pass.status).toBe("pass");
        expect(pass.got).toBe(`nginx's page over localhost: "Hello from nginx in pod sidecar"`);
        expect(m.judgeSidecarPage({ ...a, outcome: ok(nginxIndexHtml("other")) }).got).toMatch(/^another page: /);
        expect(m.judgeSidecarPage({ ...a, outcome: failed("command terminated with exit code 7", 7) })).toMatchObject({ status: "fail", got: "exit 7: command terminated with exit code 7" });
    });

    it("one-sandbox: exactly one ready sandbox holding every container at the pod's IP; not-possible where the runtime is unseen", () => {
        const view = environmentView(NS, PODS, CRI, READ_AT);
        const sidecar = view.pods[2];
        expect(m.judgeSandbox({ learner: "ada", pod: sidecar, tried: "crictl" })).toEqual({
            check: "one-sandbox",
            learner: "ada",
            pod: "sidecar",
            status: "pass",
            tried: "crictl",
            got: "one sandbox sidecar-sand (pid 4103) holds the network namespace with 10.245.0.13; nginx, sidecar run in it",
        });
        const ready = sidecar.sandboxes![0];
        const two = { ...sidecar, sandboxes: [ready, { ...ready, id: "another" }] };
        expect(m.judgeSandbox({ learner: "ada", pod: two, tried: "crictl" })).toMatchObject({ status: "fail", got: "2 ready sandboxes for pod uid uid-sidecar" });
        const old = { ...sidecar, sandboxes: [ready, { ...ready, id: "old", state: "SANDBOX_NOTREADY" }] };
        expect(m.judgeSandbox({ learner: "ada", pod: old, tried: "crictl" }).got).toContain("(and 1 not ready, left by earlier restarts)");
        const outside = { ...sidecar, sandboxes: [{ ...ready, containers: ["nginx"] }] };
        expect(m.judgeSandbox({ learner: "ada", pod: outside, tried: "crictl" })).toMatchObject({ status: "fail", got: "sandbox sidecar-sand: container(s) sidecar not running in it (running in it: nginx)" });
        const elsewhere = { ...sidecar, sandboxes: [{ ...ready, ip: "10.245.0.99" }] };
        expect(m.judgeSandbox({ learner: "ada", pod: elsewhere, tried: "crictl" }).got).toBe("sandbox sidecar-sand has IP 10.245.0.99, the API server reports 10.245.0.13");
        expect(m.judgeSandbox({ learner: "ada", pod: { ...sidecar, sandboxes: undefined }, tried: "crictl", unseen: "KWOK: no runtime" })).toMatchObject({ status: "not-possible", got: "KWOK: no runtime" });
    });

    it("credential-fenced: 403 passes; allowed or 401 (a dead credential) fails; a stand-in namespace is named", () => {
        const forbidden = 'pods is forbidden: User "system:serviceaccount:podlab-c-ada:learner" cannot list resource "pods" in API group "" in the namespace "podlab-c-grace"';
        const a = { learner: "ada", tried: "kubectl get pods -n podlab-c-grace" };
        expect(m.judgeCredential({ ...a, status: 403, message: forbidden })).toEqual({ check: "credential-fenced", learner: "ada", status: "pass", tried: a.tried, got: `403 Forbidden: ${forbidden}` });
        expect(m.judgeCredential({ ...a, status: 200, message: "{}" })).toMatchObject({ status: "fail", got: "200: allowed, the credential reaches another learner's namespace" });
        expect(m.judgeCredential({ ...a, status: 401, message: "Unauthorized" }).got).toMatch(/^401 Unauthorized: the credential itself is refused/);
        expect(m.judgeCredential({ ...a, status: 0, message: "connect ECONNREFUSED" })).toMatchObject({ status: "fail", got: "no answer: connect ECONNREFUSED" });
        expect(m.judgeCredential({ ...a, tried: "kubectl get pods -n default", status: 403, message: forbidden, instead: "the course has no other deployed learner" }).tried).toBe(
            "kubectl get pods -n default (the course has no other deployed learner)",
        );
    });
});

describe("summing up", () => {
    it("says what came back in one line", () => {
        expect(m.gist({ exitCode: 0, stdout: "a\n  b\n", stderr: "" })).toBe("a / b");
        expect(m.gist({ exitCode: null, stdout: "", stderr: "" })).toBe("exit (killed): (nothing)");
        expect(m.gist({ exitCode: 1, stdout: "x".repeat(300), stderr: "" }, 20)).toBe(`exit 1: ${"x".repeat(19)}…`);
    });
});
