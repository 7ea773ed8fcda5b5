/**
 * Progress of work over many learners: on a terminal, one live status line
 * (done / failed / running, and what each running learner is doing) under the
 * lines of learners that finished; elsewhere (CI, a log file), plain lines.
 */

export interface ProgressStream {
    write(text: string): unknown;
    isTTY?: boolean;
}

export class Progress {
    private readonly running = new Map<string, string>();
    private done = 0;
    private failed = 0;
    private readonly started = Date.now();
    private lastLine = "";
    private timer?: NodeJS.Timeout;

    constructor(
        private readonly verb: string,
        private readonly total: number,
        private readonly out: ProgressStream = process.stderr,
    ) {
        if (this.out.isTTY) {
            // Keeps the elapsed time moving while nothing else changes.
            this.timer = setInterval(() => this.redraw(), 1000);
            this.timer.unref();
        }
    }

    start(learner: string): void {
        this.running.set(learner, "starting");
        this.line(`${learner}: ${this.verb} started`);
    }

    /** What a running learner is doing now (shown on the live line only). */
    step(learner: string, what: string): void {
        if (this.running.has(learner)) {
            this.running.set(learner, what);
            this.redraw();
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

    /** The live line: counts, then what the running learners do. */
    status(): string {
        const secs = Math.round((Date.now() - this.started) / 1000);
        const doing = [...this.running].map(([l, w]) => `${l}: ${w}`).join(", ");
        return `[${secs}s] ${this.verb}: ${this.done}/${this.total} done, ${this.failed} failed, ${this.running.size} running${doing ? ` (${doing})` : ""}`;
    }

    private line(text: string): void {
        this.clear();
        this.out.write(`${text}\n`);
        this.redraw();
    }

    private clear(): void {
        if (this.out.isTTY && this.lastLine !== "") {
            this.out.write("\r\x1b[2K");
            this.lastLine = "";
        }
    }

    private redraw(): void {
        if (!this.out.isTTY) {
            return;
        }
        const columns = (this.out as { columns?: number }).columns ?? 120;
        const text = this.status().slice(0, Math.max(20, columns - 1));
        this.out.write(`\r\x1b[2K${text}`);
        this.lastLine = text;
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
