import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("README.md, the signpost", () => {
    it("stays short: at most 150 lines", () => {
        expect(README.split("\n").length).toBeLessThanOrEqual(150);
    });

    it("links every guide in docs/", () => {
        const guides = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
        expect(guides.filter((g) => !README.includes(`(docs/${g})`))).toEqual([]);
    });

    it("links only files that exist", () => {
        const targets = [...README.matchAll(/\]\(([^)#\s]+)(?:#[^)\s]*)?\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
        expect(targets.filter((t) => !fs.existsSync(path.join(ROOT, t)))).toEqual([]);
    });
});
