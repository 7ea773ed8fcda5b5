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

    it("keeps one live status line on a terminal, under the lines that stay", () => {
        const s = sink(true);
        const p = new Progress("up", 2, s.stream);
        p.start("ada");
        p.step("ada", "create Pod postgres");
        expect(p.status()).toMatch(/^\[\d+s\] up: 0\/2 done, 0 failed, 1 running \(ada: create Pod postgres\)$/);
        p.succeed("ada", 1);
        p.finish();
        expect(s.text()).toContain("\r\x1b[2K");
        expect(s.text()).toContain("ada: up done in 1.0 s\n");
        expect(s.text().endsWith("\r\x1b[2K")).toBe(true);
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
