import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { benchCheck, benchCourse, benchDeploy, benchIndex } from "../../docs/benchFigures";
import { markdownTable } from "../../docs/blocks";

const stats = (min: number, median: number, max: number) => ({ n: 3, min, median, max });

describe("the benchmarks' figures, read from bench/results", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-bench-docs-"));
    const results = path.join(root, "bench", "results");
    beforeAll(() => {
        fs.mkdirSync(path.join(results, "sweep"), { recursive: true });
        fs.writeFileSync(
            path.join(results, "run.json"),
            JSON.stringify({
                meta: { label: "a run", startedAt: "2026-12-01T10:00:00Z", host: { cores: 2, loadStart: [1, 2, 3], node: "v24.22.3" }, versions: { pulumi: "v3.276.0" } },
                deploy: [{ count: 4, objects: { Pod: 5, Secret: 4, Namespace: 1 }, samples: [{}, {}, {}], summary: { pulumiUp: stats(3000, 3300, 3600), kubectl: stats(1700, 1900, 2000), ratio: stats(1.5, 1.77, 2.1) } }],
                course: { rows: [{ learners: 20, objectsPerLearner: { Pod: 3, Secret: 10 }, summary: { course: stats(31600, 32600, 34500), kubectl: stats(19300, 19400, 20300) } }] },
                whatIf: [],
            }),
        );
        fs.writeFileSync(
            path.join(results, "check.json"),
            JSON.stringify({ learners: 20, runs: 1, cpus: 2, at: "2026-12-02T15:06:52Z", samples: [{ concurrency: "default", ms: 37900, statuses: { pass: 150, fail: 10 }, load: 5 }] }),
        );
    });
    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

    it("draws a file's deploy table with the figures it holds, leaving out what it did not measure", () => {
        const t = benchDeploy(root, "run.json", markdownTable);
        expect(t).toContain("| 4 | 10 | 3 | 3.0 / 3.3 / 3.6 | 1.7 / 1.9 / 2.0 | 1.50 / 1.77 / 2.10 |");
        expect(t).not.toContain("lean kubectl");
    });

    it("draws the course table and the check table", () => {
        expect(benchCourse(root, "run.json", markdownTable)).toContain("| 20 | 260 | 31.6 / 32.6 / 34.5 | 19.3 / 19.4 / 20.3 |");
        expect(benchCheck(root, "check.json", markdownTable)).toContain("| `check` (default concurrency) | 37.9 (10 not passed) |");
    });

    it("lists every results file in the index, subdirectories included", () => {
        fs.writeFileSync(path.join(results, "sweep", "c2.json"), JSON.stringify({ meta: { label: "c2" }, course: { concurrencyFlag: 2, rows: [] } }));
        const t = benchIndex(root, markdownTable);
        expect(t).toContain("| `run.json` | 2026-12-01 | a run | Node v24.22.3, Pulumi v3.276.0 | 1.0 2.0 3.0 | deploy of 4 postgres pods; course up of 20 learners |");
        expect(t).toContain("`sweep/c2.json`");
        expect(t).toContain("course check of 20 learners");
    });

    it("names the file it cannot find", () => {
        expect(() => benchDeploy(root, "nope.json", markdownTable)).toThrow("bench/results/nope.json does not exist");
        expect(() => benchDeploy(root, undefined, markdownTable)).toThrow("name a results file");
    });
});
