/**
 * An environment drawn as SVG: the node, each pod as a box with its IP, the
 * network namespace its containers share, the containers with their images
 * and ports, and the sandbox that holds the namespace; the sidecar's arrow to
 * `localhost:<port>`; the postgres pods on one port at different IPs. Pure:
 * text in, text out, no fonts or images from anywhere.
 */
import { ContainerView, EnvironmentView, PodView } from "./model";

/** Geometry, in SVG user units (CSS pixels at scale 1). */
const G = {
    /** Advance of one monospace character at the 12 px body size (DejaVu Sans Mono: 0.602 em), rounded up. */
    charWidth: 7.3,
    podWidth: 336,
    podGap: 26,
    podsPerRow: 3,
    nodePad: 18,
    nodeHeader: 40,
    podHeader: 34,
    netnsHeader: 46,
    containerHeight: 56,
    /** Room between containers for the sidecar's arrow and its label. */
    containerGap: 30,
    sandboxHeight: 66,
    inset: 12,
    bracket: 52,
    portWidth: 70,
};

const COLOURS = {
    ink: "#1d2733",
    muted: "#5b6775",
    node: "#f4f6f8",
    nodeLine: "#8a96a3",
    pod: "#ffffff",
    netns: "#e8f1fb",
    netnsLine: "#4a7fb5",
    container: "#ffffff",
    sandbox: "#ece7f6",
    sandboxLine: "#6c56a3",
    ready: "#2e7d32",
    notReady: "#c62828",
    postgresPort: "#e65100",
    postgresPortFill: "#fff3e0",
    webPort: "#00695c",
    webPortFill: "#e0f2f1",
    arrow: "#00695c",
};

export function escapeXml(s: string): string {
    return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Shortens `s` to at most `chars` characters, keeping its end (an image's tag, a path's last part). */
export function fitText(s: string, chars: number, keep: "end" | "start" = "end"): string {
    if (s.length <= chars) {
        return s;
    }
    const n = Math.max(1, chars - 1);
    return keep === "end" ? `…${s.slice(s.length - n)}` : `${s.slice(0, n)}…`;
}

function text(x: number, y: number, s: string, attrs: { size?: number; weight?: string; fill?: string; anchor?: string; cls?: string; title?: string } = {}): string {
    const a = [
        `x="${x}"`,
        `y="${y}"`,
        attrs.size ? `font-size="${attrs.size}"` : "",
        attrs.weight ? `font-weight="${attrs.weight}"` : "",
        attrs.fill ? `fill="${attrs.fill}"` : "",
        attrs.anchor ? `text-anchor="${attrs.anchor}"` : "",
        attrs.cls ? `class="${attrs.cls}"` : "",
    ].filter(Boolean);
    const title = attrs.title ? `<title>${escapeXml(attrs.title)}</title>` : "";
    return `<text ${a.join(" ")}>${title}${escapeXml(s)}</text>`;
}

function rect(x: number, y: number, w: number, h: number, attrs: { fill: string; stroke?: string; rx?: number; dash?: boolean; width?: number; cls?: string }): string {
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${attrs.rx ?? 6}" fill="${attrs.fill}"${attrs.stroke ? ` stroke="${attrs.stroke}" stroke-width="${attrs.width ?? 1.5}"` : ""}${attrs.dash ? ' stroke-dasharray="6 4"' : ""}${attrs.cls ? ` class="${attrs.cls}"` : ""}/>`;
}

function chars(px: number, size = 12): number {
    return Math.floor(px / (G.charWidth * (size / 12)));
}

function podHeight(pod: PodView): number {
    const n = Math.max(1, pod.containers.length);
    return G.podHeader + G.netnsHeader + n * G.containerHeight + (n - 1) * G.containerGap + 2 * G.inset + 8 + G.sandboxHeight + G.inset;
}

function readyMark(ok: boolean): string {
    return ok ? COLOURS.ready : COLOURS.notReady;
}

/** Where a container's port badges sit, so the sidecar's arrow can point at nginx's. */
interface Placed {
    container: ContainerView;
    y: number;
    portBadges: Array<{ port: number; x: number; y: number }>;
}

function drawContainer(c: ContainerView, x: number, y: number, w: number, role: PodView["role"]): { svg: string; placed: Placed } {
    const parts: string[] = [];
    const badges: Placed["portBadges"] = [];
    parts.push(rect(x, y, w, G.containerHeight, { fill: COLOURS.container, stroke: COLOURS.ink, width: 1.2, rx: 5 }));
    parts.push(`<circle cx="${x + 14}" cy="${y + 17}" r="5" fill="${readyMark(c.ready)}"><title>${escapeXml(c.ready ? "ready" : `not ready (${c.state})`)}</title></circle>`);
    parts.push(text(x + 26, y + 22, `container ${c.name}`, { size: 13, weight: "bold", cls: "container-name" }));
    parts.push(text(x + 12, y + 44, fitText(c.image, chars(w - 24, 11)), { size: 11, fill: COLOURS.muted, cls: "image", title: c.image }));
    c.ports.forEach((port, i) => {
        const bx = x + w - (i + 1) * (G.portWidth + 6);
        const by = y + 6;
        const postgres = role === "postgres";
        parts.push(
            `<g class="port" data-port="${port}"><title>containerPort ${port}</title>${rect(bx, by, G.portWidth, 22, { fill: postgres ? COLOURS.postgresPortFill : COLOURS.webPortFill, stroke: postgres ? COLOURS.postgresPort : COLOURS.webPort, rx: 11 })}` +
                `${text(bx + G.portWidth / 2, by + 15, `:${port}`, { size: 12, weight: "bold", anchor: "middle", fill: postgres ? COLOURS.postgresPort : COLOURS.webPort })}</g>`,
        );
        badges.push({ port, x: bx + G.portWidth / 2, y: by + 22 });
    });
    return {
        svg: `<g class="container" data-container="${escapeXml(c.name)}" data-ports="${c.ports.join(" ")}">${parts.join("")}</g>`,
        placed: { container: c, y, portBadges: badges },
    };
}

function sandboxBand(pod: PodView, x: number, y: number, w: number, netnsBottom: number): string {
    const h = G.sandboxHeight;
    // "holds": from the sandbox up to the network namespace it keeps alive.
    const holds =
        `<path d="M ${x + 24} ${y} L ${x + 24} ${netnsBottom + 3}" stroke="${COLOURS.sandboxLine}" stroke-width="2" marker-end="url(#MARKER-sandbox)"/>` +
        text(x + 32, y - 3, "holds", { size: 10, fill: COLOURS.sandboxLine });
    const line = (n: number, s: string, attrs: Parameters<typeof text>[3] = {}) => text(x + 12, y + 4 + 16 * n, fitText(s, chars(w - 24, attrs.size ?? 11), "start"), { size: 11, ...attrs });
    if (pod.sandboxes === undefined) {
        return `<g class="sandbox" data-sandbox="unknown">${rect(x, y, w, h, { fill: "#f6f6f6", stroke: COLOURS.nodeLine, dash: true })}${line(1, "sandbox (pause container)", { size: 12, weight: "bold", fill: COLOURS.muted })}${line(2, "holds the pod's network namespace", { fill: COLOURS.muted })}${line(3, "not visible here (see below)", { fill: COLOURS.muted })}</g>`;
    }
    const ready = pod.sandboxes.filter((s) => s.state === "SANDBOX_READY");
    if (ready.length === 0) {
        return `<g class="sandbox" data-sandbox="none" data-sandboxes="0">${rect(x, y, w, h, { fill: "#fdecea", stroke: COLOURS.notReady })}${line(1, "no ready sandbox", { size: 12, weight: "bold", fill: COLOURS.notReady })}${line(2, `${pod.sandboxes.length} not ready`, { fill: COLOURS.muted })}</g>`;
    }
    const s = ready[0];
    const extra = ready.length > 1 ? ` +${ready.length - 1} more!` : "";
    return (
        `<g class="sandbox" data-sandbox="${escapeXml(s.id)}" data-sandboxes="${ready.length}"><title>${escapeXml(`sandbox ${s.id}${s.netns ? `, network namespace ${s.netns}` : ""}`)}</title>` +
        holds +
        rect(x, y, w, h, { fill: COLOURS.sandbox, stroke: COLOURS.sandboxLine }) +
        line(1, `sandbox ${s.id.slice(0, 12)}${s.pid !== undefined ? ` · pid ${s.pid}` : ""}${extra}`, { size: 12, weight: "bold", fill: COLOURS.sandboxLine }) +
        line(2, "holds the pod's network namespace", { fill: COLOURS.ink }) +
        (s.netns ? line(3, `netns ${s.netns.split("/").pop()}`, { fill: COLOURS.muted }) : "") +
        `</g>`
    );
}

function drawPod(pod: PodView, x: number, y: number, markerId: string): { svg: string; height: number } {
    const w = G.podWidth;
    const h = podHeight(pod);
    const parts: string[] = [];
    const ok = pod.ready && !pod.terminating;
    parts.push(rect(x, y, w, h, { fill: COLOURS.pod, stroke: readyMark(ok), width: 2.5, rx: 10 }));
    parts.push(text(x + 14, y + 23, `pod ${pod.name}`, { size: 15, weight: "bold", cls: "pod-name" }));
    const state = pod.terminating ? "Terminating" : ok ? "Ready" : pod.phase === "Running" ? "Running, not ready" : pod.phase;
    parts.push(text(x + w - 14, y + 23, state, { size: 12, weight: "bold", anchor: "end", fill: readyMark(ok), cls: "pod-state" }));

    // The network namespace: one per pod, shared by its containers; the pod's IP is its address.
    const nx = x + G.inset;
    const ny = y + G.podHeader;
    const nw = w - 2 * G.inset;
    const n = Math.max(1, pod.containers.length);
    const nh = G.netnsHeader + n * G.containerHeight + (n - 1) * G.containerGap + G.inset;
    parts.push(rect(nx, ny, nw, nh, { fill: COLOURS.netns, stroke: COLOURS.netnsLine, dash: true, rx: 8, cls: "netns" }));
    parts.push(text(nx + 12, ny + 22, `IP ${pod.ip ?? "(none yet)"}`, { size: 17, weight: "bold", fill: COLOURS.netnsLine, cls: "pod-ip" }));
    parts.push(text(nx + 12, ny + 39, "network namespace: eth0 + lo, shared", { size: 11, fill: COLOURS.muted }));

    const placed: Placed[] = [];
    pod.containers.forEach((c, i) => {
        const cy = ny + G.netnsHeader + i * (G.containerHeight + G.containerGap);
        const drawn = drawContainer(c, nx + 10, cy, nw - 20, pod.role);
        parts.push(drawn.svg);
        placed.push(drawn.placed);
    });
    parts.push(localhostArrow(placed, markerId));
    parts.push(sandboxBand(pod, x + G.inset, ny + nh + G.inset + 8, nw, ny + nh).replace(/MARKER-sandbox/g, `${markerId}-sandbox`));
    return {
        svg: `<g class="pod" data-pod="${escapeXml(pod.name)}" data-ip="${escapeXml(pod.ip ?? "")}" data-role="${pod.role}" data-ready="${ok}">${parts.join("")}</g>`,
        height: h,
    };
}

/**
 * The sidecar's fetch: from the sidecar container up to nginx's port badge,
 * never leaving the pod's network namespace. Drawn when a pod has a container
 * named sidecar and another one with a port.
 */
function localhostArrow(placed: Placed[], markerId: string): string {
    const from = placed.find((p) => p.container.name === "sidecar");
    const to = placed.find((p) => p !== from && p.portBadges.length > 0);
    if (from === undefined || to === undefined) {
        return "";
    }
    const badge = to.portBadges[0];
    const label = `curl localhost:${badge.port}`;
    const top = Math.min(from.y, to.y + G.containerHeight);
    const startY = from.y > to.y ? from.y : from.y + G.containerHeight;
    return (
        `<g class="localhost-arrow" data-target-port="${badge.port}">` +
        `<path d="M ${badge.x} ${startY} L ${badge.x} ${badge.y + 4}" fill="none" stroke="${COLOURS.arrow}" stroke-width="2.4" marker-end="url(#${markerId})"/>` +
        text(badge.x - 10, top + G.containerGap / 2 + 5, label, { size: 12, weight: "bold", fill: COLOURS.arrow, anchor: "end" }) +
        `</g>`
    );
}

/** Under a row of postgres pods: the same port, a different IP each. */
function samePortBracket(pods: Array<{ pod: PodView; x: number }>, y: number): string {
    const pg = pods.filter((p) => p.pod.role === "postgres");
    if (pg.length < 2) {
        return "";
    }
    const ports = [...new Set(pg.flatMap((p) => p.pod.containers.flatMap((c) => c.ports)))];
    const x0 = pg[0].x + 20;
    const x1 = pg[pg.length - 1].x + G.podWidth - 20;
    const mid = (x0 + x1) / 2;
    const ips = pg.map((p) => p.pod.ip ?? "?").join(", ");
    const line = ports.length === 1 ? `same port :${ports[0]} in every pod, each at its own IP (${ips}): no conflict` : `ports ${ports.join(", ")}, each pod at its own IP (${ips})`;
    return (
        `<g class="same-port">` +
        `<path d="M ${x0} ${y + 6} L ${x0} ${y + 16} L ${x1} ${y + 16} L ${x1} ${y + 6}" fill="none" stroke="${COLOURS.postgresPort}" stroke-width="2"/>` +
        `<path d="M ${mid} ${y + 16} L ${mid} ${y + 24}" stroke="${COLOURS.postgresPort}" stroke-width="2"/>` +
        text(mid, y + 42, line, { size: 13, weight: "bold", anchor: "middle", fill: COLOURS.postgresPort }) +
        `</g>`
    );
}

/** The environment's pods, grouped by node, as one SVG element (scales to its container's width). */
export function environmentSvg(view: EnvironmentView): string {
    // Unique per environment: a page (the instructor's) holds several pictures.
    const markerId = `arrowhead-${view.namespace}`;
    const byNode = new Map<string, PodView[]>();
    for (const p of view.pods) {
        const key = p.node ?? "";
        byNode.set(key, [...(byNode.get(key) ?? []), p]);
    }
    const parts: string[] = [];
    let y = 0;
    let width = 0;
    const columns = Math.min(G.podsPerRow, Math.max(1, ...[...byNode.values()].map((p) => p.length)));
    const innerWidth = columns * G.podWidth + (columns - 1) * G.podGap;
    for (const [node, pods] of byNode) {
        const nodeParts: string[] = [];
        let rowY = y + G.nodeHeader;
        for (let i = 0; i < pods.length; i += G.podsPerRow) {
            const row = pods.slice(i, i + G.podsPerRow).map((pod, j) => ({ pod, x: G.nodePad + j * (G.podWidth + G.podGap) }));
            const rowHeight = Math.max(...row.map((r) => podHeight(r.pod)));
            for (const r of row) {
                nodeParts.push(drawPod(r.pod, r.x, rowY, markerId).svg);
            }
            // Right under the postgres pods, which may be shorter than the row.
            const postgresBottom = Math.max(0, ...row.filter((r) => r.pod.role === "postgres").map((r) => podHeight(r.pod)));
            const bracket = samePortBracket(row, rowY + postgresBottom);
            nodeParts.push(bracket);
            rowY += Math.max(rowHeight, bracket ? postgresBottom + G.bracket : 0) + G.podGap;
        }
        const nodeWidth = innerWidth + 2 * G.nodePad;
        const nodeHeight = rowY - y - G.podGap + G.nodePad;
        const nodeIp = pods.find((p) => p.nodeIp)?.nodeIp;
        const title = node === "" ? "not scheduled on a node yet" : `node ${node}${nodeIp ? ` · ${nodeIp}` : ""}`;
        parts.push(
            `<g class="node" data-node="${escapeXml(node)}">${rect(0, y, nodeWidth, nodeHeight, { fill: COLOURS.node, stroke: COLOURS.nodeLine, width: 2, rx: 12 })}` +
                text(G.nodePad, y + 26, title, { size: 15, weight: "bold", fill: COLOURS.ink, cls: "node-name" }) +
                text(nodeWidth - G.nodePad, y + 26, `namespace ${view.namespace}`, { size: 12, anchor: "end", fill: COLOURS.muted }) +
                nodeParts.join("") +
                `</g>`,
        );
        y += nodeHeight + G.podGap;
        width = Math.max(width, nodeWidth);
    }
    if (view.pods.length === 0) {
        width = 520;
        parts.push(rect(0, 0, width, 60, { fill: COLOURS.node, stroke: COLOURS.nodeLine, dash: true }) + text(20, 36, `no pods in namespace ${view.namespace}`, { size: 15, fill: COLOURS.notReady }));
        y = 60 + G.podGap;
    }
    const height = y - G.podGap + 4;
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" class="environment" viewBox="-2 -2 ${width + 4} ${height + 4}" width="${width + 4}" height="${height + 4}" role="img" aria-label="${escapeXml(`pods of ${view.namespace}`)}" font-family="'DejaVu Sans Mono', 'Liberation Mono', ui-monospace, monospace" font-size="12" fill="${COLOURS.ink}">`,
        `<defs><marker id="${markerId}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${COLOURS.arrow}"/></marker>` +
            `<marker id="${markerId}-sandbox" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${COLOURS.sandboxLine}"/></marker></defs>`,
        ...parts,
        `</svg>`,
    ].join("\n");
}
