import { Stack } from "@pulumi/pulumi/automation";
import { StackLockedError, describeHolders, holderGone, lockHolders, releasingStaleLock } from "../../cli/stackLock";

/** The CLI's error for a locked stack on a DIY backend (pkg/backend/diy/lock.go), credentials redacted as 3.276 does. */
const LOCKED = (holders: Array<[string, number]>) =>
    "code: 255\n stderr: error: the stack is currently locked by " +
    `${holders.length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.` +
    holders.map(([host, pid]) => `\n  postgres://****:****@127.0.0.1:5433/state/.pulumi/locks/organization/podlab/c-ada/0b9e.json: created by root@${host} (pid ${pid}) at 2026-12-04T21:00:00Z`).join("");

/** A stack whose cancel is recorded. */
function fakeStack(): { stack: Stack; cancels: () => number } {
    let cancels = 0;
    const stack = {
        name: "c-ada",
        cancel: async () => {
            cancels++;
        },
    };
    return { stack: stack as unknown as Stack, cancels: () => cancels };
}

describe("the CLI's lock error", () => {
    it("names each holder: user, host, pid, since", () => {
        expect(lockHolders(LOCKED([["hostA", 4242], ["hostB", 7]]))).toEqual([
            { user: "root", host: "hostA", pid: 4242, since: "2026-12-04T21:00:00Z" },
            { user: "root", host: "hostB", pid: 7, since: "2026-12-04T21:00:00Z" },
        ]);
        expect(lockHolders("error: update failed")).toBeUndefined();
        // The Automation API's error carries the CLI's output twice: each lock is named once.
        expect(lockHolders(`${LOCKED([["hostA", 4242]])}\n${LOCKED([["hostA", 4242]])}`)).toHaveLength(1);
    });

    it("a holder is gone only when it was a process of this machine that no longer exists", () => {
        expect(holderGone({ user: "u", host: "here", pid: 2 ** 22 + 17, since: "" }, "here")).toBe(true);
        expect(holderGone({ user: "u", host: "here", pid: process.pid, since: "" }, "here")).toBe(false);
        // Another machine's process cannot be seen from here: never taken as gone.
        expect(holderGone({ user: "u", host: "there", pid: 2 ** 22 + 17, since: "" }, "here")).toBe(false);
    });
});

describe("releasingStaleLock", () => {
    it("releases a lock a killed pulumi of this machine left (pulumi cancel), says so, and runs again", async () => {
        const { stack, cancels } = fakeStack();
        const notes: string[] = [];
        let runs = 0;
        const result = await releasingStaleLock(
            stack,
            async () => {
                if (runs++ === 0) {
                    throw new Error(LOCKED([["here", 2 ** 22 + 17]]));
                }
                return "updated";
            },
            notes,
            "here",
        );
        expect(result).toBe("updated");
        expect(cancels()).toBe(1);
        expect(notes).toEqual([`released the lock of a killed pulumi (pid ${2 ** 22 + 17} on here (user root) since 2026-12-04T21:00:00Z)`]);
    });

    it("never cancels a live holder's lock, here or on another machine: refused, naming the holder", async () => {
        for (const [host, pid] of [["here", process.pid], ["elsewhere", 2 ** 22 + 17]] as const) {
            const { stack, cancels } = fakeStack();
            const run = releasingStaleLock(stack, () => Promise.reject(new Error(LOCKED([[host, pid]]))), [], "here");
            await expect(run).rejects.toBeInstanceOf(StackLockedError);
            await expect(run).rejects.toThrow(`stack c-ada is locked by a running pulumi: pid ${pid} on ${host} (user root) since 2026-12-04T21:00:00Z`);
            expect(cancels()).toBe(0);
        }
    });

    it("passes any other failure on as it is", async () => {
        const { stack, cancels } = fakeStack();
        await expect(releasingStaleLock(stack, () => Promise.reject(new Error("error: update failed")), [], "here")).rejects.toThrow("error: update failed");
        expect(cancels()).toBe(0);
    });

    it("describes holders in one line", () => {
        expect(describeHolders([{ user: "ada", host: "h", pid: 1, since: "t" }])).toBe("pid 1 on h (user ada) since t");
    });
});
