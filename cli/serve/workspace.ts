/**
 * What the workspace server's routes do (http.ts decides who gets here): a
 * learner's page data, a step's check with the learner's own credential and
 * its record, the instructor's board, the live pictures, the terminals, and
 * the pushes that keep the pages current. Every read and action for a learner
 * goes through that learner's kubeconfig; the cluster side is given
 * (`LearnerCluster`, cluster.ts on a real cluster), so this runs under unit
 * tests with stand-ins.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import type { WebSocket } from "ws";
import { LearnerCredential, LessonStep } from "../lesson/model";
import { StepResult } from "../checkReport";
import { CourseLayout } from "../course/layout";
import { tokenExpiry } from "../course/credentials";
import { Learner } from "../course/roster";
import { learnerByName } from "../course/environment";
import { KubePod } from "../kubePod";
import { SecretBook } from "./auth";
import type { Shell } from "./cluster";
import { HttpError, WorkspaceApp } from "./http";
import { PictureFeeds, PictureMessage, SharedCri } from "./picture";
import { Board, boardRow, recordResult } from "./progress";
import { readProgress, writeProgress } from "./records";
import { CLOSE, SessionCredential, TerminalHub } from "./terminal";

/** The lesson as the server uses it: the steps a learner sees, and a step's check. */
export interface LessonSource {
    steps(learner: string): LessonStep[];
    check(credential: LearnerCredential, step: string): Promise<StepResult>;
}

/** The cluster, reached with a learner's kubeconfig (cluster.ts). */
export interface LearnerCluster {
    openShell(kubeconfig: string, namespace: string, size: { cols: number; rows: number }): Promise<{ shell: Shell; credential: SessionCredential }>;
    /** Writes a file in the workbench's home directory with the kubeconfig's credential; resolves with its path there. */
    saveFile(kubeconfig: string, namespace: string, name: string, content: string): Promise<string>;
    /** Watches the namespace's pods with the kubeconfig's credential; returns the token it used and a stop function. */
    watchPods(kubeconfig: string, namespace: string, onPods: (pods: KubePod[]) => void, onError: (why: string) => void): { token: string; stop: () => void };
}

export interface WorkspaceOptions {
    layout: CourseLayout;
    /** The roster's learners (namespaces); learners only in the links (dropped from the roster) follow the course's naming. */
    roster: Learner[];
    secrets: SecretBook;
    lesson: LessonSource;
    cluster: LearnerCluster;
    cri: SharedCri;
    stuckAfterMinutes: number;
    /** Checks running at once for the whole class. Default 4. */
    checkConcurrency?: number;
    /** A check that takes longer is reported as failed to run. Default 120 s. */
    checkTimeoutMs?: number;
    terminal?: { graceMs?: number; checkEveryMs?: number; reviewEveryMs?: number; maxPerLearner?: number };
    now?: () => Date;
    log?: (line: string) => void;
}

/** The one token of a course kubeconfig, or undefined when the file is gone or holds none. */
export function kubeconfigToken(file: string): string | undefined {
    try {
        const cfg = yaml.load(fs.readFileSync(file, "utf8")) as { users?: Array<{ user?: { token?: string } }> };
        return cfg.users?.[0]?.user?.token;
    } catch {
        return undefined;
    }
}

/** A token's expiry, or undefined when there is no token or it states none. */
export function expiryOf(token: string | undefined): Date | undefined {
    try {
        return token === undefined ? undefined : tokenExpiry(token);
    } catch {
        return undefined;
    }
}

/** A learner's token as their kubeconfig holds it, re-read only when the file changes. */
class TokenTracker {
    private readonly cache = new Map<string, { stamp: string; token: string | undefined }>();
    constructor(private readonly fileOf: (learner: string) => string) {}

    token(learner: string): string | undefined {
        const file = this.fileOf(learner);
        let stamp = "gone";
        try {
            const st = fs.statSync(file);
            stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
        } catch {
            // removed: no token
        }
        const cached = this.cache.get(learner);
        if (cached?.stamp === stamp) {
            return cached.token;
        }
        const token = stamp === "gone" ? undefined : kubeconfigToken(file);
        this.cache.set(learner, { stamp, token });
        return token;
    }
}

export class Workspace implements WorkspaceApp {
    readonly terminals: TerminalHub;
    private readonly pictures: PictureFeeds;
    private readonly tokens: TokenTracker;
    private readonly feedTokens = new Map<string, string>();
    private readonly learnerSockets = new Map<string, Set<WebSocket>>();
    private readonly instructorSockets = new Set<WebSocket>();
    private readonly checking = new Set<string>();
    private readonly checkQueue: Array<() => void> = [];
    private checksRunning = 0;
    private boardTimer?: NodeJS.Timeout;
    private readonly ticker: NodeJS.Timeout;
    private readonly now: () => Date;

    constructor(private readonly opts: WorkspaceOptions) {
        this.now = opts.now ?? (() => new Date());
        this.tokens = new TokenTracker((l) => opts.layout.kubeconfig(l));
        this.terminals = new TerminalHub({
            open: (learner, size) => opts.cluster.openShell(opts.layout.kubeconfig(learner), this.namespaceOf(learner), size),
            deployed: (learner) => fs.existsSync(opts.layout.kubeconfig(learner)),
            expiresAt: (learner) => this.expiresAt(learner),
            currentToken: (learner) => this.tokens.token(learner),
            now: () => this.now().getTime(),
            log: opts.log,
            ...opts.terminal,
        });
        this.terminals.onChange(() => this.boardChanged());
        this.pictures = new PictureFeeds({
            cri: opts.cri,
            namespaceOf: (l) => this.namespaceOf(l),
            watch: (learner, onPods, onError) => {
                const w = opts.cluster.watchPods(opts.layout.kubeconfig(learner), this.namespaceOf(learner), onPods, onError);
                this.feedTokens.set(learner, w.token);
                return w.stop;
            },
        });
        // A renewed credential: the picture's watch starts again with the new one. The board's "stuck for" minutes move on.
        let ticks = 0;
        this.ticker = setInterval(() => {
            for (const [learner, token] of this.feedTokens) {
                if (this.tokens.token(learner) !== token && this.tokens.token(learner) !== undefined) {
                    this.feedTokens.delete(learner);
                    this.pictures.restart(learner);
                }
            }
            if (++ticks % 15 === 0) {
                this.boardChanged();
            }
        }, 2000);
        this.ticker.unref();
    }

    namespaceOf(learner: string): string {
        return (this.opts.roster.find((l) => l.name === learner) ?? learnerByName(this.opts.layout.course, learner)).namespace;
    }

    /** The course's learners: those with a link, in the roster's order first. */
    learners(): string[] {
        const linked = new Set(this.opts.secrets.learners());
        const inRoster = this.opts.roster.map((l) => l.name).filter((n) => linked.has(n));
        return [...inRoster, ...[...linked].filter((n) => !inRoster.includes(n)).sort()];
    }

    hasLearner(learner: string): boolean {
        return this.learners().includes(learner);
    }

    /** When the learner's time ends: their token's own expiry (the roster's `expires`, or the default lifetime, as the API server granted it). */
    private expiresAt(learner: string): Date | undefined {
        return expiryOf(this.tokens.token(learner));
    }

    async learnerView(learner: string): Promise<unknown> {
        const progress = readProgress(this.opts.layout, learner);
        return {
            course: this.opts.layout.course,
            learner,
            namespace: this.namespaceOf(learner),
            deployed: fs.existsSync(this.opts.layout.kubeconfig(learner)),
            expires: this.expiresAt(learner)?.toISOString(),
            steps: this.opts.lesson.steps(learner),
            results: Object.fromEntries(Object.entries(progress).map(([step, r]) => [step, r.latest])),
        };
    }

    async check(learner: string, step: string): Promise<StepResult> {
        if (!this.opts.lesson.steps(learner).some((s) => s.id === step)) {
            throw new HttpError(404, `the lesson has no step ${JSON.stringify(step.slice(0, 64))}`);
        }
        const kubeconfig = this.opts.layout.kubeconfig(learner);
        if (!fs.existsSync(kubeconfig)) {
            throw new HttpError(409, "you have no environment right now (not deployed, or taken down): ask your instructor");
        }
        if (this.checking.has(learner)) {
            throw new HttpError(409, "a check of yours is running already; wait for its answer");
        }
        this.checking.add(learner);
        try {
            await this.checkSlot();
            const result = await withTimeout(
                this.opts.lesson.check({ learner, namespace: this.namespaceOf(learner), kubeconfig }, step),
                this.opts.checkTimeoutMs ?? 120_000,
                `the check of step ${step} took over ${(this.opts.checkTimeoutMs ?? 120_000) / 1000} s`,
            );
            writeProgress(this.opts.layout, learner, recordResult(readProgress(this.opts.layout, learner), result));
            this.toLearner(learner, { type: "result", result });
            this.boardChanged();
            return result;
        } catch (e) {
            if (e instanceof HttpError) {
                throw e;
            }
            this.opts.log?.(`check ${step} of ${learner} failed to run: ${(e as Error).message}`);
            throw new HttpError(502, `the check could not run: ${(e as Error).message}`);
        } finally {
            this.checking.delete(learner);
            this.releaseCheckSlot();
        }
    }

    async saveFile(learner: string, step: string, name: string): Promise<{ path: string }> {
        const files = this.opts.lesson.steps(learner).find((s) => s.id === step)?.files ?? {};
        // Only the lesson's own files, by the names the lesson gives them: nothing the page sends is written.
        if (!Object.prototype.hasOwnProperty.call(files, name)) {
            throw new HttpError(404, `step ${JSON.stringify(step.slice(0, 64))} offers no file ${JSON.stringify(name.slice(0, 64))}`);
        }
        const content = files[name];
        const kubeconfig = this.opts.layout.kubeconfig(learner);
        if (!fs.existsSync(kubeconfig)) {
            throw new HttpError(409, "you have no environment right now (not deployed, or taken down): ask your instructor");
        }
        try {
            return { path: await this.opts.cluster.saveFile(kubeconfig, this.namespaceOf(learner), name, content) };
        } catch (e) {
            throw new HttpError(502, `${name} could not be saved in your workbench: ${(e as Error).message}`);
        }
    }

    private checkSlot(): Promise<void> {
        if (this.checksRunning < (this.opts.checkConcurrency ?? 4)) {
            this.checksRunning++;
            return Promise.resolve();
        }
        return new Promise((resolve) => this.checkQueue.push(resolve));
    }

    private releaseCheckSlot(): void {
        const next = this.checkQueue.shift();
        if (next !== undefined) {
            next(); // the slot passes on
        } else {
            this.checksRunning = Math.max(0, this.checksRunning - 1);
        }
    }

    board(): Board {
        const now = this.now();
        const first = this.learners()[0];
        const steps = first === undefined ? [] : this.opts.lesson.steps(first);
        return {
            course: this.opts.layout.course,
            steps: steps.map((s) => ({ id: s.id, title: s.title })),
            rows: this.learners().map((learner) =>
                boardRow({
                    learner,
                    namespace: this.namespaceOf(learner),
                    steps: this.opts.lesson.steps(learner),
                    progress: readProgress(this.opts.layout, learner),
                    terminals: this.terminals.count(learner),
                    now,
                    stuckAfterMinutes: this.opts.stuckAfterMinutes,
                }),
            ),
            stuckAfterMinutes: this.opts.stuckAfterMinutes,
            at: now.toISOString(),
        };
    }

    picture(learner: string): Promise<PictureMessage> {
        return this.pictures.current(learner);
    }

    openTerminal(learner: string, ws: WebSocket, params: { session: string; cols: number; rows: number }): void {
        this.terminals.attach(learner, ws, params);
    }

    openLearnerEvents(learner: string, ws: WebSocket): void {
        const set = this.learnerSockets.get(learner) ?? new Set<WebSocket>();
        this.learnerSockets.set(learner, set);
        set.add(ws);
        const unsubscribe = this.pictures.subscribe(learner, (m) => sendJson(ws, m));
        ws.on("close", () => {
            set.delete(ws);
            unsubscribe();
        });
    }

    openInstructorEvents(ws: WebSocket): void {
        this.instructorSockets.add(ws);
        sendJson(ws, { type: "board", board: this.board() });
        let unsubscribe: (() => void) | undefined;
        ws.on("message", (data: Buffer, isBinary: boolean) => {
            if (isBinary) {
                return;
            }
            try {
                const msg = JSON.parse(data.toString("utf8")) as { type?: string; learner?: unknown };
                if (msg.type === "picture") {
                    unsubscribe?.();
                    unsubscribe = undefined;
                    if (typeof msg.learner === "string" && this.hasLearner(msg.learner)) {
                        unsubscribe = this.pictures.subscribe(msg.learner, (m) => sendJson(ws, m));
                    }
                }
            } catch {
                // not JSON: ignored
            }
        });
        ws.on("close", () => {
            this.instructorSockets.delete(ws);
            unsubscribe?.();
        });
    }

    /** Pushes the board to the instructor's pages, at most every quarter second. */
    private boardChanged(): void {
        if (this.boardTimer !== undefined || this.instructorSockets.size === 0) {
            return;
        }
        this.boardTimer = setTimeout(() => {
            this.boardTimer = undefined;
            const message = { type: "board", board: this.board() };
            this.instructorSockets.forEach((ws) => sendJson(ws, message));
        }, 250);
    }

    private toLearner(learner: string, message: unknown): void {
        this.learnerSockets.get(learner)?.forEach((ws) => sendJson(ws, message));
    }

    shutdown(): void {
        clearInterval(this.ticker);
        if (this.boardTimer !== undefined) {
            clearTimeout(this.boardTimer);
        }
        this.terminals.shutdown();
        this.pictures.shutdown();
        for (const ws of [...this.instructorSockets, ...[...this.learnerSockets.values()].flatMap((s) => [...s])]) {
            ws.close(CLOSE.goingAway, "the workspace server is restarting");
        }
    }
}

function sendJson(ws: WebSocket, message: unknown): void {
    if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify(message));
    }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
