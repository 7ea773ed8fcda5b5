import { checkExitStatus, worstStatus } from "../../cli/checkReport";

describe("summing up the check's findings", () => {
    const r = (learner: string, status: "pass" | "fail" | "not-enforced" | "not-possible") => ({ check: "one-sandbox" as const, learner, status, tried: "", got: "" });

    it("a board cell is the learner's worst status for the check", () => {
        expect(worstStatus([r("ada", "pass"), r("ada", "not-possible"), r("grace", "fail")], "ada", "one-sandbox")).toBe("not-possible");
        expect(worstStatus([r("ada", "pass"), r("ada", "fail"), r("ada", "not-enforced")], "ada", "one-sandbox")).toBe("fail");
        expect(worstStatus([r("ada", "pass")], "ada", "network-fence")).toBeUndefined();
    });

    it("exits 1 on fail or not-enforced; not-possible is informational", () => {
        expect(checkExitStatus([r("ada", "pass"), r("ada", "not-possible")])).toBe(0);
        expect(checkExitStatus([r("ada", "pass"), r("ada", "not-enforced")])).toBe(1);
        expect(checkExitStatus([r("ada", "fail")])).toBe(1);
    });
});
