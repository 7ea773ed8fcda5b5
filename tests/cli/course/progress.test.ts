import { Progress, runBounded } from "../../../cli/course/progress";

function sink(isTTY: boolean) {
    const chunks: string[] = [];
    return { stream: { isTTY, write: (t: string) => chunks.push(t) }, text: () => chunks.join("") };
}

describe("Progress", () => {
    it("writes plain lines when not on a terminal", () => {
        const s = sink(false);
        const p = new Progress("up", 3, s.stream);
        p.start("ada");
        p.step("ada", "create Pod postgres");
        p.succeed("ada", 12.34, "new credential");
        p.start("grace");
        p.fail("grace", "quota exceeded");
        expect(p.finish()).toMatchObject({ done: 1, failed: 1 });
        expect(s.text()).toBe("ada: up started\nada: up done in 12.3 s (new credential)\ngrace: up started\ngrace: up FAILED: quota exceeded\n");
    });

    it("on a terminal: a line that stays per finished learner, under a summary and one line per running learner, redrawn in place", () => {
        const s = sink(true);
        const p = new Progress("up", 3, s.stream);
        p.start("ada");
        p.start("grace");
        p.step("ada", "create Pod postgres");
        expect(p.region()).toEqual([expect.stringMatching(/^\[\d+s\] up: 0\/3 done, 0 failed, 2 running$/), "  ada: create Pod postgres", "  grace: starting"]);
        p.succeed("ada", 1);
        expect(p.region()).toHaveLength(2);
        p.fail("grace", "quota exceeded");
        p.finish();
        const text = s.text();
        // No start lines on a terminal; the finished ones stay.
        expect(text).not.toContain("up started");
        expect(text).toContain("ada: up done in 1.0 s\n");
        expect(text).toContain("grace: up FAILED: quota exceeded\n");
        // Before each line that stays, the region (3 lines then) is erased from its first line down.
        expect(text).toContain("\r\x1b[2A\x1b[Jada: up done in 1.0 s\n");
        expect(text.endsWith("\x1b[J")).toBe(true);
    });

    it("keeps the live region as tall as the learners running, not the class", () => {
        const s = sink(true);
        const p = new Progress("up", 100, s.stream);
        for (let i = 0; i < 100; i++) {
            const name = `l${i}`;
            p.start(name);
            expect(p.region().length).toBeLessThanOrEqual(1 + 4);
            if (i >= 3) {
                p.succeed(`l${i - 3}`, 1);
            }
        }
        expect(p.region()).toHaveLength(1 + 3);
        p.finish();
        // The erase never moves up more lines than the region had.
        const ups = s.text().split("\x1b[").map((seq) => /^(\d+)A/.exec(seq)?.[1]).filter((n) => n !== undefined).map(Number);
        expect(ups.length).toBeGreaterThan(0);
        expect(Math.max(...ups)).toBeLessThanOrEqual(4);
    });
});

describe("runBounded", () => {
    it("never runs more than the bound at once, and runs every item", async () => {
        let running = 0;
        let peak = 0;
        const seen: number[] = [];
        await runBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((r) => setTimeout(r, 5));
            seen.push(n);
            running--;
        });
        expect(peak).toBe(3);
        expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });
});
