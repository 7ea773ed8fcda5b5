import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CourseLayout } from "../../../cli/course/layout";
import { CourseStacks, claimable, isStale, learnerOfStack, recordSeen, seenUpdate } from "../../../cli/course/records";

const layout = () => new CourseLayout("c", fs.mkdtempSync(path.join(os.tmpdir(), "podlab-records-")));

function stacks(all: Array<{ name: string; lastUpdate?: string; resourceCount?: number }>, tagged: string[]): CourseStacks {
    return { all: new Map(all.map((s) => [s.name, s])), learners: new Map(all.filter((s) => tagged.includes(s.name)).map((s) => [learnerOfStack("c", s.name)!, s])) };
}

describe("a course's learners in the backend", () => {
    it("are its tagged stacks, named <course>-<learner>", () => {
        expect(learnerOfStack("c", "c-ada")).toBe("ada");
        expect(learnerOfStack("c", "c-ada-b")).toBe("ada-b");
        expect(learnerOfStack("c", "d-ada")).toBeUndefined();
    });

    it("a stack of a learner's name is the course's when tagged; an empty untagged one (a killed run's) is claimed; any other is someone else's", () => {
        const l = layout();
        const s = stacks(
            [
                { name: "c-ada", lastUpdate: "2026-12-04T21:00:00.000Z", resourceCount: 12 },
                // Right after `stack init` in a file backend with the passphrase: a lastUpdate, no resources.
                { name: "c-bob", lastUpdate: "2026-12-04T21:00:00.000Z", resourceCount: 0 },
                { name: "c-cy", lastUpdate: "2026-12-04T21:00:00.000Z", resourceCount: 3 },
            ],
            ["c-ada"],
        );
        expect(claimable(l, "ada", s, "c-ada")).toBe("ours");
        expect(claimable(l, "bob", s, "c-bob")).toBe("untagged");
        expect(claimable(l, "cy", s, "c-cy")).toBe("foreign");
        expect(claimable(l, "dee", s, "c-dee")).toBe("new");
        // A course deployed before stacks were tagged listed its learners in course.json: they are still its own.
        fs.mkdirSync(l.workDir, { recursive: true });
        fs.writeFileSync(path.join(l.workDir, "course.json"), JSON.stringify({ course: "c", learners: ["cy"] }));
        expect(claimable(l, "cy", s, "c-cy")).toBe("untagged");
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
