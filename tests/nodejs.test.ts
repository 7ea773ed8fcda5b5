/**
 * podlab runs on one Node.js release, pinned in lab/lib/versions.sh and fetched
 * into the podlab cache (lab/with-node): these keep engines, types and the npm
 * scripts in step with that pin.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const pinned = /^PODLAB_NODEJS_VERSION=(\d+)\.(\d+)\.(\d+)$/m.exec(read("lab/lib/versions.sh"));
const major = Number(pinned?.[1]);
const packages = ["package.json", "policy/package.json"].map((file) => ({ file, pkg: JSON.parse(read(file)) }));

/**
 * How a script command reaches the pinned Node.js: through the wrapper, through
 * another npm script (checked itself), or a podlab shell script that puts it on
 * PATH itself (or runs no Node.js at all).
 */
const ON_PINNED_NODE = [
    /^(\.\.\/)?lab\/with-node /,
    /^lab\/with-env /, // lab/env puts the same Node.js first on PATH
    /^npm (run|ci) /,
    /^bash (lab\/toolchain\.sh|cli\/deploy\.sh)( |$)/, // podlab_use_nodejs first
    /^bash lab\/cluster\.sh /, // shell, Go binaries and Debian tools only
    /^bash lab\/lib\/packages-installed\.sh$/, // shell only
];

describe("podlab's Node.js", () => {
    it("is pinned by version and integrity in lab/lib/versions.sh", () => {
        expect(pinned).not.toBeNull();
        expect(read("lab/lib/versions.sh")).toMatch(/^PODLAB_NODEJS_INTEGRITY=sha512-[A-Za-z0-9+/]{86}==$/m);
    });

    it("runs this suite (npm test goes through lab/with-node)", () => {
        expect(process.version).toBe(`v${pinned?.slice(1).join(".")}`);
    });

    it.each(packages)("is the only major $file's engines admit, and its @types/node", ({ pkg }) => {
        expect(pkg.engines).toEqual({ node: `>=${major} <${major + 1}` });
        expect(pkg.devDependencies["@types/node"]).toMatch(new RegExp(`^\\^${major}\\.`));
    });

    it.each(packages)("runs every script of $file that runs code", ({ pkg }) => {
        const off = Object.entries(pkg.scripts as Record<string, string>).flatMap(([name, script]) =>
            script
                .split("&&")
                .map((command) => command.trim().replace(/^([A-Z_]+=\S+ )+/, ""))
                .filter((command) => !ON_PINNED_NODE.some((re) => re.test(command)))
                .map((command) => `${name}: ${command}`),
        );
        expect(off).toEqual([]);
    });
});
