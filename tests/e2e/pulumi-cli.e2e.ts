/**
 * The regular path (docs/program.md), as a user runs it: the plain `pulumi` CLI in the
 * project directory, which runs the TypeScript program through the Node.js
 * language host (docs/lab.md), against the lab cluster. The project
 * is a scratch copy of the repository (program, policy pack, their installed
 * node_modules), so the run leaves the repository untouched. Nothing here needs
 * real containers, so it runs on the real node (`npm run e2e`) and on KWOK
 * (`npm run e2e:kwok`) alike. The tests run in order and share one stack.
 */
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PASSWORD_KEY, scratchProject } from "../../cli/automation";
import { labImageRef } from "../labImages";
import { kubectlRunSync } from "../../cli/kubectl";
import { expectReadyPodsAt, podlabObjects, privateBackend, requireLab, WAIT_MS } from "./lab";

const STACK = "e2e-cli";
const NS = "podlab-e2e-cli";

let root: string;
let project: string;
let stackCreated = false;

/**
 * `pulumi ...` in the scratch project; output is stdout and stderr together. The
 * environment is passed explicitly: a child spawned from a jest test otherwise gets
 * the runner's own, without the private backend that privateBackend() set in the test's.
 */
function pulumi(...args: string[]): { status: number; output: string } {
    return pulumiFed(undefined, args);
}

/** `pulumi ...` with `input` on its stdin (how a secret stays out of the process list). */
function pulumiFed(input: string | undefined, args: string[]): { status: number; output: string } {
    const r = spawnSync("pulumi", [...args, "--non-interactive"], { cwd: project, encoding: "utf8", env: process.env, input });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** `pulumi ...` that must succeed; returns its output. */
function pulumiOk(...args: string[]): string {
    return succeeded(args, pulumi(...args));
}

function succeeded(args: string[], r: { status: number; output: string }): string {
    if (r.status !== 0) {
        throw new Error(`pulumi ${args.join(" ")} exited ${r.status}:\n${r.output}`);
    }
    return r.output;
}

/** "type name" of a URN (urn:pulumi:stack::project::parent$type::name). */
function urnTypeAndName(urn: string): string {
    const [, , types, name] = urn.split("::");
    return `${types.slice(types.lastIndexOf("$") + 1)} ${name}`;
}

function podIps(): Record<string, string> {
    return JSON.parse(pulumiOk("stack", "output", "podIps", "--json"));
}

beforeAll(() => {
    requireLab();
    // A run killed half-way leaves its namespace behind; its state went with its private backend.
    kubectlRunSync(["delete", "namespace", NS, "--ignore-not-found", "--wait=true"], { timeoutMs: WAIT_MS });
    root = privateBackend();
    project = scratchProject(path.join(root, "project"), undefined, undefined, { program: true });
});

afterAll(() => {
    // Leave the lab as we found it even when a test failed half-way.
    if (stackCreated) {
        pulumi("destroy", "--yes", "--stack", STACK);
        pulumi("stack", "rm", "--yes", "--force", STACK);
    }
});

describe("the plain pulumi CLI in the project directory", () => {
    it("pulumi stack init, then pulumi config set for the lab's images and a secret password", () => {
        pulumiOk("stack", "init", STACK);
        stackCreated = true;
        pulumiOk("config", "set", "podlab:namespace", NS);
        pulumiOk("config", "set", "--path", "podlab:postgres.image", labImageRef("postgres"));
        pulumiOk("config", "set", "--path", "podlab:sidecar.nginxImage", labImageRef("nginx"));
        pulumiOk("config", "set", "--path", "podlab:sidecar.curlImage", labImageRef("curl"));
        const password = randomBytes(18).toString("base64url");
        const setPassword = ["config", "set", "--secret", PASSWORD_KEY];
        succeeded(setPassword, pulumiFed(password, setPassword));
        const file = fs.readFileSync(path.join(project, `Pulumi.${STACK}.yaml`), "utf8");
        expect(file).toContain("secure:");
        expect(file).not.toContain(password);
        expect(pulumiOk("config", "get", PASSWORD_KEY).trim()).toBe(password);
    });

    it("bad config fails pulumi up before anything is created, naming key and value, without a stack trace", () => {
        for (const [key, value, message] of [
            ["podlab:postgres.count", "0", "podlab:postgres.count must be an integer in 1-100; got 0"],
            ["podlab:sidecar.sidecarPort", "8080", "podlab:sidecar.sidecarPort 8080 is also podlab:sidecar.nginxPort"],
        ]) {
            pulumiOk("config", "set", "--path", key, value);
            const up = pulumi("up", "--yes");
            pulumiOk("config", "rm", "--path", key);
            expect(up.status).not.toBe(0);
            expect(up.output).toContain(`error: ${message}`);
            // Reported as a message: no "unhandled exception"/"unhandled rejection", no stack frames.
            expect(up.output).not.toMatch(/unhandled/i);
            expect(up.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        }
        expect(kubectlRunSync(["get", "namespace", NS]).exitCode).not.toBe(0);
        expect(JSON.parse(pulumiOk("stack", "export")).deployment.resources ?? []).toEqual([]);
    });

    it("pulumi preview plans the namespace, both postgres pods and the sidecar pod", () => {
        const plan = JSON.parse(pulumiOk("preview", "--json"));
        const creates: string[] = (plan.steps as any[]).filter((s) => s.op === "create").map((s) => urnTypeAndName(s.urn));
        expect(creates.filter((c) => c.startsWith("kubernetes:core/v1:Namespace "))).toEqual([`kubernetes:core/v1:Namespace ${NS}-namespace`]);
        expect(creates.filter((c) => c.startsWith("kubernetes:core/v1:Pod ")).sort()).toEqual(
            ["postgres-pod", "postgres2-pod", "sidecar-pod"].map((n) => `kubernetes:core/v1:Pod ${n}`),
        );
        expect(plan.changeSummary).toEqual({ create: creates.length });
    });

    it("pulumi up --yes: every pod Ready, each at its own IP; the language host draws no warning", () => {
        const up = pulumiOk("up", "--yes");
        // Found anywhere but next to pulumi, the CLI warns "using pulumi-language-nodejs from $PATH at ...";
        // that warning is what this test is about (the provider may relay unrelated kubelet events as warnings).
        expect(up).not.toMatch(/using pulumi-language-nodejs from/i);
        expect(up).not.toMatch(/warning: .*pulumi-language-nodejs/i);
        expect(JSON.parse(pulumiOk("stack", "output", "namespace", "--json"))).toBe(NS);
        const ips = podIps();
        expect(Object.keys(ips).sort()).toEqual(["postgres", "postgres2", "sidecar"]);
        expectReadyPodsAt(NS, ips);
    });

    it("a second pulumi up changes nothing, in the cluster either", () => {
        const before = podlabObjects([NS]);
        const again = pulumiOk("up", "--yes", "--expect-no-changes");
        expect(again).toMatch(/\b\d+ unchanged\b/);
        expect(podlabObjects([NS])).toEqual(before);
    });

    it("pulumi preview --policy-pack policy: the pack runs through the language host and every policy passes", () => {
        const preview = pulumiOk("preview", "--policy-pack", "policy", "--expect-no-changes");
        expect(preview).toMatch(/Policies:\s+✅ podlab@v?0\.1\.0/);
        expect(preview).not.toMatch(/mandatory|advisory/);
    });

    it("pulumi refresh finds the cluster as the stack left it", () => {
        pulumiOk("refresh", "--yes", "--expect-no-changes");
    });

    it("pulumi destroy --yes leaves no podlab object; pulumi stack rm forgets the stack", () => {
        pulumiOk("destroy", "--yes");
        expect(podlabObjects([NS])).toEqual([]);
        expect(kubectlRunSync(["get", "namespace", NS]).exitCode).not.toBe(0);
        pulumiOk("stack", "rm", "--yes", STACK);
        stackCreated = false;
        expect(JSON.parse(pulumiOk("stack", "ls", "--json"))).toEqual([]);
        expect(fs.existsSync(path.join(project, `Pulumi.${STACK}.yaml`))).toBe(false);
    });
});
