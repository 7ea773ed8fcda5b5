/**
 * The lab toolchain built from Go modules is the one the lock asks for, and
 * the real engine runs a program through it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../../cli/automation";
import { kubectlSync } from "../../cli/kubectl";
import { privateBackend, requireLab } from "./lab";

function lockVersion(pkg: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package-lock.json"), "utf8"));
    return lock.packages[`node_modules/${pkg}`].version;
}

describe("lab toolchain", () => {
    it("runs on the pinned Node.js: this process and the node on PATH, which the language host runs programs and policy packs with", () => {
        const pinned = /^PODLAB_NODEJS_VERSION=(\S+)$/m.exec(fs.readFileSync(path.join(PROJECT_DIR, "lab", "lib", "versions.sh"), "utf8"))?.[1];
        expect(process.version).toBe(`v${pinned}`);
        expect(execFileSync("node", ["--version"], { encoding: "utf8" }).trim()).toBe(`v${pinned}`);
    });

    it("pulumi version equals the SDK version in the lock", () => {
        expect(execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim()).toBe(`v${lockVersion("@pulumi/pulumi")}`);
    });

    it("the Kubernetes provider is installed at the lock's version, and no analyzer plugin", () => {
        const plugins: Array<{ name: string; kind: string; version: string }> = JSON.parse(
            execFileSync("pulumi", ["plugin", "ls", "--json"], { encoding: "utf8" }),
        );
        const has = (name: string, kind: string) => plugins.filter((p) => p.name === name && p.kind === kind).map((p) => p.version);
        expect(has("kubernetes", "resource")).toEqual([lockVersion("@pulumi/kubernetes")]);
        // Policy packs run through the language host (docs/lab.md), not an analyzer plugin.
        expect(plugins.filter((p) => p.kind === "analyzer")).toEqual([]);
    });

    it("the Node.js language host sits next to pulumi and is the version lab/toolchain/nodejs pins", () => {
        const gomod = fs.readFileSync(path.join(PROJECT_DIR, "lab", "toolchain", "nodejs", "go.mod"), "utf8");
        const pinned = /^\s*github\.com\/pulumi\/pulumi\/sdk\/v3 (v\S+)/m.exec(gomod)?.[1];
        const cli = fs.realpathSync(execFileSync("bash", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim());
        const host = path.join(path.dirname(cli), "pulumi-language-nodejs");
        expect(execFileSync(host, ["-podlab-host-version"], { encoding: "utf8" }).trim()).toBe(pinned);
    });

    it("the real engine previews and deploys a program through the Kubernetes provider", async () => {
        requireLab();
        const root = privateBackend();
        const stack = await LocalWorkspace.createOrSelectStack(
            {
                stackName: "toolchain",
                projectName: "podlab-toolchain-check",
                program: async () => {
                    const cm = new k8s.core.v1.ConfigMap("probe", {
                        metadata: { namespace: "default", labels: { "app.kubernetes.io/part-of": "podlab-toolchain-check" } },
                        data: { checked: "yes" },
                    });
                    return { name: cm.metadata.name };
                },
            },
            { workDir: fs.mkdtempSync(path.join(os.tmpdir(), "podlab-toolchain-")) },
        );
        const preview = await stack.preview();
        expect(preview.changeSummary).toEqual({ create: 2 });
        await stack.up();
        const name = (await stack.outputs()).name.value as string;
        expect(kubectlSync(["get", "configmap", name, "-n", "default", "-o", "jsonpath={.data.checked}"])).toBe("yes");
        await stack.destroy();
        await stack.workspace.removeStack("toolchain");
        fs.rmSync(root, { recursive: true, force: true });
    });
});
