/**
 * podlab runs on Node.js 24: the lab and CI on one release pinned in
 * lab/lib/versions.sh (fetched into the podlab cache), the npm scripts that
 * need only Node.js on the machine's own Node.js 24 (lab/node24.js picks).
 * These keep the pin, engines, types and the npm scripts in step.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const versionsSh = read("lab/lib/versions.sh");
const pinnedVersion = /^PODLAB_NODEJS_VERSION=(\d+)\.(\d+)\.(\d+)$/m.exec(versionsSh);
const major = Number(pinnedVersion?.[1]);
const packages = ["package.json", "policy/package.json"].map((file) => ({ file, pkg: JSON.parse(read(file)) }));
const scripts = (pkg: { scripts: Record<string, string> }) => pkg.scripts;

interface Choice {
    use: "own" | "pinned" | "lab" | "missing";
    message?: string;
}
// lab/node24.js is plain CommonJS (it must run on an old Node.js to say so), so it is required, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const node24 = require("../lab/node24.js") as {
    decide(a: { lab: boolean; offLab: boolean; nodeVersion: string; major: number; platform: string; arch: string; pinnedVersion: string; pinnedPlatforms: string[] }): Choice;
    pinned(versionsSh: string): { version: string; platforms: string[] };
    requiredMajor(pkg: unknown): number;
};

/** The commands of an npm script, without leading VAR=value assignments. */
const commands = (script: string) => script.split("&&").map((c) => c.trim().replace(/^([A-Z_]+=\S+ )+/, ""));

/** The tools that need only Node.js and the npm packages: no lab, no wrapper. */
const NODE_ONLY = /^(tsc|eslint|jest)( |$)/;

/**
 * How every other command of a script reaches a suitable Node.js: through
 * lab/node24.js (the machine's Node.js 24, else the pinned one), another npm
 * script (checked itself), the lab's wrappers (the pinned one), or a podlab
 * shell script that puts it on PATH itself (or runs no Node.js at all).
 */
const ON_NODE24 = [
    NODE_ONLY,
    /^node lab\/node24\.js /,
    /^node lab\/lib\/packages-installed\.js$/, // runs on any Node.js: it only hashes two files
    /^npm (run|ci) /,
    /^(\.\.\/)?lab\/with-node /, // the lab's own scripts: the pinned Node.js
    /^lab\/with-env /, // lab/env puts the same pinned Node.js first on PATH
    /^bash (lab\/toolchain\.sh|cli\/deploy\.sh)( |$)/, // podlab_use_nodejs first
    /^bash lab\/cluster\.sh /, // shell, Go binaries and Debian tools only
];

describe("podlab's Node.js", () => {
    it("is pinned by version and, per platform the npm registry has it for, integrity in lab/lib/versions.sh", () => {
        expect(pinnedVersion).not.toBeNull();
        const pin = node24.pinned(versionsSh);
        expect(pin.version).toBe(pinnedVersion?.slice(1).join("."));
        expect(pin.platforms).toEqual(["linux-x64", "linux-arm64"]);
        expect(versionsSh.match(/^PODLAB_NODEJS_INTEGRITY_\w+=sha512-[A-Za-z0-9+/]{86}==$/gm)).toHaveLength(2);
    });

    it("runs this suite: a Node.js engines admits (the machine's own 24.x, or the pinned one)", () => {
        expect(Number(process.versions.node.split(".")[0])).toBe(major);
    });

    it.each(packages)("is the only major $file's engines admit, and its @types/node", ({ pkg }) => {
        expect(pkg.engines).toEqual({ node: `>=${major} <${major + 1}` });
        expect(node24.requiredMajor(pkg)).toBe(major);
        expect(pkg.devDependencies["@types/node"]).toMatch(new RegExp(`^\\^${major}\\.`));
    });

    it.each(packages)("runs every script of $file that runs code", ({ pkg }) => {
        const off = Object.entries(scripts(pkg)).flatMap(([name, script]) =>
            commands(script)
                .filter((command) => !ON_NODE24.some((re) => re.test(command)))
                .map((command) => `${name}: ${command}`),
        );
        expect(off).toEqual([]);
    });
});

describe("the npm scripts that need only Node.js", () => {
    const root = scripts(packages[0].pkg);

    it("typecheck, lint, unit tests and build are the tools themselves: no lab wrapper, nothing to fetch", () => {
        for (const name of ["typecheck", "lint", "test:unit", "build"]) {
            expect(`${name}: ${commands(root[name]).every((c) => NODE_ONLY.test(c))}`).toBe(`${name}: true`);
        }
        expect(root.verify).toBe("npm run typecheck && npm run lint && npm run test:unit");
        expect(scripts(packages[1].pkg).typecheck).toMatch(/^tsc /);
    });

    it("npm test is verify on Node.js 24 (lab/node24.js), and npm ci needs no bash", () => {
        expect(root.test).toBe("node lab/node24.js npm run --silent verify");
        expect(root.postinstall).not.toMatch(/\bbash\b|lab\/with-/);
    });

    it("course and stack run under the lab's environment only on the lab (node24.js --lab), never through lab/with-node", () => {
        for (const name of ["course", "stack"]) {
            expect(root[name]).toMatch(/&& node lab\/node24\.js --lab node bin\/cli\//);
        }
        expect(Object.entries(root).filter(([, s]) => /lab\/with-node/.test(s)).map(([n]) => n)).toEqual(["lab:toolchain"]);
    });
});

describe("lab/node24.js picks the Node.js", () => {
    const base = { lab: false, offLab: false, nodeVersion: "v24.1.0", major: 24, platform: "linux", arch: "x64", pinnedVersion: "24.22.3", pinnedPlatforms: ["linux-x64", "linux-arm64"] };

    it("the machine's own 24.x on any platform, even where a package could be fetched", () => {
        for (const [platform, arch] of [["darwin", "arm64"], ["win32", "x64"], ["linux", "arm64"], ["linux", "x64"]]) {
            expect(node24.decide({ ...base, platform, arch })).toEqual({ use: "own" });
        }
    });

    it("the pinned one where the machine has another major and the registry has a package for it", () => {
        expect(node24.decide({ ...base, nodeVersion: "v20.20.2" })).toEqual({ use: "pinned" });
        expect(node24.decide({ ...base, nodeVersion: "v26.0.0", arch: "arm64" })).toEqual({ use: "pinned" });
    });

    it("elsewhere nothing, with a message naming the Node.js found, the platform and what to install", () => {
        const c = node24.decide({ ...base, nodeVersion: "v22.3.0", platform: "darwin", arch: "arm64" });
        expect(c.use).toBe("missing");
        expect(c.message).toContain("podlab needs Node.js 24 (package.json engines), and this is Node.js v22.3.0 on darwin-arm64");
        expect(c.message).toContain("no Node.js 24.22.3 package for darwin-arm64");
        expect(c.message).toContain("Install Node.js 24");
    });

    it("with --lab: the lab's environment on the lab, the user's own off it", () => {
        expect(node24.decide({ ...base, lab: true, nodeVersion: "v20.0.0" })).toEqual({ use: "lab" });
        expect(node24.decide({ ...base, lab: true, offLab: true })).toEqual({ use: "own" });
    });

    it("on this Node.js 24, runs the command itself: the podlab cache stays empty (nothing fetched)", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-node24-"));
        const env = { ...process.env, PODLAB_CACHE: cache, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}` };
        const r = spawnSync(process.execPath, [path.join(ROOT, "lab", "node24.js"), "node", "-p", "process.version"], { encoding: "utf8", env });
        expect(`${r.status} ${r.stdout.trim()}`).toBe(`0 ${process.version}`);
        expect(fs.readdirSync(cache)).toEqual([]);
    });
});
