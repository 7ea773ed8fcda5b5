/**
 * Fills the generated blocks of the docs from the files that hold their
 * figures (bench results, the code's defaults, the policy pack), so a number
 * in the docs cannot drift from its source:
 *
 *   npm run docs            rewrite every stale block
 *   npm run docs -- --check exit 1 naming each stale block (npm test runs the same check)
 *
 * A block is the text between
 *   <!-- generated: NAME; npm run docs -->
 * and
 *   <!-- end generated: NAME -->
 * in README.md or any docs/*.md; NAME picks its generator in docs/blocks.ts.
 * A NAME may carry one argument after a space (`bench-deploy after`), which
 * its generator receives: the same table drawn from another results file.
 */
import * as fs from "fs";
import * as path from "path";
import { runMain } from "../cli/runMain";
import { BLOCKS, FILES } from "./blocks";

/** The repository root (this file is docs/generate.ts, or bin/docs/generate.js once built). */
const ROOT = [path.join(__dirname, ".."), path.join(__dirname, "..", "..")].find((d) => fs.existsSync(path.join(d, "Pulumi.yaml")))!;

const NAME = "[a-z0-9-]+(?: [A-Za-z0-9._/-]+)?";
const BLOCK = new RegExp(`(<!-- generated: (${NAME}); npm run docs -->\\n)([\\s\\S]*?)(<!-- end generated: \\2 -->)`, "g");
const START = new RegExp(`<!-- generated: (${NAME}); npm run docs -->`, "g");

/** A generator, by block name; it gets the block's argument, if any. */
export type Generators = Record<string, (arg?: string) => string>;

/** A block whose text is not what its generator gives now. */
export interface StaleBlock {
    file: string;
    name: string;
}

/** The Markdown files that may hold generated blocks. */
export function docFiles(root = ROOT): string[] {
    const docs = path.join(root, "docs");
    const inDocs = fs.existsSync(docs) ? fs.readdirSync(docs).filter((f) => f.endsWith(".md")).map((f) => path.join(docs, f)) : [];
    return [path.join(root, "README.md"), ...inDocs.sort()];
}

/**
 * Renders every block of `text` with its generator. Throws naming a block
 * whose name has no generator, or a start marker without its end.
 */
export function renderBlocks(text: string, file: string, blocks: Generators = BLOCKS): { text: string; stale: string[] } {
    const stale: string[] = [];
    const starts = [...text.matchAll(START)].map((m) => m[1]);
    const rendered = text.replace(BLOCK, (_all, start: string, name: string, body: string, end: string) => {
        const [generatorName, arg] = name.split(" ");
        const generate = blocks[generatorName];
        if (generate === undefined) {
            throw new Error(`${file}: generated block ${JSON.stringify(name)} has no generator (known: ${Object.keys(blocks).join(", ")})`);
        }
        let fresh: string;
        try {
            fresh = ensureNewline(generate(arg));
        } catch (e) {
            throw new Error(`${file}: generated block ${JSON.stringify(name)}: ${(e as Error).message}`);
        }
        if (fresh !== body) {
            stale.push(name);
        }
        return `${start}${fresh}${end}`;
    });
    const ended = [...text.matchAll(BLOCK)].map((m) => m[2]);
    const unended = starts.filter((n) => !ended.includes(n));
    if (unended.length > 0) {
        throw new Error(`${file}: generated block ${JSON.stringify(unended[0])} has no "<!-- end generated: ${unended[0]} -->"`);
    }
    return { text: rendered, stale };
}

/** Checks (or with `write`, rewrites) every doc file's blocks, and every generated file; returns what was stale. */
export function generateDocs(opts: { write: boolean; root?: string; blocks?: Generators; files?: Record<string, () => string> }): StaleBlock[] {
    const stale: StaleBlock[] = [];
    for (const [rel, generate] of Object.entries(opts.files ?? (opts.root === undefined ? FILES : {}))) {
        const file = path.join(opts.root ?? ROOT, rel);
        const fresh = generate();
        if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== fresh) {
            stale.push({ file: rel, name: "(the whole file)" });
            if (opts.write) {
                fs.writeFileSync(file, fresh);
            }
        }
    }
    for (const file of docFiles(opts.root)) {
        const text = fs.readFileSync(file, "utf8");
        const result = renderBlocks(text, path.relative(opts.root ?? ROOT, file), opts.blocks);
        stale.push(...result.stale.map((name) => ({ file: path.relative(opts.root ?? ROOT, file), name })));
        if (opts.write && result.text !== text) {
            fs.writeFileSync(file, result.text);
        }
    }
    return stale;
}

function ensureNewline(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}

if (require.main === module) {
    runMain("docs", async () => {
        const check = process.argv.includes("--check");
        const stale = generateDocs({ write: !check });
        for (const s of stale) {
            console.log(`${s.file}: ${s.name} ${check ? "is stale: run npm run docs" : "rewritten"}`);
        }
        return check && stale.length > 0 ? 1 : 0;
    });
}
