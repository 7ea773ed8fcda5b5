/**
 * What the workspace's pages share (a browser script, loaded before the
 * page's own; no module system, so its functions are globals). The link's
 * secret is read from the URL's fragment, which the browser never sends
 * anywhere, and is presented only in request headers to this server.
 */
/* eslint-disable @typescript-eslint/no-unused-vars -- these functions are the globals the page scripts use */

/** The secret of the link the page was opened with, and what follows it (`#<secret>/<rest>`). */
function podlabLink(): { secret: string; rest: string } {
    const [secret, ...rest] = location.hash.slice(1).split("/");
    return { secret: secret ?? "", rest: decodeURIComponent(rest.join("/")) };
}

/** A JSON API call with the link's secret; throws with the server's own message on refusal. */
async function podlabApi<T>(path: string, secret: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(path, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${secret}` },
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
    });
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) {
        throw new Error(body.error ?? `the server answered ${res.status}`);
    }
    return body as T;
}

/** A WebSocket to this server, presenting the secret as a subprotocol (a browser can set no other header on one). */
function podlabSocket(path: string, secret: string): WebSocket {
    const url = new URL(path, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    return new WebSocket(url.toString(), ["podlab.v1", `podlab.secret.${secret}`]);
}

/** An element with attributes and children (text children become text nodes: nothing is parsed as HTML). */
function podlabEl(tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string | undefined>): HTMLElement {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        e.setAttribute(k, v);
    }
    for (const c of children) {
        if (c !== undefined) {
            e.append(c);
        }
    }
    return e;
}

/** Shows (or with undefined, hides) the page's problem line. */
function podlabProblem(message: string | undefined): void {
    const p = document.getElementById("problem");
    if (p !== null) {
        p.textContent = message ?? "";
        p.hidden = message === undefined;
    }
}

/** Keeps a WebSocket open: reconnects after a drop, waiting longer each time (up to 10 s), until `stop` says not to. */
function podlabKeepOpen(open: () => WebSocket, onOpen: (ws: WebSocket) => void, stop: (ev: CloseEvent) => boolean): void {
    let delay = 500;
    const connect = () => {
        const ws = open();
        ws.addEventListener("open", () => {
            delay = 500;
            onOpen(ws);
        });
        ws.addEventListener("close", (ev) => {
            if (!stop(ev)) {
                setTimeout(connect, delay);
                delay = Math.min(delay * 2, 10_000);
            }
        });
    };
    connect();
}
