import * as path from "path";
import { countTests, suitesSkippedOnKwok } from "../../docs/testCounts";

describe("counting the tests written in a file", () => {
    it("counts it, test and their modifiers, local aliases and literal each tables; not describe", () => {
        const source = `
            const realOnly = real ? it : it.skip;
            describe("a", () => {
                it("one", () => {});
                test("two", () => {});
                it.skip("three", () => {});
                it.concurrent("four", async () => {});
                realOnly("five", () => {});
                it.each([[1], [2], [3]])("six to eight %s", () => {});
                test.each(rows)("nine", () => {});
                describe("nested", () => { it("ten", () => {}); });
            });
            helper("not a test");
        `;
        expect(countTests(source)).toBe(10);
    });

    it("reads which suites npm run e2e:kwok leaves out from jest.e2e.config.js, leaving PODLAB_NODE as it was", () => {
        const before = process.env.PODLAB_NODE;
        const root = path.join(__dirname, "..", "..");
        const skipped = suitesSkippedOnKwok(root, ["tests/e2e/realnode.e2e.ts", "tests/e2e/lifecycle.e2e.ts"]);
        expect([...skipped]).toEqual(["tests/e2e/realnode.e2e.ts"]);
        expect(process.env.PODLAB_NODE).toBe(before);
    });
});
