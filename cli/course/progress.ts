/**
 * Progress of work over many learners. On a terminal: a line that stays for
 * each learner that finished (or failed), under a live region of a summary line
 * (done / failed / running of the total, elapsed time) and one line per running
 * learner saying what it does; the region is as tall as the concurrency, never
 * the class, and is redrawn in place at most every {@link REDRAW_MS}.
 * Elsewhere (CI, a log file): plain lines, a start and an end per learner.
 */

export interface ProgressStream {
    write(text: string): unknown;
    isTTY?: boolean;
    columns?: number;
}

/** Steps of running learners arrive many times a second at a large class; the region is redrawn no more often than this. */
const REDRAW_MS = 100;

export class Progress {
    private readonly running = new Map<string, string>();
    private done = 0;
    private failed = 0;
    private readonly started = Date.now();
    /** Lines of the live region on the screen now. */
    private regionLines = 0;
    private lastDraw = 0;
    private timer?: NodeJS.Timeout;

    constructor(
        private readonly verb: string,
        private readonly total: number,
        private readonly out: ProgressStream = process.stderr,
    ) {
        if (this.out.isTTY) {
            // Keeps the elapsed time moving, and draws a step that arrived within REDRAW_MS of the last draw.
            this.timer = setInterval(() => this.redraw(true), 250);
            this.timer.unref();
        }
    }

    start(learner: string): void {
        this.running.set(learner, "starting");
        if (this.out.isTTY) {
            this.redraw(true);
        } else {
            this.line(`${learner}: ${this.verb} started`);
        }
    }

    /** What a running learner is doing now (shown in the live region only). */
    step(learner: string, what: string): void {
        if (this.running.has(learner)) {
            this.running.set(learner, what);
            this.redraw(false);
        }
    }

    succeed(learner: string, seconds: number, detail = ""): void {
        this.running.delete(learner);
        this.done++;
        this.line(`${learner}: ${this.verb} done in ${seconds.toFixed(1)} s${detail ? ` (${detail})` : ""}`);
    }

    fail(learner: string, reason: string): void {
        this.running.delete(learner);
        this.failed++;
        this.line(`${learner}: ${this.verb} FAILED: ${reason}`);
    }

    /** A line that stays (a warning, a note). */
    note(text: string): void {
        this.line(text);
    }

    finish(): { done: number; failed: number; seconds: number } {
        if (this.timer) {
            clearInterval(this.timer);
        }
        this.clear();
        return { done: this.done, failed: this.failed, seconds: (Date.now() - this.started) / 1000 };
    }

    /** The summary line: counts and elapsed time. */
    status(): string {
        const secs = Math.round((Date.now() - this.started) / 1000);
        return `[${secs}s] ${this.verb}: ${this.done}/${this.total} done, ${this.failed} failed, ${this.running.size} running`;
    }

    /** The live region: the summary, then each running learner and what it does. */
    region(): string[] {
        return [this.status(), ...[...this.running].map(([l, w]) => `  ${l}: ${w}`)];
    }

    private line(text: string): void {
        this.clear();
        this.out.write(`${text}\n`);
        this.redraw(true);
    }

    /** Moves to the region's first line and erases it and everything below. */
    private clear(): void {
        if (this.out.isTTY && this.regionLines > 0) {
            this.out.write(`\r${this.regionLines > 1 ? `\x1b[${this.regionLines - 1}A` : ""}\x1b[J`);
            this.regionLines = 0;
        }
    }

    private redraw(now: boolean): void {
        if (!this.out.isTTY || (!now && Date.now() - this.lastDraw < REDRAW_MS)) {
            return;
        }
        // Each line cut to the terminal's width: a wrapped line would throw the count off.
        const width = Math.max(20, (this.out.columns ?? 120) - 1);
        const lines = this.region().map((l) => l.slice(0, width));
        this.clear();
        this.out.write(lines.join("\n"));
        this.regionLines = lines.length;
        this.lastDraw = Date.now();
    }
}

/** Runs `work` for every item, at most `limit` at a time; one item's failure does not stop the others. */
export async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const item = items[next++];
            await work(item);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
