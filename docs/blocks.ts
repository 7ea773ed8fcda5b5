/**
 * The generators of the docs' generated blocks (docs/generate.ts), by block
 * name. Each reads the file or code that holds its figures; none measures
 * anything or reaches a cluster.
 */
import * as path from "path";
import { benchCheck, benchCourse, benchDeploy, benchIndex, benchLoad, benchOverhead, benchSweep, benchTerminals, benchWhatIf } from "./benchFigures";
import { readComponents } from "./componentApi";
import { configKeys } from "./configReference";
import { measuredTable } from "./measured";
import { readmePicture } from "./picture";
import { countsIn, suitesSkippedOnKwok, testFiles } from "./testCounts";
import { policies } from "../policy/policies";

const ROOT = path.join(__dirname, "..").replace(/[\\/]bin$/, "");

/** A Markdown table: a header row, then the rows; `|` in a cell is escaped. */
export function markdownTable(header: string[], rows: string[][]): string {
    const cell = (c: string) => c.replace(/\|/g, "\\|").replace(/\n/g, " ");
    return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n") + "\n";
}

/** The policy pack's policies as the pack reports them: name, default level, what each checks. */
function policyTable(): string {
    return markdownTable(
        ["Policy", "Default", "What it checks"],
        policies.map((p) => [`\`${p.name}\``, p.enforcementLevel ?? "advisory", p.description]),
    );
}

/** Every policy setting with its description and default, from the policies' own config schemas. */
function policySettings(): string {
    const rows: string[][] = [];
    for (const p of policies) {
        const properties = Object.entries((p.configSchema?.properties ?? {}) as Record<string, { description?: string; default?: unknown }>);
        properties.forEach(([name, schema], i) => {
            rows.push([i === 0 ? `\`${p.name}\`` : "", `\`${name}\`: ${schema.description ?? ""}`, `\`${JSON.stringify(schema.default)}\``]);
        });
    }
    return markdownTable(["Policy", "Setting", "Default"], rows);
}

/** Each component's summary, Args and outputs, read from its source (docs/componentApi.ts). */
function componentReference(): string {
    return readComponents(ROOT)
        .map((c) => {
            const args = markdownTable(
                ["Arg", "Type", "Meaning"],
                c.args.map((a) => [`\`${a.name}\`${a.optional ? "" : " (required)"}`, `\`${a.type}\``, a.doc]),
            );
            const outputs = markdownTable(
                ["Output", "Type", "Meaning"],
                c.outputs.map((o) => [`\`${o.name}\``, `\`${o.type}\``, o.doc]),
            );
            return [`### \`${c.name}\` (\`${c.file}\`, \`${c.typeToken}\`)`, "", c.summary, "", args, outputs].join("\n");
        })
        .join("\n");
}

/** Every `podlab:` stack config key with its default from the code (docs/configReference.ts). */
function configReference(): string {
    return markdownTable(
        ["key", "default", "meaning"],
        configKeys().map((k) => [`\`${k.key}\``, k.default, k.meaning]),
    );
}

/** The end-to-end suites: tests written in each, and whether the KWOK lab runs it (jest.e2e.config.js). */
function e2eSuites(): string {
    const suites = testFiles(ROOT, path.join("tests", "e2e"), ".e2e.ts");
    const kwokSkips = suitesSkippedOnKwok(ROOT, suites);
    const counts = countsIn(ROOT, suites);
    return markdownTable(
        ["suite", "`it`/`test` calls in its source", "`npm run e2e` (real node)", "`npm run e2e:kwok`"],
        [
            ...counts.map((c) => [`\`${path.basename(c.file)}\``, String(c.tests), "yes", kwokSkips.has(c.file) ? "no" : "yes"]),
            ["**all**", String(counts.reduce((a, c) => a + c.tests, 0)), "", ""],
        ],
    );
}

/** The unit tests, by directory of tests/ (what `npm test` runs). */
function unitTests(): string {
    const counts = countsIn(ROOT, testFiles(ROOT, "tests", ".test.ts"));
    const byDir = new Map<string, { files: number; tests: number }>();
    for (const c of counts) {
        const dir = path.dirname(c.file);
        const d = byDir.get(dir) ?? { files: 0, tests: 0 };
        byDir.set(dir, { files: d.files + 1, tests: d.tests + c.tests });
    }
    return markdownTable(
        ["directory", "files", "`it`/`test` calls in their source"],
        [
            ...[...byDir].map(([dir, d]) => [`\`${dir}/\``, String(d.files), String(d.tests)]),
            ["**all**", String(counts.length), String(counts.reduce((a, c) => a + c.tests, 0))],
        ],
    );
}

/** Whole files `npm run docs` writes (and `npm test` checks), by path from the repository's root. */
export const FILES: Record<string, () => string> = {
    "docs/pods.svg": readmePicture,
};

export const BLOCKS: Record<string, (arg?: string) => string> = {
    "policy-table": policyTable,
    "policy-settings": policySettings,
    "component-reference": componentReference,
    "config-reference": configReference,
    "e2e-suites": e2eSuites,
    "unit-tests": unitTests,
    measured: (name) => measuredTable(name, markdownTable),
    "bench-index": () => benchIndex(ROOT, markdownTable),
    "bench-deploy": (file) => benchDeploy(ROOT, file, markdownTable),
    "bench-overhead": (file) => benchOverhead(ROOT, file, markdownTable),
    "bench-course": (file) => benchCourse(ROOT, file, markdownTable),
    "bench-load": (file) => benchLoad(ROOT, file, markdownTable),
    "bench-whatif": (file) => benchWhatIf(ROOT, file, markdownTable),
    "bench-check": (file) => benchCheck(ROOT, file, markdownTable),
    "bench-sweep": (dir) => benchSweep(ROOT, dir, markdownTable),
    "bench-terminals": (file) => benchTerminals(ROOT, file, markdownTable),
};
