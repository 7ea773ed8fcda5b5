/**
 * What a learner's operation runs of the Pulumi CLI before its update, by what
 * the backend says of the learner's stack (records.ts): nothing for a stack
 * this directory knows; `config refresh` when another instructor's update came
 * after this directory's or the config is missing here. A stand-in `pulumi`
 * records each run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { CourseContext, stackConfigFile } from "../../../cli/course/environment";
import { CourseLayout } from "../../../cli/course/layout";
import { LearnerFacts, prepareLearnerStack } from "../../../cli/course/learnerUp";
import { Learner } from "../../../cli/course/roster";
import { FakePulumi } from "../fakePulumi";

const ada: Learner = { name: "ada", stack: "c-ada", namespace: "podlab-c-ada", mode: "environment", config: { namespace: "podlab-c-ada" } };

/** A course directory, the stand-in CLI, and an empty file backend (no locks, nothing pending). */
function setup(plan: ConstructorParameters<typeof FakePulumi>[0], localConfig?: Record<string, unknown>): { ctx: CourseContext; fake: FakePulumi } {
    const fake = new FakePulumi(plan);
    const layout = new CourseLayout("c", fs.mkdtempSync(path.join(os.tmpdir(), "podlab-course-")));
    if (localConfig !== undefined) {
        fs.mkdirSync(layout.workspace("ada"), { recursive: true });
        fs.writeFileSync(stackConfigFile(layout, ada), yaml.dump(localConfig));
    }
    const ctx = { course: "c", layout, pulumi: { command: fake.command } as PulumiCommand, now: () => new Date() } as unknown as CourseContext;
    return { ctx, fake };
}

const facts = (f: Partial<LearnerFacts>): LearnerFacts => ({ exists: true, stale: false, randomProvider: false, ...f });

describe("prepareLearnerStack", () => {
    const backend = process.env.PULUMI_BACKEND_URL;
    beforeAll(() => (process.env.PULUMI_BACKEND_URL = `file://${fs.mkdtempSync(path.join(os.tmpdir(), "podlab-backend-"))}`));
    afterAll(() => (backend === undefined ? delete process.env.PULUMI_BACKEND_URL : (process.env.PULUMI_BACKEND_URL = backend)));

    it("a stack this directory knows (the course's, its last update seen here, its config here): no CLI run; the config keeps Pulumi's settings and password", async () => {
        const { ctx, fake } = setup([], { encryptionsalt: "v1:s", config: { "podlab:postgresPassword": { secure: "v1:p" }, "podlab:namespace": "old" } });
        const cli = await prepareLearnerStack(ctx, ada, facts({}), () => undefined, []);
        expect(fake.runs()).toEqual([]);
        expect(cli).toEqual({ command: fake.command, workDir: ctx.layout.workspace("ada"), stack: "c-ada" });
        expect(yaml.load(fs.readFileSync(stackConfigFile(ctx.layout, ada), "utf8"))).toEqual({
            encryptionsalt: "v1:s",
            config: { "podlab:namespace": "podlab-c-ada", "podlab:postgresPassword": { secure: "v1:p" } },
        });
    });

    it("a new stack: nothing before its update (stack init comes with it: cli/stackUp.ts)", async () => {
        const { ctx, fake } = setup([]);
        await prepareLearnerStack(ctx, ada, facts({ exists: false }), () => undefined, []);
        expect(fake.runs()).toEqual([]);
        expect(fs.existsSync(stackConfigFile(ctx.layout, ada))).toBe(true);
    });

    it("another instructor's update came after this directory's, or no config here: `config refresh` first, the roster's config on top", async () => {
        for (const [f, local] of [
            [facts({ stale: true }), { encryptionsalt: "v1:stale", config: {} }],
            [facts({}), undefined],
        ] as const) {
            const { ctx, fake } = setup([{}], local);
            await prepareLearnerStack(ctx, ada, f, () => undefined, []);
            expect(fake.runs().map((r) => r.args)).toEqual([["config", "refresh", "--force", "--stack", "c-ada", "--non-interactive"]]);
            // The stand-in wrote nothing back: the stale local settings are gone, not kept.
            expect(yaml.load(fs.readFileSync(stackConfigFile(ctx.layout, ada), "utf8"))).toEqual({ config: { "podlab:namespace": "podlab-c-ada" } });
        }
    });
});
