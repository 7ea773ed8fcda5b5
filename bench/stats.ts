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

/** "min / median / max" in seconds. */
export function fmtStats(s: Stats, unit: "s" | "x" = "s"): string {
    if (s.n === 0) {
        return "-";
    }
    const f = unit === "s" ? secs : (x: number) => x.toFixed(2);
    return `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
}
