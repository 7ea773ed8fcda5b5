import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KubectlError, KubectlOptions, kubectl, kubectlJson, kubectlJsonSync, kubectlRun, kubectlRunSync, kubectlSync } from "../../cli/kubectl";

/**
 * A stand-in `kubectl` on PATH: it prints its arguments and stdin as JSON, then
 * `KUBECTL_STDERR` on stderr, exits `KUBECTL_EXIT`, or sleeps when told to.
 * (Jest's process.env is the test's own copy, so the runs are given `env`.)
 */
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-fake-kubectl-"));
    fs.writeFileSync(
        path.join(dir, "kubectl"),
        `#!/bin/sh
[ -n "$KUBECTL_SLEEP" ] && exec sleep "$KUBECTL_SLEEP"
stdin=$(cat)
printf '{"args":"%s","stdin":"%s"}' "$*" "$stdin"
printf '%s' "$KUBECTL_STDERR" >&2
exit "\${KUBECTL_EXIT:-0}"
`,
        { mode: 0o755 },
    );
});
beforeEach(() => {
    env = { PATH: `${dir}:/usr/bin:/bin` };
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The same run through the non-blocking helper and the blocking one: they must agree. */
const BOTH = [
    ["kubectlRun", (args: string[], opts: KubectlOptions = {}) => kubectlRun(args, { env, ...opts })],
    ["kubectlRunSync", async (args: string[], opts: KubectlOptions = {}) => kubectlRunSync(args, { env, ...opts })],
] as const;

describe.each(BOTH)("%s", (_name, run) => {
    it("puts another kubeconfig first and feeds the input on stdin", async () => {
        const r = await run(["apply", "-f", "-"], { kubeconfig: "/home/ada/kubeconfig", input: "kind: Pod" });
        expect(r.exitCode).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual({ args: "--kubeconfig=/home/ada/kubeconfig apply -f -", stdin: "kind: Pod" });
    });

    it("reports a failure with its exit status and stderr, without throwing", async () => {
        env.KUBECTL_EXIT = "1";
        env.KUBECTL_STDERR = 'Error from server (Forbidden): pods is forbidden';
        const r = await run(["get", "pods"]);
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toBe("Error from server (Forbidden): pods is forbidden");
    });

    it("says when kubectl is not on PATH", async () => {
        env.PATH = dir + "-missing";
        expect(await run(["version"])).toMatchObject({ exitCode: null, stderr: "kubectl not found on PATH (the lab's is put there by lab/env)" });
    });

    it("kills a run at its timeout and says so", async () => {
        env.KUBECTL_SLEEP = "5";
        expect(await run(["wait", "pod/x"], { timeoutMs: 300 })).toMatchObject({ exitCode: null, stderr: "killed after 0.3 s" });
    });
});

describe("kubectl and kubectlSync", () => {
    it("return stdout, parse -o json, and throw a KubectlError naming the command (never its input) with kubectl's stderr", async () => {
        expect(JSON.parse(await kubectl(["get", "ns"], { env }))).toMatchObject({ args: "get ns" });
        expect(JSON.parse(kubectlSync(["get", "ns"], { env }))).toMatchObject({ args: "get ns" });
        expect(await kubectlJson(["get", "ns"], { env })).toMatchObject({ args: "get ns -o json" });
        expect(kubectlJsonSync(["get", "ns"], { env })).toMatchObject({ args: "get ns -o json" });
        env.KUBECTL_EXIT = "1";
        env.KUBECTL_STDERR = "NotFound\n";
        const message = "kubectl create -f -: NotFound";
        await expect(kubectl(["create", "-f", "-"], { env, input: "password: hunter2" })).rejects.toThrow(new KubectlError(["create", "-f", "-"], "NotFound\n", 1).message);
        expect(() => kubectlSync(["create", "-f", "-"], { env, input: "password: hunter2" })).toThrow(message);
        expect(() => kubectlSync(["create", "-f", "-"], { env, input: "password: hunter2" })).toThrow(KubectlError);
    });
});
