import { CpuBreakdown } from "./proc";

/** min/median/max of a set of timings. */
export interface Stats {
    n: number;
    min: number;
    median: number;
    max: number;
}

/** min/median/max of the samples (the median of an even count is the mean of the middle two). */
export function stats(samples: number[]): Stats {
    const xs = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (xs.length === 0) {
        return { n: 0, min: NaN, median: NaN, max: NaN };
    }
    const mid = xs.length >> 1;
    const median = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
    return { n: xs.length, min: xs[0], median, max: xs[xs.length - 1] };
}

/** Seconds with one decimal from milliseconds, e.g. 5312 -> "5.3". */
export function secs(ms: number): string {
    return Number.isFinite(ms) ? (ms / 1000).toFixed(1) : "-";
}

/** Mebibytes without decimals from bytes, e.g. 419430400 -> "400". */
export function mib(bytes: number): string {
    return Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : "-";
}

/** "min / median / max" in seconds, as ratios, or in MiB. */
export function fmtStats(s: Stats, unit: "s" | "x" | "MiB" = "s"): string {
    if (s.n === 0) {
        return "-";
    }
    const f = unit === "s" ? secs : unit === "MiB" ? mib : (x: number) => x.toFixed(2);
    return `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
}

/** A Markdown table. */
export function table(head: string[], rows: string[][]): string {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** The run of a row whose time is the median (the lower middle one for an even count). */
export function medianRun<T>(samples: T[], key: (s: T) => number): T | undefined {
    const sorted = [...samples].sort((a, b) => key(a) - key(b));
    return sorted[(sorted.length - 1) >> 1];
}

export function cpuCell(cpu: CpuBreakdown, name: string): string {
    return cpu[name] === undefined ? "-" : cpu[name].toFixed(2);
}

export function total(cpu: CpuBreakdown): string {
    return Object.values(cpu)
        .reduce((a, b) => a + b, 0)
        .toFixed(2);
}
