import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { docFiles, generateDocs, renderBlocks } from "../../docs/generate";

/** The repository's files as git knows them (tracked and untracked, not ignored). */
function gitFiles(root: string): string[] {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" }).split("\n").filter((f) => f !== "");
}

const start = (name: string) => `<!-- generated: ${name}; npm run docs -->\n`;
const end = (name: string) => `<!-- end generated: ${name} -->`;

describe("generated blocks in the docs", () => {
    it("are what their generators give now (npm run docs rewrites them)", () => {
        const stale = generateDocs({ write: false });
        expect(stale.map((s) => `${s.file}: ${s.name} is stale: run npm run docs`)).toEqual([]);
    });

    it("renders a block from its generator and reports it stale when it differs", () => {
        const text = `intro\n${start("two")}1\n${end("two")}\noutro\n`;
        const r = renderBlocks(text, "x.md", { two: () => "2" });
        expect(r.text).toBe(`intro\n${start("two")}2\n${end("two")}\noutro\n`);
        expect(r.stale).toEqual(["two"]);
        expect(renderBlocks(r.text, "x.md", { two: () => "2" }).stale).toEqual([]);
    });

    it("writes a generated file, and reports it stale when it differs", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-docs-"));
        fs.mkdirSync(path.join(root, "docs"));
        fs.writeFileSync(path.join(root, "README.md"), "no blocks\n");
        const files = { "docs/pic.svg": () => "<svg/>\n" };
        try {
            expect(generateDocs({ write: false, root, blocks: {}, files })).toEqual([{ file: "docs/pic.svg", name: "(the whole file)" }]);
            expect(generateDocs({ write: true, root, blocks: {}, files })).toHaveLength(1);
            expect(fs.readFileSync(path.join(root, "docs", "pic.svg"), "utf8")).toBe("<svg/>\n");
            expect(generateDocs({ write: false, root, blocks: {}, files })).toEqual([]);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("passes a block's argument to its generator, and names the block when the generator fails", () => {
        const blocks = { echo: (arg?: string) => `arg=${arg}`, fails: () => { throw new Error("no such file"); } };
        const r = renderBlocks(`${start("echo after.json")}old\n${end("echo after.json")}\n`, "x.md", blocks);
        expect(r.text).toBe(`${start("echo after.json")}arg=after.json\n${end("echo after.json")}\n`);
        expect(() => renderBlocks(`${start("fails x")}\n${end("fails x")}`, "x.md", blocks)).toThrow('x.md: generated block "fails x": no such file');
    });

    it("covers every Markdown file of the repository that holds a generated block", () => {
        const root = path.join(__dirname, "..", "..");
        const covered = new Set(docFiles(root));
        const withBlocks = gitFiles(root)
            .filter((f) => f.endsWith(".md"))
            .map((f) => path.join(root, f))
            .filter((f) => fs.existsSync(f) && fs.readFileSync(f, "utf8").includes("<!-- generated: "));
        expect(withBlocks.filter((f) => !covered.has(f))).toEqual([]);
        expect(withBlocks.length).toBeGreaterThan(0);
    });

    it("refuses a block without a generator, or without its end", () => {
        expect(() => renderBlocks(`${start("nope")}x\n${end("nope")}`, "x.md", {})).toThrow('x.md: generated block "nope" has no generator');
        expect(() => renderBlocks(`${start("two")}x\n`, "x.md", { two: () => "2" })).toThrow('x.md: generated block "two" has no "<!-- end generated: two -->"');
    });

    it("rewrites stale blocks in place with write", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-docs-"));
        fs.mkdirSync(path.join(root, "docs"));
        fs.writeFileSync(path.join(root, "README.md"), `${start("two")}old\n${end("two")}\n`);
        fs.writeFileSync(path.join(root, "docs", "a.md"), "no blocks\n");
        try {
            expect(generateDocs({ write: true, root, blocks: { two: () => "2\n" } })).toEqual([{ file: "README.md", name: "two" }]);
            expect(fs.readFileSync(path.join(root, "README.md"), "utf8")).toBe(`${start("two")}2\n${end("two")}\n`);
            expect(generateDocs({ write: false, root, blocks: { two: () => "2\n" } })).toEqual([]);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
