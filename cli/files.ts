/**
 * Where podlab keeps its files on this machine, and how it writes them: the
 * helpers every command shares (the course, the deploy command, the pictures),
 * none of them about one command in particular.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** podlab's state directory: PODLAB_STATE, default ~/.local/state/podlab (as lab/lib/versions.sh). The lab's backends live here. */
export function stateDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
    return env.PODLAB_STATE ?? path.join(home, ".local", "state", "podlab");
}

/** Writes a file atomically (a killed run leaves the old file or the new one, never half of one). */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
}
