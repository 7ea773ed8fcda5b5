import { EventEmitter } from "events";
import type { WebSocket } from "ws";
import type { Shell } from "../../../cli/serve/cluster";
import { CLOSE, TerminalDeps, TerminalHub } from "../../../cli/serve/terminal";

/** A browser's WebSocket as the hub sees it. */
class FakeSocket extends EventEmitter {
    readonly OPEN = 1;
    readonly CONNECTING = 0;
    readyState = 1;
    bufferedAmount = 0;
    sent: Array<string | Buffer> = [];
    closed?: { code: number; reason: string };
    send(data: string | Buffer): void {
        this.sent.push(data);
    }
    close(code: number, reason: string): void {
        this.closed = { code, reason };
        this.readyState = 3;
        this.emit("close", code);
    }
    /** The JSON messages sent. */
    messages(): Array<Record<string, unknown>> {
        return this.sent.filter((d): d is string => typeof d === "string").map((d) => JSON.parse(d));
    }
    bytes(): string {
        return Buffer.concat(this.sent.filter((d): d is Buffer => Buffer.isBuffer(d))).toString();
    }
}

class FakeShell implements Shell {
    readonly protocol = "v5.channel.k8s.io";
    input: string[] = [];
    sizes: string[] = [];
    closed = false;
    private out: Array<(d: Buffer) => void> = [];
    private ends: Array<(why: string) => void> = [];
    write(d: Buffer) {
        this.input.push(d.toString());
    }
    resize(cols: number, rows: number) {
        this.sizes.push(`${cols}x${rows}`);
    }
    pause() {}
    resume() {}
    close() {
        this.closed = true;
    }
    onOutput(l: (d: Buffer) => void) {
        this.out.push(l);
    }
    onEnd(l: (why: string) => void) {
        this.ends.push(l);
    }
    print(text: string) {
        this.out.forEach((l) => l(Buffer.from(text)));
    }
    exit(why: string) {
        this.ends.forEach((l) => l(why));
    }
}

const SESSION = "tab-session-0123456789";
const flush = () => new Promise((r) => setImmediate(r));

function hub(overrides: Partial<TerminalDeps> = {}) {
    let now = 1_000_000;
    const shells: FakeShell[] = [];
    const state = { token: "token-1" as string | undefined, works: true, deployed: true, expires: undefined as Date | undefined };
    const h = new TerminalHub({
        open: async () => {
            const shell = new FakeShell();
            shells.push(shell);
            return { shell, credential: { token: "token-1", works: async () => state.works } };
        },
        deployed: () => state.deployed,
        expiresAt: () => state.expires,
        currentToken: () => state.token,
        now: () => now,
        checkEveryMs: 3_600_000, // swept by hand below
        reviewEveryMs: 10_000,
        graceMs: 60_000,
        ...overrides,
    });
    const sweep = async () => {
        await (h as unknown as { sweep(): Promise<void> }).sweep();
        await flush();
    };
    return { h, shells, state, sweep, advance: (ms: number) => (now += ms) };
}

const attach = (h: TerminalHub, ws: FakeSocket, session = SESSION) => h.attach("ada", ws as unknown as WebSocket, { session, cols: 100, rows: 30 });

describe("a learner's terminal", () => {
    it("joins the WebSocket to a new shell: keys in, output out, resizes", async () => {
        const { h, shells } = hub();
        const ws = new FakeSocket();
        attach(h, ws);
        await flush();
        expect(ws.messages().map((m) => m.type)).toEqual(["status", "attached"]);
        ws.emit("message", Buffer.from("ls\r"), true);
        ws.emit("message", Buffer.from(JSON.stringify({ type: "resize", cols: 120, rows: 40 })), false);
        shells[0].print("file\r\n");
        expect(shells[0].input).toEqual(["ls\r"]);
        expect(shells[0].sizes).toEqual(["120x40"]);
        expect(ws.bytes()).toBe("file\r\n");
        expect(h.count("ada")).toBe(1);
        h.shutdown();
    });

    it("reattaches after a reload or a dropped connection: the same shell, with what it printed meanwhile", async () => {
        const { h, shells } = hub();
        const first = new FakeSocket();
        attach(h, first);
        await flush();
        shells[0].print("before\r\n");
        first.close(1006, "");
        shells[0].print("while away\r\n");
        const second = new FakeSocket();
        attach(h, second);
        expect(shells).toHaveLength(1);
        expect(second.messages()[0]).toMatchObject({ type: "attached", fresh: false });
        expect(second.bytes()).toBe("before\r\nwhile away\r\n");
        expect(shells[0].sizes).toEqual(["100x30"]);
        h.shutdown();
    });

    it("moves to the newest tab with the same session, closing the old one", async () => {
        const { h } = hub();
        const first = new FakeSocket();
        attach(h, first);
        await flush();
        attach(h, new FakeSocket());
        expect(first.closed?.code).toBe(CLOSE.takenOver);
        h.shutdown();
    });

    it("closes a shell nobody came back to after the grace period", async () => {
        const { h, shells, sweep, advance } = hub();
        const ws = new FakeSocket();
        attach(h, ws);
        await flush();
        ws.close(1006, "");
        advance(59_000);
        await sweep();
        expect(shells[0].closed).toBe(false);
        advance(1000);
        await sweep();
        expect(shells[0].closed).toBe(true);
        expect(h.count("ada")).toBe(0);
        h.shutdown();
    });

    it("ends within one sweep of the learner's credential being renewed or removed", async () => {
        for (const next of ["token-2", undefined]) {
            const { h, shells, state, sweep } = hub();
            const ws = new FakeSocket();
            attach(h, ws);
            await flush();
            await sweep();
            expect(ws.closed).toBeUndefined();
            state.token = next;
            await sweep();
            expect(ws.closed?.code).toBe(CLOSE.revoked);
            expect(shells[0].closed).toBe(true);
            expect(ws.messages().at(-1)).toMatchObject({ type: "ended", code: CLOSE.revoked });
            h.shutdown();
        }
    });

    it("ends when its token stops working at the API server (revoked behind the records' back)", async () => {
        const { h, state, sweep, advance } = hub();
        const ws = new FakeSocket();
        attach(h, ws);
        await flush();
        state.works = false;
        advance(10_000);
        await sweep();
        expect(ws.closed?.code).toBe(CLOSE.revoked);
        h.shutdown();
    });

    it("ends at the learner's expiry, and opens none after it", async () => {
        const { h, state, sweep, advance } = hub();
        state.expires = new Date(1_000_000 + 30_000);
        const ws = new FakeSocket();
        attach(h, ws);
        await flush();
        advance(30_000);
        await sweep();
        expect(ws.closed?.code).toBe(CLOSE.expired);
        const late = new FakeSocket();
        attach(h, late, "another-session-123456");
        expect(late.closed?.code).toBe(CLOSE.expired);
        h.shutdown();
    });

    it("refuses without an environment, past the per-learner limit, or with a malformed session id", async () => {
        const { h, state } = hub({ maxPerLearner: 2 });
        const sockets = [0, 1, 2].map(() => new FakeSocket());
        sockets.forEach((ws, i) => attach(h, ws, `session-number-${i}-abcdef`));
        await flush();
        expect(sockets.map((s) => s.closed?.code)).toEqual([undefined, undefined, CLOSE.tooMany]);
        const bad = new FakeSocket();
        attach(h, bad, "short");
        expect(bad.closed?.code).toBe(CLOSE.badRequest);
        state.deployed = false;
        const none = new FakeSocket();
        attach(h, none, "yet-another-session-1234");
        expect(none.closed?.code).toBe(CLOSE.notDeployed);
        h.shutdown();
    });

    it("says why when the shell cannot be opened, and when it exits", async () => {
        const failing = new TerminalHub({ open: async () => Promise.reject(new Error('pods "workbench" not found')), deployed: () => true, expiresAt: () => undefined, currentToken: () => "t" });
        const ws = new FakeSocket();
        failing.attach("ada", ws as unknown as WebSocket, { session: SESSION, cols: 80, rows: 24 });
        await flush();
        expect(ws.closed?.code).toBe(CLOSE.openFailed);
        expect(ws.messages().at(-1)?.message).toContain('pods "workbench" not found');
        failing.shutdown();
        const { h, shells } = hub();
        const ok = new FakeSocket();
        attach(h, ok);
        await flush();
        shells[0].exit("the shell exited");
        expect(ok.closed?.code).toBe(CLOSE.exited);
        h.shutdown();
    });
});
