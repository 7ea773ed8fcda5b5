import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { defaultStackWorkspace, runPulumi, writeStackConfig } from "../../cli/stackWorkspace";
import { FakePulumi } from "./fakePulumi";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "podlab-ws-"));

describe("a stack's config file in its workspace", () => {
    it("takes the given config and keeps every secrets setting and the encrypted password across rewrites", () => {
        const file = path.join(tmp(), "Pulumi.dev.yaml");
        fs.writeFileSync(file, yaml.dump({ secretsprovider: "awskms://alias/podlab", encryptedkey: "AQID", config: { "podlab:postgresPassword": { secure: "v1:enc" }, "podlab:namespace": "old" } }));
        writeStackConfig(file, { "podlab:namespace": "podlab-dev" }, "test");
        expect(yaml.load(fs.readFileSync(file, "utf8"))).toEqual({
            secretsprovider: "awskms://alias/podlab",
            encryptedkey: "AQID",
            config: { "podlab:namespace": "podlab-dev", "podlab:postgresPassword": { secure: "v1:enc" } },
        });
        expect(fs.readFileSync(file, "utf8").split("\n")[0]).toBe("# test");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it("a new workspace starts from what a tracked file already holds (a stack deployed before the workspace existed)", () => {
        const dir = tmp();
        const tracked = path.join(dir, "Pulumi.lab.yaml");
        fs.writeFileSync(tracked, yaml.dump({ encryptionsalt: "v1:salt", config: { "podlab:postgresPassword": { secure: "v1:enc" }, "podlab:postgres": { image: "x" } } }));
        const file = path.join(dir, "ws", "Pulumi.lab.yaml");
        writeStackConfig(file, { "podlab:postgres": { image: "y" } }, "test", tracked);
        expect(yaml.load(fs.readFileSync(file, "utf8"))).toEqual({ encryptionsalt: "v1:salt", config: { "podlab:postgres": { image: "y" }, "podlab:postgresPassword": { secure: "v1:enc" } } });
        // Once the workspace has its own, the tracked file no longer counts.
        fs.writeFileSync(tracked, yaml.dump({ encryptionsalt: "v1:other", config: {} }));
        writeStackConfig(file, {}, "test", tracked);
        expect((yaml.load(fs.readFileSync(file, "utf8")) as { encryptionsalt: string }).encryptionsalt).toBe("v1:salt");
    });
});

describe("where the stack command keeps a stack's workspace", () => {
    it("on the lab beside its backend (lab/env), else under the state directory, one per backend, never in the repository", () => {
        expect(defaultStackWorkspace("lab", { PODLAB_STACK_WORKSPACES: "/s/pulumi-backend-real-workspaces" })).toBe("/s/pulumi-backend-real-workspaces/lab");
        const a = defaultStackWorkspace("dev", { PODLAB_STATE: "/s", PULUMI_BACKEND_URL: "s3://a" });
        const b = defaultStackWorkspace("dev", { PODLAB_STATE: "/s", PULUMI_BACKEND_URL: "s3://b" });
        expect(a).toMatch(/^\/s\/workspaces\/[0-9a-f]{12}\/dev$/);
        expect(a).not.toBe(b);
        expect(fs.readFileSync(path.join(__dirname, "..", "..", "lab", "env"), "utf8")).toContain('exp PODLAB_STACK_WORKSPACES "$backend-workspaces"');
    });
});

describe("runPulumi (the workspace's CLI runs)", () => {
    it("runs again a CLI that lost the race to create a new PostgreSQL backend's table, as cli/pulumiRun.ts's does; other failures are returned as they are", async () => {
        const lost = 'error: unable to open state database "postgres://u@127.0.0.1:5432/p": failed to create table pulumi_state: pq: type "pulumi_state" already exists (42710)\n';
        const fake = new FakePulumi([{ code: 255, stderr: lost }, { stdout: "[]" }, { code: 255, stderr: "error: no stack named 'x' found\n" }, {}]);
        const pulumi = { command: fake.command } as PulumiCommand;
        expect(await runPulumi(pulumi, tmp(), ["stack", "ls", "--json"])).toEqual({ code: 0, stdout: "[]", stderr: "" });
        expect(fake.runs()).toHaveLength(2);
        expect((await runPulumi(pulumi, tmp(), ["stack", "select", "x"])).code).toBe(255);
        expect(fake.runs()).toHaveLength(3);
    });
});
