/**
 * What the course suites share: the course command run as a user runs it, a
 * roster written to disk, and kubectl with a learner's own kubeconfig.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../cli/automation";

/** Writes a roster as `<dir>/<name>.yaml` and returns its path. */
export function writeRoster(dir: string, name: string, doc: Record<string, unknown>): string {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, yaml.dump(doc));
    return file;
}

/** The course command, as a user runs it (its own process, the built entry point). */
export function runCourse(...args: string[]): { status: number; stdout: string; stderr: string } {
    // env given explicitly: jest's process.env (with the suite's private backend) is not what child_process passes by default.
    const r = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin", "cli", "course", "main.js"), ...args], { encoding: "utf8", timeout: 900_000, env: process.env });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The token of a kubeconfig's first user. */
export function tokenOf(file: string): string {
    const cfg = yaml.load(fs.readFileSync(file, "utf8")) as { users: Array<{ user: { token: string } }> };
    return cfg.users[0].user.token;
}

/** Polls `check` every half second until it holds; returns the seconds that took. */
export async function eventually(what: string, check: () => boolean, seconds: number): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < seconds * 1000) {
        if (check()) {
            return (Date.now() - t0) / 1000;
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`not within ${seconds} s: ${what}`);
}
