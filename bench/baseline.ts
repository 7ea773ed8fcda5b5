/**
 * The benchmark's baseline side: podlab as it was at a git commit, built in a
 * scratch directory (`git archive` of the commit, no git worktree, nothing in
 * the repository touched), so its course command can run beside this one in
 * the same run. Both trees use this repository's node_modules, which requires
 * the commit's package-lock.json to be this one's: the same SDK, provider and
 * tools, so only podlab's own code differs.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../cli/automation";

/** Builds `rev` under `root` and returns the tree (its bin/cli/course/main.js is the baseline's course command). */
export function buildBaseline(rev: string, root: string): { dir: string; commit: string } {
    const commit = git(["rev-parse", "--short", `${rev}^{commit}`]).trim();
    const dir = path.join(root, `baseline-${commit}`);
    fs.mkdirSync(dir, { recursive: true });
    const archive = spawnSync("git", ["archive", "--format=tar", commit], { cwd: PROJECT_DIR, maxBuffer: 1 << 30 });
    if (archive.status !== 0) {
        throw new Error(`git archive ${commit}: ${archive.stderr.toString().trim()}`);
    }
    const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
    if (untar.status !== 0) {
        throw new Error(`unpacking ${commit}: ${untar.stderr.toString().trim()}`);
    }
    for (const lock of ["package-lock.json", path.join("policy", "package-lock.json")]) {
        if (fs.readFileSync(path.join(dir, lock), "utf8") !== fs.readFileSync(path.join(PROJECT_DIR, lock), "utf8")) {
            throw new Error(`the baseline ${commit} has another ${lock} than this tree: its node_modules cannot be shared (build it with npm ci and pass --course-baseline DIR)`);
        }
    }
    for (const modules of ["node_modules", path.join("policy", "node_modules")]) {
        fs.symlinkSync(path.join(PROJECT_DIR, modules), path.join(dir, modules));
    }
    const tsc = spawnSync(process.execPath, [path.join(PROJECT_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: dir, encoding: "utf8" });
    if (tsc.status !== 0) {
        throw new Error(`building the baseline ${commit}: ${tsc.stdout}${tsc.stderr}`);
    }
    return { dir, commit };
}

function git(args: string[]): string {
    const r = spawnSync("git", args, { cwd: PROJECT_DIR, encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
    }
    return r.stdout;
}
