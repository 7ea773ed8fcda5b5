/**
 * Pulumi's own stack lock, as podlab meets it on any backend. A DIY backend
 * (file, S3-compatible, PostgreSQL) locks a stack by writing a lock object
 * (user, host, pid, time) for the length of an update, refresh or destroy; a
 * second run is refused at once, before it changes anything, with an error
 * naming each holder. A run killed with SIGKILL leaves its lock behind.
 *
 * podlab releases a lock only when it is sure its holder is gone: a process of
 * this machine that no longer exists (`pulumi cancel`, the CLI's own way). A
 * lock held from another machine is never released: whether its process lives
 * cannot be known from here, so the run is refused with the holder's name.
 */
import * as os from "os";

/** True when a process with this pid exists on this machine (possibly another program after pid reuse: callers then wait, which is safe). */
export function pidAlive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0) {
        return false;
    }
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Who holds a stack's lock, as the lock says. */
export interface LockHolder {
    user: string;
    host: string;
    pid: number;
    since: string;
}

/** The holders a CLI error names when it is "the stack is currently locked"; undefined for any other error. */
export function lockHolders(message: string): LockHolder[] | undefined {
    if (!/the stack is currently locked by \d+ lock/.test(message)) {
        return undefined;
    }
    const holders: LockHolder[] = [];
    const re = /: created by (.*?)@(\S+) \(pid (-?\d+)\) at (\S+)/g;
    for (let m = re.exec(message); m !== null; m = re.exec(message)) {
        // The Automation API's error repeats the CLI's output: each lock once.
        if (!holders.some((h) => h.host === m![2] && h.pid === Number(m![3]) && h.since === m![4])) {
            holders.push({ user: m[1], host: m[2], pid: Number(m[3]), since: m[4] });
        }
    }
    return holders;
}

/** True when the holder was a process of this machine that is gone (killed): its lock can go. */
export function holderGone(h: LockHolder, hostname: string = os.hostname()): boolean {
    return h.host === hostname && !pidAlive(h.pid);
}

export function describeHolders(holders: LockHolder[]): string {
    return holders.map((h) => `pid ${h.pid} on ${h.host} (user ${h.user}) since ${h.since}`).join("; ");
}

/** A run refused because another pulumi holds the stack: nothing was changed. */
export class StackLockedError extends Error {
    constructor(
        public readonly stack: string,
        public readonly holders: LockHolder[],
    ) {
        super(
            `stack ${stack} is locked by a running pulumi: ${holders.length > 0 ? describeHolders(holders) : "its holder is not named"}. ` +
                `Another instructor's run (or another of yours) is working on it; nothing was changed here: wait for it and run again. ` +
                `If that process is gone for good, \`pulumi cancel --stack ${stack}\` releases its lock.`,
        );
        this.name = "StackLockedError";
    }
}

/** A stack whose lock can be released: an Automation API `Stack`, or one driven through the CLI directly (cli/pulumiRun.ts). */
export interface LockedStack {
    name: string;
    /** `pulumi cancel`. */
    cancel(): Promise<unknown>;
}

/**
 * Runs a locking operation (up, refresh, destroy, stack rm). When the stack is
 * locked by a pulumi of this machine that is gone, releases that lock
 * (`pulumi cancel`), says so in `notes`, and runs it once more; when it is
 * held by a live process, or from another machine, throws {@link StackLockedError}.
 */
export async function releasingStaleLock<T>(stack: LockedStack, op: () => Promise<T>, notes: string[], hostname: string = os.hostname()): Promise<T> {
    try {
        return await op();
    } catch (e) {
        const holders = lockHolders(e instanceof Error ? e.message : String(e));
        if (holders === undefined) {
            throw e;
        }
        if (holders.length === 0 || !holders.every((h) => holderGone(h, hostname))) {
            throw new StackLockedError(stack.name, holders.filter((h) => !holderGone(h, hostname)));
        }
        await stack.cancel();
        notes.push(`released the lock of a killed pulumi (${describeHolders(holders)})`);
    }
    try {
        return await op();
    } catch (e) {
        const holders = lockHolders(e instanceof Error ? e.message : String(e));
        throw holders === undefined ? e : new StackLockedError(stack.name, holders);
    }
}
