import * as http from "http";
import { AddressInfo } from "net";
import { WebSocket } from "ws";
import { FailureLimiter, SecretBook } from "../../../cli/serve/auth";
import { DATA_ROUTES, PROTOCOL, SECRET_PROTOCOL_PREFIX, SECURITY_HEADERS, WorkspaceApp, createWorkspaceServer } from "../../../cli/serve/http";
import { newSecret } from "../../../cli/serve/links";
import { indexPage, instructorPage, learnerPage } from "../../../cli/serve/pages";
import { LinkSecrets } from "../../../cli/serve/records";

const LINKS: LinkSecrets = { course: "pods101", instructor: newSecret(), learners: { ada: newSecret(), grace: newSecret() } };
const ALL_SECRETS = [LINKS.instructor, ...Object.values(LINKS.learners)];

/** An app that records which learner each call was for. */
function fakeApp(calls: string[]): WorkspaceApp {
    const record = (what: string) => calls.push(what);
    return {
        learnerView: async (l) => (record(`view ${l}`), { learner: l }),
        check: async (l, step) => (record(`check ${l} ${step}`), { step, learner: l, status: "pass", summary: "ok", evidence: [], checkedAt: "2026-01-01T00:00:00Z" }),
        saveFile: async (l, step, name) => (record(`file ${l} ${step} ${name}`), { path: `/home/learner/${name}` }),
        picture: async (l) => (record(`picture ${l}`), { learner: l }),
        board: () => (record("board"), { course: "pods101", steps: [], rows: [], stuckAfterMinutes: 5, at: "" }),
        hasLearner: (l) => l in LINKS.learners,
        openTerminal: (l, ws) => (record(`terminal ${l}`), ws.close(1000)),
        openLearnerEvents: (l, ws) => (record(`events ${l}`), ws.close(1000)),
        openInstructorEvents: (ws) => (record("instructor events"), ws.close(1000)),
    };
}

let server: http.Server;
let base: string;
let calls: string[];
let logs: string[];
let limiter: FailureLimiter;

beforeEach(async () => {
    calls = [];
    logs = [];
    limiter = new FailureLimiter({ attempts: 1000, windowMs: 60_000 });
    server = createWorkspaceServer({
        app: fakeApp(calls),
        secrets: new SecretBook(LINKS),
        pages: { "/": indexPage(), "/learner": learnerPage(), "/instructor": instructorPage() },
        assets: { "learner.js": { type: "text/javascript", body: Buffer.from("/* no data */") } },
        limiter,
        log: (line) => logs.push(line),
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
    const closed = new Promise((r) => server.close(r));
    server.closeAllConnections(); // fetch's kept-alive connections would hold close() for seconds
    await closed;
});

interface Answer {
    status: number;
    headers: Headers;
    body: string;
}

async function call(route: string, method: string, secret?: string): Promise<Answer> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (secret !== undefined) {
        headers.Authorization = `Bearer ${secret}`;
    }
    const url = route === "/api/instructor/picture" ? `${base}${route}?learner=ada` : `${base}${route}`;
    const res = await fetch(url, { method, headers, body: method === "POST" ? JSON.stringify({ step: "postgres", name: "postgres-pod.yaml" }) : undefined });
    return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Opens a WebSocket as a browser on this server's page would; resolves with the upgrade's status (101 when accepted). */
function socket(route: string, secret: string | undefined, opts: { origin?: string; protocols?: string[] } = {}): Promise<{ status: number; body: string }> {
    const protocols = opts.protocols ?? [PROTOCOL, ...(secret === undefined ? [] : [`${SECRET_PROTOCOL_PREFIX}${secret}`])];
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${base.replace("http", "ws")}${route}?session=abcdefghijklmnopqrstuv`, protocols, { origin: opts.origin ?? base });
        ws.on("unexpected-response", (_req, res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on("open", () => {
            expect(ws.protocol).toBe(PROTOCOL);
            ws.close();
            resolve({ status: 101, body: "" });
        });
        ws.on("error", (e) => (e.message.includes("Unexpected server response") ? undefined : reject(e)));
    });
}

const apiRoutes = Object.entries(DATA_ROUTES.api);
const socketRoutes = Object.entries(DATA_ROUTES.sockets);
const secretOf = (role: "learner" | "instructor") => (role === "learner" ? LINKS.learners.ada : LINKS.instructor);
const otherRole = (role: "learner" | "instructor") => (role === "learner" ? LINKS.instructor : LINKS.learners.grace);

describe("every route that carries data refuses a missing, wrong or other role's secret", () => {
    it.each(apiRoutes)("%s", async (route, { method, role }) => {
        for (const [secret, status] of [
            [undefined, 401],
            ["", 401],
            [newSecret(), 401],
            [secretOf(role).slice(1), 401],
            [otherRole(role), 403],
        ] as const) {
            const a = await call(route, method, secret);
            expect({ secret, status: a.status }).toEqual({ secret, status });
            expect(JSON.parse(a.body).error).toMatch(/link/);
        }
        expect(calls).toEqual([]);
        const ok = await call(route, method, secretOf(role));
        expect(ok.status).toBe(200);
        expect(calls).toHaveLength(1);
    });

    it.each(socketRoutes)("%s (WebSocket)", async (route, role) => {
        expect((await socket(route, undefined)).status).toBe(401);
        expect((await socket(route, newSecret())).status).toBe(401);
        expect((await socket(route, otherRole(role))).status).toBe(403);
        expect(calls).toEqual([]);
        expect((await socket(route, secretOf(role))).status).toBe(101);
        expect(calls).toHaveLength(1);
    });
});

describe("a learner's secret reaches that learner's own data only", () => {
    it("routes name no learner: each call is for the secret's owner", async () => {
        await call("/api/learner", "GET", LINKS.learners.grace);
        await call("/api/learner/check", "POST", LINKS.learners.grace);
        await call("/api/learner/file", "POST", LINKS.learners.grace);
        await call("/api/learner/picture", "GET", LINKS.learners.grace);
        await socket("/api/learner/terminal", LINKS.learners.grace);
        await socket("/api/learner/events", LINKS.learners.grace);
        expect(calls).toEqual(["view grace", "check grace postgres", "file grace postgres postgres-pod.yaml", "picture grace", "terminal grace", "events grace"]);
    });

    it("a learner's name in the query changes nothing, and only the instructor may name a learner", async () => {
        const res = await fetch(`${base}/api/learner?learner=ada`, { headers: { Authorization: `Bearer ${LINKS.learners.grace}` } });
        expect(await res.json()).toEqual({ learner: "grace" });
        const pic = await fetch(`${base}/api/instructor/picture?learner=ada`, { headers: { Authorization: `Bearer ${LINKS.learners.grace}` } });
        expect(pic.status).toBe(403);
        const unknown = await fetch(`${base}/api/instructor/picture?learner=nobody`, { headers: { Authorization: `Bearer ${LINKS.instructor}` } });
        expect(unknown.status).toBe(404);
    });
});

describe("WebSockets", () => {
    it("refuse another site's page (Origin), even with the right secret", async () => {
        expect((await socket("/api/learner/terminal", LINKS.learners.ada, { origin: "http://evil.example" })).status).toBe(403);
        expect((await socket("/api/learner/terminal", LINKS.learners.ada, { origin: base.replace("127.0.0.1", "localhost") })).status).toBe(403);
        expect(calls).toEqual([]);
    });

    it("answer with podlab.v1 and never echo the secret", async () => {
        const ws = new WebSocket(`${base.replace("http", "ws")}/api/learner/events`, [PROTOCOL, `${SECRET_PROTOCOL_PREFIX}${LINKS.learners.ada}`], { origin: base });
        const headers = await new Promise<http.IncomingHttpHeaders>((resolve) => ws.on("upgrade", (res) => resolve(res.headers)));
        expect(headers["sec-websocket-protocol"]).toBe(PROTOCOL);
        ws.terminate();
    });

    it("need the podlab.v1 subprotocol", async () => {
        expect((await socket("/api/learner/events", LINKS.learners.ada, { protocols: [`${SECRET_PROTOCOL_PREFIX}${LINKS.learners.ada}`] })).status).toBe(400);
    });
});

describe("failed attempts are rate-limited per client address", () => {
    it("answer 429 with Retry-After once the limit is reached, even with a right secret", async () => {
        const closed = new Promise((r) => server.close(r));
        server.closeAllConnections();
        await closed;
        const tight = createWorkspaceServer({ app: fakeApp(calls), secrets: new SecretBook(LINKS), pages: {}, assets: {}, limiter: new FailureLimiter({ attempts: 5, windowMs: 60_000 }) });
        await new Promise<void>((r) => tight.listen(0, "127.0.0.1", r));
        base = `http://127.0.0.1:${(tight.address() as AddressInfo).port}`;
        try {
            for (let i = 0; i < 5; i++) {
                expect((await call("/api/learner", "GET", newSecret())).status).toBe(401);
            }
            const blocked = await call("/api/learner", "GET", LINKS.learners.ada);
            expect(blocked.status).toBe(429);
            expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(50);
            expect((await socket("/api/learner/terminal", LINKS.learners.ada)).status).toBe(429);
            expect(calls).toEqual([]);
        } finally {
            const done = new Promise((r) => tight.close(r));
            tight.closeAllConnections();
            await done;
            server = http.createServer();
            server.listen(0, "127.0.0.1");
        }
    });
});

describe("what every answer carries", () => {
    const routes = ["/", "/learner", "/instructor", "/assets/learner.js", "/assets/nothing.js", "/api/learner", "/nowhere", "/api/instructor"];

    it.each(routes)("%s: CSP, nosniff, no-referrer, no framing", async (route) => {
        const res = await fetch(`${base}${route}`);
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
            expect(res.headers.get(k)).toBe(v);
        }
        const csp = res.headers.get("content-security-policy")!;
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self';");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe/);
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    });

    it("no answer, error or log line holds a secret", async () => {
        const bodies: string[] = [];
        for (const [route, { method, role }] of apiRoutes) {
            for (const secret of [secretOf(role), otherRole(role), newSecret()]) {
                bodies.push((await call(route, method, secret)).body);
            }
        }
        for (const route of ["/", "/learner", "/instructor", "/assets/learner.js"]) {
            bodies.push(await (await fetch(`${base}${route}`)).text());
        }
        await socket("/api/learner/terminal", LINKS.learners.ada);
        await socket("/api/learner/terminal", newSecret());
        expect(logs.length).toBeGreaterThan(10);
        for (const text of [...bodies, ...logs]) {
            for (const s of ALL_SECRETS) {
                expect(text).not.toContain(s);
            }
        }
        expect(logs.join("\n")).not.toMatch(/[A-Za-z0-9_-]{43}/);
    });

    it("pages and assets are the same for everyone and need no secret; other paths are 404", async () => {
        expect((await fetch(`${base}/learner`)).status).toBe(200);
        expect((await fetch(`${base}/assets/learner.js`)).status).toBe(200);
        expect((await fetch(`${base}/assets/__proto__`)).status).toBe(404);
        expect((await fetch(`${base}/learner/${LINKS.learners.ada}`)).status).toBe(404);
        expect((await fetch(`${base}/learner`, { method: "POST" })).status).toBe(405);
    });

    it("a check's body must be a small JSON object naming a step", async () => {
        const post = (body: string, type = "application/json") => fetch(`${base}/api/learner/check`, { method: "POST", headers: { Authorization: `Bearer ${LINKS.learners.ada}`, "Content-Type": type }, body });
        expect((await post("{}")).status).toBe(400);
        expect((await post("[1]")).status).toBe(400);
        expect((await post('{"step":"x"}', "text/plain")).status).toBe(415);
        expect((await post(JSON.stringify({ step: "x".repeat(5000) }))).status).toBe(413);
        expect(calls).toEqual([]);
    });
});

describe("host names", () => {
    it("a server that knows its address refuses requests for any other Host (DNS rebinding)", async () => {
        let known: string[] = [];
        const strict = createWorkspaceServer({ app: fakeApp(calls), secrets: new SecretBook(LINKS), pages: { "/learner": learnerPage() }, assets: {}, hosts: () => known });
        await new Promise<void>((r) => strict.listen(0, "127.0.0.1", r));
        const port = (strict.address() as AddressInfo).port;
        known = [`127.0.0.1:${port}`];
        try {
            const get = (host: string, path = "/learner", auth?: string) =>
                new Promise<number>((resolve) =>
                    http.get({ host: "127.0.0.1", port, path, headers: { Host: host, ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))),
                );
            expect(await get("evil.example:80")).toBe(421);
            expect(await get(`evil.example:${port}`, "/api/learner", LINKS.learners.ada)).toBe(421);
            expect(await get(`127.0.0.1:${port}`)).toBe(200);
            expect(calls).toEqual([]);
        } finally {
            const done = new Promise((r) => strict.close(r));
            strict.closeAllConnections();
            await done;
        }
    });
});
