import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generateDocs, renderBlocks } from "../../docs/generate";

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
