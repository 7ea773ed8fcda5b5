/**
 * Learners' terminals: a browser's WebSocket joined to a shell in the
 * learner's workbench (opened with their own credential). A shell outlives its
 * WebSocket for a while, so a reload or a network blip reattaches to the same
 * shell (the tab keeps its session id) and replays what it printed meanwhile;
 * after that it is closed. A shell ends when the learner's time ends, and
 * within seconds of their credential being renewed or removed (`course
 * credentials`, `course down`): an exec stream that is open is not cut by the
 * API server when its token is revoked, so the server watches for it.
 *
 * Browser protocol: binary frames are terminal bytes both ways; text frames
 * are JSON: from the browser {type:"resize",cols,rows}; from the server
 * {type:"status"|"attached"|"ended", ...}. Close codes 4xxx say why it ended.
 */
import type { WebSocket } from "ws";
import type { Shell } from "./cluster";

/** Why a terminal's WebSocket was closed; the page decides from the code whether to reconnect. */
export const CLOSE = {
    /** The shell exited (the learner typed exit). */
    exited: 4000,
    /** The learner's time (their credential's expiry) is over. */
    expired: 4001,
    /** Their credential was renewed or removed: this shell ran with the old one. */
    revoked: 4003,
    /** No environment (not deployed, or taken down). */
    notDeployed: 4004,
    /** The same session was opened in another tab. */
    takenOver: 4009,
    /** Too many terminals open for one learner. */
    tooMany: 4029,
    badRequest: 4400,
    /** The shell could not be opened (the workbench is not running yet, say): the page retries. */
    openFailed: 4500,
    /** The server is stopping: the page retries. */
    goingAway: 1001,
} as const;

/** The credential a shell was opened with: its token, and whether it still works. */
export interface SessionCredential {
    token: string;
    works(): Promise<boolean>;
}

export interface TerminalDeps {
    /** Opens a shell in the learner's workbench with their credential as it is now. */
    open(learner: string, size: { cols: number; rows: number }): Promise<{ shell: Shell; credential: SessionCredential }>;
    /** Whether the learner has an environment and a credential at all. */
    deployed(learner: string): boolean;
    /** When the learner's time ends. */
    expiresAt(learner: string): Date | undefined;
    /** The learner's token as the course's records hold it now; undefined when removed. */
    currentToken(learner: string): string | undefined;
    now?: () => number;
    /** How long a shell waits for its browser to come back. Default 120 s. */
    graceMs?: number;
    /** Terminals one learner may have open at once. Default 4. */
    maxPerLearner?: number;
    /** How often the records and expiry are looked at. Default 2 s. */
    checkEveryMs?: number;
    /** How often each open shell's token is tried against the API server. Default 10 s. */
    reviewEveryMs?: number;
    log?: (line: string) => void;
}

/** Bytes of a shell's latest output kept for a reattaching browser. */
const REPLAY_BYTES = 64 * 1024;
/** Output waiting for a slow browser beyond which the shell's output is paused. */
const BACKLOG_BYTES = 1024 * 1024;
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

interface Session {
    learner: string;
    id: string;
    shell?: Shell;
    credential?: SessionCredential;
    ws?: WebSocket;
    replay: Buffer[];
    replayBytes: number;
    detachedAt?: number;
    ended: boolean;
}

export class TerminalHub {
    private readonly sessions = new Map<string, Session>();
    private readonly timer: NodeJS.Timeout;
    private lastReview = 0;
    private readonly now: () => number;
    private readonly listeners: Array<(learner: string) => void> = [];

    constructor(private readonly deps: TerminalDeps) {
        this.now = deps.now ?? Date.now;
        this.timer = setInterval(() => void this.sweep(), deps.checkEveryMs ?? 2000);
        this.timer.unref();
    }

    /** Open terminals (attached or waiting for their browser) of one learner. */
    count(learner: string): number {
        return [...this.sessions.values()].filter((s) => s.learner === learner && !s.ended).length;
    }

    /** Called with the learner's name whenever their number of terminals changes. */
    onChange(listener: (learner: string) => void): void {
        this.listeners.push(listener);
    }

    attach(learner: string, ws: WebSocket, params: { session: string; cols: number; rows: number }): void {
        if (!SESSION_ID.test(params.session)) {
            return closeWith(ws, CLOSE.badRequest, "the terminal's session id is missing or malformed");
        }
        const key = `${learner}/${params.session}`;
        const existing = this.sessions.get(key);
        if (existing !== undefined && !existing.ended) {
            if (existing.ws !== undefined) {
                closeWith(existing.ws, CLOSE.takenOver, "this terminal was opened in another tab or window");
            }
            this.bind(existing, ws);
            if (existing.shell !== undefined) {
                send(ws, { type: "attached", fresh: false, protocol: existing.shell.protocol });
                for (const chunk of existing.replay) {
                    ws.send(chunk, { binary: true });
                }
                existing.shell.resize(params.cols, params.rows);
            }
            return;
        }
        if (!this.deps.deployed(learner)) {
            return closeWith(ws, CLOSE.notDeployed, "you have no environment right now (not deployed, or taken down): ask your instructor");
        }
        const expires = this.deps.expiresAt(learner);
        if (expires !== undefined && expires.getTime() <= this.now()) {
            return closeWith(ws, CLOSE.expired, `your course time ended at ${expires.toISOString()}`);
        }
        if (this.count(learner) >= (this.deps.maxPerLearner ?? 4)) {
            return closeWith(ws, CLOSE.tooMany, `you have ${this.count(learner)} terminals open already; close one (type exit) first`);
        }
        const session: Session = { learner, id: params.session, replay: [], replayBytes: 0, ended: false };
        this.sessions.set(key, session);
        this.bind(session, ws);
        this.changed(learner);
        send(ws, { type: "status", message: "starting a shell in your workbench…" });
        this.deps.open(learner, { cols: params.cols, rows: params.rows }).then(
            ({ shell, credential }) => {
                if (session.ended) {
                    shell.close();
                    return;
                }
                session.shell = shell;
                session.credential = credential;
                shell.onOutput((data) => this.output(session, data));
                shell.onEnd((why) => this.end(session, CLOSE.exited, why));
                if (session.ws !== undefined) {
                    send(session.ws, { type: "attached", fresh: true, protocol: shell.protocol });
                }
            },
            (e: unknown) => this.end(session, CLOSE.openFailed, `the shell could not be opened: ${(e as Error).message ?? String(e)}`),
        );
    }

    /** Ends every terminal of a learner (their environment was taken down, say). */
    endLearner(learner: string, code: number, why: string): void {
        for (const s of this.sessions.values()) {
            if (s.learner === learner) {
                this.end(s, code, why);
            }
        }
    }

    /** Ends every terminal; the pages reconnect to the next server. */
    shutdown(): void {
        clearInterval(this.timer);
        for (const s of this.sessions.values()) {
            this.end(s, CLOSE.goingAway, "the workspace server is restarting");
        }
    }

    private bind(session: Session, ws: WebSocket): void {
        session.ws = ws;
        session.detachedAt = undefined;
        ws.on("message", (data: Buffer, isBinary: boolean) => {
            if (session.ws !== ws || session.shell === undefined) {
                return;
            }
            if (isBinary) {
                session.shell.write(data);
                return;
            }
            try {
                const msg = JSON.parse(data.toString("utf8")) as { type?: string; cols?: number; rows?: number };
                if (msg.type === "resize" && isSize(msg.cols) && isSize(msg.rows)) {
                    session.shell.resize(msg.cols, msg.rows);
                }
            } catch {
                // not JSON: ignored
            }
        });
        ws.on("close", () => {
            if (session.ws === ws) {
                session.ws = undefined;
                session.detachedAt = this.now();
                session.shell?.resume();
            }
        });
    }

    private output(session: Session, data: Buffer): void {
        session.replay.push(data);
        session.replayBytes += data.length;
        while (session.replayBytes > REPLAY_BYTES && session.replay.length > 1) {
            session.replayBytes -= session.replay.shift()!.length;
        }
        const ws = session.ws;
        if (ws !== undefined && ws.readyState === ws.OPEN) {
            ws.send(data, { binary: true });
            if (ws.bufferedAmount > BACKLOG_BYTES) {
                // A browser that cannot keep up: stop reading the shell until it has caught up.
                session.shell?.pause();
                const wait = setInterval(() => {
                    if (ws.readyState !== ws.OPEN || ws.bufferedAmount < BACKLOG_BYTES / 4) {
                        clearInterval(wait);
                        session.shell?.resume();
                    }
                }, 50);
            }
        }
    }

    private end(session: Session, code: number, why: string): void {
        if (session.ended) {
            return;
        }
        session.ended = true;
        this.sessions.delete(`${session.learner}/${session.id}`);
        session.shell?.close();
        if (session.ws !== undefined) {
            closeWith(session.ws, code, why);
        }
        this.deps.log?.(`terminal of ${session.learner} ended (${code}): ${why}`);
        this.changed(session.learner);
    }

    private changed(learner: string): void {
        this.listeners.forEach((l) => l(learner));
    }

    /** Ends shells whose browser did not come back, whose time is over, or whose credential is no longer the learner's. */
    private async sweep(): Promise<void> {
        const now = this.now();
        const review = now - this.lastReview >= (this.deps.reviewEveryMs ?? 10_000);
        if (review) {
            this.lastReview = now;
        }
        const tokens = new Map<string, string | undefined>();
        const reviews = new Map<SessionCredential, Promise<boolean>>();
        for (const s of [...this.sessions.values()]) {
            if (s.detachedAt !== undefined && now - s.detachedAt >= (this.deps.graceMs ?? 120_000)) {
                this.end(s, CLOSE.goingAway, "nobody came back to this terminal");
                continue;
            }
            const expires = this.deps.expiresAt(s.learner);
            if (expires !== undefined && expires.getTime() <= now) {
                this.end(s, CLOSE.expired, `your course time ended at ${expires.toISOString()}`);
                continue;
            }
            if (s.credential === undefined) {
                continue;
            }
            if (!tokens.has(s.learner)) {
                tokens.set(s.learner, this.deps.currentToken(s.learner));
            }
            if (tokens.get(s.learner) !== s.credential.token) {
                this.end(s, CLOSE.revoked, "your credential was renewed or removed by your instructor; this shell used the old one. Start a new shell.");
                continue;
            }
            if (review && !reviews.has(s.credential)) {
                reviews.set(s.credential, s.credential.works().catch(() => true));
            }
        }
        for (const [credential, works] of reviews) {
            if (!(await works)) {
                for (const s of [...this.sessions.values()].filter((x) => x.credential === credential)) {
                    this.end(s, CLOSE.revoked, "your credential no longer works (revoked by your instructor); this shell is closed");
                }
            }
        }
    }
}

function isSize(n: unknown): n is number {
    return typeof n === "number" && Number.isInteger(n) && n >= 2 && n <= 1000;
}

function send(ws: WebSocket, msg: Record<string, unknown>): void {
    if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify(msg));
    }
}

/** Tells the page why, then closes (a close frame's reason holds at most 123 bytes: the whole message goes first). */
function closeWith(ws: WebSocket, code: number, why: string): void {
    send(ws, { type: "ended", code, message: why });
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        ws.close(code, Buffer.from(why).subarray(0, 120).toString("utf8").replace(/\uFFFD$/, ""));
    }
}
