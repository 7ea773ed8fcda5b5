import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CourseLayout } from "../../../cli/course/layout";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { BackendAccess, CourseStacks, claimable, courseStacks, isStale, recognizeUnrecorded, recordSeen, seenUpdate } from "../../../cli/course/records";
import * as kubectlModule from "../../../cli/kubectl";
import { FakePulumi } from "../fakePulumi";

const layout = () => new CourseLayout("c", fs.mkdtempSync(path.join(os.tmpdir(), "podlab-records-")));

function stacks(all: Array<{ name: string; lastUpdate?: string; resourceCount?: number }>, recorded: string[]): CourseStacks {
    const byName = new Map(all.map((s) => [s.name, s]));
    return { all: byName, learners: new Map(recorded.filter((l) => byName.has(`c-${l}`)).map((l) => [l, byName.get(`c-${l}`)!])), recorded };
}

function access(fake: FakePulumi): BackendAccess {
    return { pulumi: { command: fake.command } as PulumiCommand, workDir: fs.mkdtempSync(path.join(os.tmpdir(), "podlab-backend-access-")) };
}

describe("a course's learners in the backend", () => {
    it("are those the course-level stack recorded whose stacks exist: one stack ls and one stack output, at once; no tag", async () => {
        const fake = new FakePulumi({
            "stack ls": { stdout: JSON.stringify([{ name: "c-ada", lastUpdate: "t1", resourceCount: 12 }, { name: "c-101-bob", resourceCount: 12 }, { name: "c.course" }, { name: "c-101-ada" }]) },
            // c-gone: recorded, then its stack removed (a down killed before the record was rewritten).
            "stack output": { stdout: JSON.stringify({ policyName: "podlab-fence-course-c", learners: ["ada", "gone"] }) },
        });
        const s = await courseStacks(access(fake), "c");
        expect([...s.learners]).toEqual([["ada", { name: "c-ada", lastUpdate: "t1", resourceCount: 12 }]]);
        expect(s.recorded).toEqual(["ada", "gone"]);
        // Course c-101's learner ada has a stack that reads as c's learner "101-ada": not recorded by c, so not c's.
        expect(s.all.has("c-101-ada")).toBe(true);
        expect(fake.subcommands().sort()).toEqual(["stack ls", "stack output"]);
        expect(fake.runs().find((r) => r.args[1] === "output")!.args).toEqual(["stack", "output", "--json", "--stack", "c.course", "--non-interactive"]);
    });

    it("none before the course-level stack exists; a backend that fails says so", async () => {
        const fresh = new FakePulumi({ "stack ls": { stdout: "[]" }, "stack output": { code: 255, stderr: "error: no stack named 'c.course' found\n" } });
        expect((await courseStacks(access(fresh), "c")).learners.size).toBe(0);
        const broken = new FakePulumi({ "stack ls": { stdout: "[]" }, "stack output": { code: 255, stderr: "error: failed to decrypt\n" } });
        await expect(courseStacks(access(broken), "c")).rejects.toThrow("pulumi stack output --stack c.course failed (exit 255): error: failed to decrypt");
    });

    it("a stack of a learner's name is the course's when recorded; an empty unrecorded one (a killed run's) is claimed; any other is someone else's", () => {
        const l = layout();
        const s = stacks(
            [
                { name: "c-ada", lastUpdate: "2026-12-04T21:00:00.000Z", resourceCount: 12 },
                // Right after `stack init` in a file backend with the passphrase: a lastUpdate, no resources.
                { name: "c-bob", lastUpdate: "2026-12-04T21:00:00.000Z", resourceCount: 0 },
                { name: "c-cy", lastUpdate: "2026-12-04T21:00:00.000Z", resourceCount: 3 },
            ],
            ["ada"],
        );
        expect(claimable(l, "ada", s, "c-ada")).toBe("ours");
        expect(claimable(l, "bob", s, "c-bob")).toBe("unrecorded");
        expect(claimable(l, "cy", s, "c-cy")).toBe("foreign");
        expect(claimable(l, "dee", s, "c-dee")).toBe("new");
        // A course deployed before the course-level stack recorded learners listed them in course.json: they are still its own.
        fs.mkdirSync(l.workDir, { recursive: true });
        fs.writeFileSync(path.join(l.workDir, "course.json"), JSON.stringify({ course: "c", learners: ["cy"] }));
        expect(claimable(l, "cy", s, "c-cy")).toBe("unrecorded");
    });
});

describe("a learner's stack the course's record lost", () => {
    /** kubectl's answer to `get namespaces`, and the calls made (a unit test: the cluster is another suite's, tests/e2e). */
    function withKubectl<T>(namespaces: string[], f: (calls: string[][]) => Promise<T>): Promise<T> {
        const calls: string[][] = [];
        const spy = jest.spyOn(kubectlModule, "kubectlJson").mockImplementation(async (args: string[]) => {
            calls.push(args);
            return { items: namespaces.map((name) => ({ metadata: { name } })) } as any;
        });
        return f(calls).finally(() => spy.mockRestore());
    }
    const learner = (name: string) => ({ name, stack: `c-${name}`, namespace: `podlab-c-${name}`, mode: "environment" as const, config: {} });

    it("is the course's again when its namespace carries the course's label (one kubectl get); one without it stays someone else's", async () => {
        const s = stacks([{ name: "c-ada", resourceCount: 12 }, { name: "c-bob", resourceCount: 12 }, { name: "c-cy", resourceCount: 12 }, { name: "c-dee", resourceCount: 0 }], ["ada"]);
        const found = await withKubectl(["podlab-c-ada", "podlab-c-bob"], async (calls) => {
            const r = await recognizeUnrecorded(s, "c", ["ada", "bob", "cy", "dee"].map(learner));
            expect(calls).toEqual([["get", "namespaces", "--selector=podlab.dev/course=c"]]);
            return r;
        });
        expect(found).toEqual(["bob"]);
        expect(claimable(layout(), "bob", s, "c-bob")).toBe("ours");
        expect(claimable(layout(), "cy", s, "c-cy")).toBe("foreign");
    });

    it("asks the cluster nothing when every stack with resources is recorded", async () => {
        const s = stacks([{ name: "c-ada", resourceCount: 12 }, { name: "c-dee", resourceCount: 0 }], ["ada"]);
        await withKubectl([], async (calls) => {
            expect(await recognizeUnrecorded(s, "c", ["ada", "dee", "eve"].map(learner))).toEqual([]);
            expect(calls).toEqual([]);
        });
    });
});

describe("which update a course directory's files reflect", () => {
    it("is stale when the backend has another update than the one recorded (or none was recorded)", () => {
        const l = layout();
        const info = { name: "c-ada", lastUpdate: "2026-12-04T21:00:00.000Z" };
        expect(isStale(l, "ada", info)).toBe(true);
        recordSeen(l, "ada", info.lastUpdate); // no workspace yet: nothing recorded
        expect(seenUpdate(l, "ada")).toBeUndefined();
        fs.mkdirSync(l.workspace("ada"), { recursive: true });
        recordSeen(l, "ada", info.lastUpdate);
        expect(isStale(l, "ada", info)).toBe(false);
        expect(isStale(l, "ada", { ...info, lastUpdate: "2026-12-04T21:05:00.000Z" })).toBe(true);
        // A stack never updated, or none at all: nothing to re-read.
        expect(isStale(l, "bob", { name: "c-bob" })).toBe(false);
        expect(isStale(l, "bob", undefined)).toBe(false);
    });
});
