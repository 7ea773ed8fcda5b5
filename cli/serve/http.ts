/**
 * The workspace server's HTTP and WebSocket front: routes, who may use each,
 * the security headers every answer carries, and the static assets. What a
 * route does is the app's (workspace.ts); this file decides only whether the
 * request gets there.
 *
 * Pages and assets carry no data and are the same for everyone; every route
 * that carries data (API and WebSockets) takes the link's secret from a
 * header: `Authorization: Bearer <secret>`, or for a WebSocket (a browser sets
 * no other header there) the subprotocol `podlab.secret.<secret>` beside
 * `podlab.v1`, which is the one the server answers with. A learner's secret
 * reaches only that learner's own data: no learner route names a learner.
 */
import * as http from "http";
import { Duplex } from "stream";
import { WebSocket, WebSocketServer } from "ws";
import { StepResult } from "../checkReport";
import { FailureLimiter, Identity, SecretBook } from "./auth";
import { Board } from "./progress";

/** The subprotocol the server speaks on every WebSocket. */
export const PROTOCOL = "podlab.v1";
/** A WebSocket presents its link's secret as the subprotocol `podlab.secret.<secret>`. */
export const SECRET_PROTOCOL_PREFIX = "podlab.secret.";

/**
 * Every answer's headers. The CSP: nothing from anywhere but this server, no
 * inline script, no framing, no plugins, no forms. Styles allow 'unsafe-inline'
 * for one reason: xterm.js's renderer writes the terminal's dimensions and
 * colours into <style> elements it creates at run time (no nonce or hash can
 * cover them); scripts stay 'self' only.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
    "Content-Security-Policy":
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-read=()",
};

/** A refusal or failure with its HTTP status; its message is shown to the caller, so it never holds a secret. */
export class HttpError extends Error {
    constructor(
        public readonly status: number,
        message: string,
    ) {
        super(message);
        this.name = "HttpError";
    }
}

/** What the routes do; the server has checked who asks before any of it runs. */
export interface WorkspaceApp {
    /** GET /api/learner: the course, the learner's namespace and expiry, the steps and their latest results. */
    learnerView(learner: string): Promise<unknown>;
    /** POST /api/learner/check {step}: checks one step with the learner's own credential. */
    check(learner: string, step: string): Promise<StepResult>;
    /** POST /api/learner/file {step, name}: saves one of a step's files in the learner's workbench (their home directory), with their credential. */
    saveFile(learner: string, step: string, name: string): Promise<{ path: string }>;
    /** GET /api/learner/picture, GET /api/instructor/picture?learner=: the live picture of a learner's pods. */
    picture(learner: string): Promise<unknown>;
    /** GET /api/instructor: learners by steps. */
    board(): Board;
    /** Whether the course has this learner (for the instructor's routes that name one). */
    hasLearner(learner: string): boolean;
    /** WS /api/learner/terminal?session=&cols=&rows=: a shell in the learner's workbench. */
    openTerminal(learner: string, ws: WebSocket, params: { session: string; cols: number; rows: number }): void;
    /** WS /api/learner/events: the learner's picture and results, pushed. */
    openLearnerEvents(learner: string, ws: WebSocket): void;
    /** WS /api/instructor/events: the board pushed, and a learner's picture on request. */
    openInstructorEvents(ws: WebSocket): void;
}

/** A static file: public, no data in it. */
export interface Asset {
    type: string;
    body: Buffer;
}

export interface ServerOptions {
    app: WorkspaceApp;
    secrets: SecretBook;
    /** Pages by path (`/learner`, `/instructor`, `/`): HTML without data. */
    pages: Record<string, string>;
    /** Assets by name, served at /assets/<name>. */
    assets: Record<string, Asset>;
    limiter?: FailureLimiter;
    /**
     * The Host headers the server answers (`127.0.0.1:8080`): a page of another
     * site whose name was pointed at this address (DNS rebinding) is refused.
     * Undefined: any (the unit tests' servers).
     */
    hosts?: () => string[];
    /** One line per request, without query, fragment or any header. */
    log?: (line: string) => void;
}

type Role = Identity["role"];

/** The data routes: who may use each. */
const API_ROUTES: Record<string, { method: string; role: Role }> = {
    "/api/learner": { method: "GET", role: "learner" },
    "/api/learner/check": { method: "POST", role: "learner" },
    "/api/learner/file": { method: "POST", role: "learner" },
    "/api/learner/picture": { method: "GET", role: "learner" },
    "/api/instructor": { method: "GET", role: "instructor" },
    "/api/instructor/picture": { method: "GET", role: "instructor" },
};

const SOCKET_ROUTES: Record<string, Role> = {
    "/api/learner/terminal": "learner",
    "/api/learner/events": "learner",
    "/api/instructor/events": "instructor",
};

/** Every route that carries data, for the tests that try each with the wrong secret. */
export const DATA_ROUTES = { api: API_ROUTES, sockets: SOCKET_ROUTES } as const;

const MAX_BODY_BYTES = 4096;

/** The client's address, as the socket sees it (IPv4-mapped IPv6 as IPv4). */
export function clientAddress(req: http.IncomingMessage): string {
    return (req.socket?.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}

/** Creates the server (not yet listening) with its WebSocket endpoints. */
export function createWorkspaceServer(opts: ServerOptions): http.Server {
    const limiter = opts.limiter ?? new FailureLimiter();
    const log = opts.log ?? (() => undefined);
    const wss = new WebSocketServer({
        noServer: true,
        maxPayload: 64 * 1024,
        perMessageDeflate: false,
        // The answer names podlab.v1 only: the secret offered beside it is never echoed.
        handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    });

    /** Who presents this secret, for a route of `role`; throws the refusal (and counts it) otherwise. */
    const authorize = (req: http.IncomingMessage, secret: string | undefined, role: Role): Identity => {
        const address = clientAddress(req);
        const wait = limiter.blockedFor(address);
        if (wait > 0) {
            throw Object.assign(new HttpError(429, `too many refused attempts from ${address}; try again in ${Math.ceil(wait / 1000)} s`), { retryAfter: Math.ceil(wait / 1000) });
        }
        const who = opts.secrets.identify(secret);
        if (who === undefined) {
            limiter.fail(address);
            throw new HttpError(401, "this link is not valid (or no longer): ask your instructor for the link on your card");
        }
        if (who.role !== role) {
            limiter.fail(address);
            throw new HttpError(403, "this link does not open this page");
        }
        return who;
    };

    const server = http.createServer((req, res) => {
        const started = Date.now();
        const url = new URL(req.url ?? "/", "http://server.invalid");
        const address = clientAddress(req);
        res.on("finish", () => log(`${req.method} ${url.pathname} ${res.statusCode} ${Date.now() - started} ms ${address}`));
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
            res.setHeader(k, v);
        }
        if (!knownHost(req)) {
            return answerError(res, new HttpError(421, "this server does not answer for that host name; use the link as printed"));
        }
        handle(req, res, url).catch((e: unknown) => {
            if (!(e instanceof HttpError)) {
                log(`${req.method} ${url.pathname} failed: ${redact((e as Error).stack ?? String(e))}`);
            }
            answerError(res, e);
        });
    });

    const knownHost = (req: http.IncomingMessage) => opts.hosts === undefined || opts.hosts().includes(req.headers.host ?? "");

    const handle = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
        const page = opts.pages[url.pathname];
        if (page !== undefined) {
            onlyMethod(req, "GET");
            return send(res, 200, "text/html; charset=utf-8", page);
        }
        if (url.pathname.startsWith("/assets/")) {
            onlyMethod(req, "GET");
            const asset = Object.prototype.hasOwnProperty.call(opts.assets, url.pathname.slice(8)) ? opts.assets[url.pathname.slice(8)] : undefined;
            if (asset === undefined) {
                throw new HttpError(404, "no such asset");
            }
            return send(res, 200, asset.type, asset.body, "public, max-age=300");
        }
        const route = Object.prototype.hasOwnProperty.call(API_ROUTES, url.pathname) ? API_ROUTES[url.pathname] : undefined;
        if (route === undefined) {
            throw new HttpError(404, "not found");
        }
        const who = authorize(req, bearer(req), route.role);
        onlyMethod(req, route.method);
        const learner = who.role === "learner" ? who.learner : undefined;
        switch (url.pathname) {
            case "/api/learner":
                return sendJson(res, await opts.app.learnerView(learner!));
            case "/api/learner/check": {
                const body = await readJsonBody(req);
                if (typeof body.step !== "string") {
                    throw new HttpError(400, 'the body must be {"step": "<step id>"}');
                }
                return sendJson(res, await opts.app.check(learner!, body.step));
            }
            case "/api/learner/file": {
                const body = await readJsonBody(req);
                if (typeof body.step !== "string" || typeof body.name !== "string") {
                    throw new HttpError(400, 'the body must be {"step": "<step id>", "name": "<file name>"}');
                }
                return sendJson(res, await opts.app.saveFile(learner!, body.step, body.name));
            }
            case "/api/learner/picture":
                return sendJson(res, await opts.app.picture(learner!));
            case "/api/instructor":
                return sendJson(res, opts.app.board());
            case "/api/instructor/picture": {
                const name = url.searchParams.get("learner") ?? "";
                if (!opts.app.hasLearner(name)) {
                    throw new HttpError(404, `no learner ${JSON.stringify(name.slice(0, 64))} in this course`);
                }
                return sendJson(res, await opts.app.picture(name));
            }
        }
    };

    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        const url = new URL(req.url ?? "/", "http://server.invalid");
        const refuse = (status: number, message: string, extra: Record<string, string> = {}) => {
            log(`WS ${url.pathname} ${status} ${clientAddress(req)}`);
            const body = JSON.stringify({ error: message });
            const headers = { ...SECURITY_HEADERS, ...extra, "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)), Connection: "close" };
            socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n${body}`);
        };
        socket.on("error", () => socket.destroy());
        const role = Object.prototype.hasOwnProperty.call(SOCKET_ROUTES, url.pathname) ? SOCKET_ROUTES[url.pathname] : undefined;
        if (role === undefined) {
            return refuse(404, "not found");
        }
        if (!knownHost(req)) {
            return refuse(421, "this server does not answer for that host name");
        }
        // A page elsewhere must not open a learner's terminal in the learner's browser (cross-site WebSocket hijacking).
        if (!sameOrigin(req)) {
            return refuse(403, "the WebSocket's Origin is not this server");
        }
        let who: Identity;
        try {
            who = authorize(req, socketSecret(req), role);
        } catch (e) {
            const err = e as HttpError & { retryAfter?: number };
            return refuse(err.status, err.message, err.retryAfter ? { "Retry-After": String(err.retryAfter) } : {});
        }
        if (!wantsProtocol(req)) {
            return refuse(400, `the WebSocket must offer the subprotocol ${PROTOCOL}`);
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
            log(`WS ${url.pathname} 101 ${clientAddress(req)}`);
            if (url.pathname === "/api/learner/terminal" && who.role === "learner") {
                const session = url.searchParams.get("session") ?? "";
                const size = (name: string, fallback: number) => clamp(Number(url.searchParams.get(name) ?? fallback), 2, 1000, fallback);
                opts.app.openTerminal(who.learner, ws, { session, cols: size("cols", 80), rows: size("rows", 24) });
            } else if (url.pathname === "/api/learner/events" && who.role === "learner") {
                opts.app.openLearnerEvents(who.learner, ws);
            } else {
                opts.app.openInstructorEvents(ws);
            }
        });
    });
    server.on("close", () => {
        for (const ws of wss.clients) {
            ws.terminate();
        }
        wss.close();
    });
    return server;
}

function clamp(n: number, min: number, max: number, fallback: number): number {
    return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

function bearer(req: http.IncomingMessage): string | undefined {
    const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? "");
    return m?.[1];
}

function offeredProtocols(req: http.IncomingMessage): string[] {
    return (req.headers["sec-websocket-protocol"] ?? "")
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "");
}

function socketSecret(req: http.IncomingMessage): string | undefined {
    return offeredProtocols(req)
        .find((p) => p.startsWith(SECRET_PROTOCOL_PREFIX))
        ?.slice(SECRET_PROTOCOL_PREFIX.length);
}

function wantsProtocol(req: http.IncomingMessage): boolean {
    return offeredProtocols(req).includes(PROTOCOL);
}

/** The Origin a browser sends names the host the page was loaded from: it must be this server's, as the request addressed it. */
function sameOrigin(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (origin === undefined || host === undefined) {
        return false;
    }
    try {
        const o = new URL(origin);
        return o.protocol === "http:" && o.host === host;
    } catch {
        return false;
    }
}

function onlyMethod(req: http.IncomingMessage, method: string): void {
    if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
        throw new HttpError(405, `use ${method}`);
    }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, cache = "no-store"): void {
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": cache });
    res.end(res.req.method === "HEAD" ? undefined : body);
}

function sendJson(res: http.ServerResponse, value: unknown, status = 200): void {
    send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

/**
 * Text for a log with anything that could be a credential blanked: a link's
 * secret (43 base64url characters) or a token (a JWT), wherever it came from.
 */
export function redact(text: string): string {
    return text.replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, "<token>").replace(/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, "<secret>");
}

function answerError(res: http.ServerResponse, e: unknown): void {
    // An unexpected failure's detail goes to the server's log (redacted), not to the caller.
    const err = e instanceof HttpError ? e : new HttpError(500, "the server failed on this request; the instructor's terminal shows why");
    if (res.headersSent) {
        res.destroy();
        return;
    }
    const retry = (e as { retryAfter?: number }).retryAfter;
    if (retry !== undefined) {
        res.setHeader("Retry-After", String(retry));
    }
    sendJson(res, { error: err.message }, err.status);
}

async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) {
        throw new HttpError(415, "send the body as application/json");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
            throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
    }
    try {
        const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            throw new Error("not an object");
        }
        return value as Record<string, unknown>;
    } catch {
        throw new HttpError(400, "the body is not a JSON object");
    }
}
