import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { failureReason, writeStackConfig } from "../../../cli/course/environment";
import { CourseLayout } from "../../../cli/course/layout";

describe("the learner's stack config file", () => {
    it("takes the roster's config and keeps Pulumi's salt and the encrypted password across rewrites", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "podlab-test-")), "Pulumi.c-ada.yaml");
        fs.writeFileSync(file, yaml.dump({ encryptionsalt: "v1:salt", config: { "podlab:postgresPassword": { secure: "v1:enc" }, "podlab:postgres": { count: 9 } } }));
        writeStackConfig(file, { namespace: "podlab-c-ada", postgres: { count: 2 } });
        expect(yaml.load(fs.readFileSync(file, "utf8"))).toEqual({
            encryptionsalt: "v1:salt",
            config: { "podlab:namespace": "podlab-c-ada", "podlab:postgres": { count: 2 }, "podlab:postgresPassword": { secure: "v1:enc" } },
        });
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });
});

describe("failureReason", () => {
    it("keeps the error lines of a failed pulumi run", () => {
        const message = "code: 255\n stdout: Updating (x)\n\n stderr: error: resource podlab-c-ada/postgres was not created: pods \"postgres\" is forbidden: exceeded quota\nerror: update failed\n";
        expect(failureReason(new Error(message))).toBe('resource podlab-c-ada/postgres was not created: pods "postgres" is forbidden: exceeded quota');
    });
});

describe("CourseLayout", () => {
    it("puts a learner's files under the course directory", () => {
        const l = new CourseLayout("pods101", "/tmp/pods101");
        expect(l.kubeconfig("ada")).toBe("/tmp/pods101/ada/kubeconfig");
        expect(l.workspace("ada")).toBe("/tmp/pods101/.podlab/ada");
    });

    it("refuses a directory inside the repository: credentials never go there", () => {
        expect(() => new CourseLayout("pods101", path.join(__dirname, "out"))).toThrow("is inside the repository");
    });
});
