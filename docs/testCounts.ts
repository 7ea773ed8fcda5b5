/**
 * Counts the tests written in each test file, from its source (the TypeScript
 * compiler's syntax tree; nothing is run), for the docs' generated tables: a
 * call of `it` or `test` (`.skip`, `.only`, `.concurrent`, `.failing`), of a
 * local name bound to one of them (`const realNodeOnly = real ? it : it.skip`),
 * or of `it.each(table)` (one per row of a literal table, else one).
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const TEST_FUNCTIONS = ["it", "test"];
const MODIFIERS = ["skip", "only", "concurrent", "failing"];

/** The number of tests written in one file's source. */
export function countTests(source: string, fileName = "test.ts"): number {
    const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
    const names = new Set(TEST_FUNCTIONS);
    const isTestFunction = (e: ts.Expression): boolean =>
        (ts.isIdentifier(e) && names.has(e.text)) ||
        (ts.isPropertyAccessExpression(e) && MODIFIERS.includes(e.name.text) && isTestFunction(e.expression)) ||
        (ts.isParenthesizedExpression(e) && isTestFunction(e.expression)) ||
        (ts.isConditionalExpression(e) && isTestFunction(e.whenTrue) && isTestFunction(e.whenFalse));
    const aliases = (n: ts.Node): void => {
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer !== undefined && isTestFunction(n.initializer)) {
            names.add(n.name.text);
        }
        n.forEachChild(aliases);
    };
    aliases(file);
    let count = 0;
    const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n)) {
            const callee = n.expression;
            if (isTestFunction(callee)) {
                count += 1;
            } else if (ts.isCallExpression(callee) && ts.isPropertyAccessExpression(callee.expression) && callee.expression.name.text === "each" && isTestFunction(callee.expression.expression)) {
                const table = callee.arguments[0];
                count += table !== undefined && ts.isArrayLiteralExpression(table) ? table.elements.length : 1;
            }
        }
        n.forEachChild(visit);
    };
    visit(file);
    return count;
}

/** Every file under `dir` (relative to `root`) whose name ends with `suffix`, sorted. */
export function testFiles(root: string, dir: string, suffix: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
        for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
            const rel = path.join(d, e.name);
            if (e.isDirectory()) {
                walk(rel);
            } else if (e.name.endsWith(suffix)) {
                out.push(rel);
            }
        }
    };
    walk(dir);
    return out.sort();
}

/** Tests written per file. */
export function countsIn(root: string, files: string[]): { file: string; tests: number }[] {
    return files.map((file) => ({ file, tests: countTests(fs.readFileSync(path.join(root, file), "utf8"), file) }));
}

/**
 * The e2e suites `npm run e2e:kwok` leaves out, from jest.e2e.config.js itself
 * (loaded with PODLAB_NODE=kwok, as that script runs it).
 */
export function suitesSkippedOnKwok(root: string, suites: string[]): Set<string> {
    const configPath = path.join(root, "jest.e2e.config.js");
    const saved = process.env.PODLAB_NODE;
    process.env.PODLAB_NODE = "kwok";
    try {
        delete require.cache[require.resolve(configPath)];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const config = require(configPath) as { testPathIgnorePatterns?: string[] };
        const patterns = (config.testPathIgnorePatterns ?? []).map((p) => new RegExp(p));
        return new Set(suites.filter((s) => patterns.some((p) => p.test(`/${s}`))));
    } finally {
        delete require.cache[require.resolve(configPath)];
        if (saved === undefined) {
            delete process.env.PODLAB_NODE;
        } else {
            process.env.PODLAB_NODE = saved;
        }
    }
}
