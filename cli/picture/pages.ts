/**
 * The pages podlab writes: a learner's card (`<out>/<learner>/card.html`), the
 * instructor's page (`<out>/index.html`) and a single stack's picture
 * (`npm run stack -- show`). Self-contained HTML: inline CSS and SVG, no
 * script, font or image from anywhere, so a page reads the same offline and
 * printed (a card per page). Pure: data in, HTML out.
 */
import { CHECK_NAMES, CheckReport, CheckResult, CheckStatus, worstStatus } from "../checkReport";
import { EnvironmentView } from "./model";
import { environmentSvg, escapeXml as esc } from "./svg";

/** One of the lesson's commands, with what it shows. */
export interface PageCommand {
    what: string;
    command: string;
}

/** The pages' stylesheet (also the workspace server's, cli/serve/pages.ts): screen, and print with a card per page. */
export const PAGE_STYLE = `
@page { size: A4 landscape; margin: 9mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1d2733; margin: 24px; line-height: 1.35; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 18px 0 6px; }
.facts { color: #5b6775; margin: 0 0 10px; font-size: 13px; }
.facts b { color: #1d2733; }
.lesson { font-size: 13px; margin: 4px 0 10px; max-width: 1100px; }
figure { margin: 0; }
svg.environment { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 11px; color: #5b6775; margin-top: 4px; }
ol.commands { padding-left: 22px; margin: 4px 0; font-size: 13px; }
ol.commands li { margin: 0 0 6px; }
pre, code { font-family: "DejaVu Sans Mono", "Liberation Mono", ui-monospace, monospace; }
pre { background: #f4f6f8; border: 1px solid #dde3e9; border-radius: 6px; padding: 6px 9px; margin: 3px 0 0; white-space: pre-wrap; word-break: break-all; font-size: 11.5px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid #cfd6dd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f5; }
.status { font-weight: bold; white-space: nowrap; }
.pass { color: #1b5e20; background: #e8f5e9; }
.fail { color: #b71c1c; background: #fdecea; }
.not-enforced { color: #8a4b00; background: #fff3e0; }
.not-possible { color: #5b6775; background: #f4f6f8; }
.unchecked { color: #8a96a3; }
.chip { display: inline-block; border-radius: 10px; padding: 0 7px; margin: 1px 2px; font-size: 12px; white-space: nowrap; }
.chip.ready { background: #e8f5e9; color: #1b5e20; }
.chip.unready { background: #fdecea; color: #b71c1c; }
.detail { font-size: 12px; color: #3b4653; }
.card { break-inside: auto; }
.card + .card, .summary + .card { break-before: page; }
@media print {
  /* A card per landscape page: the picture on top, the commands in two columns below. */
  body { margin: 0; }
  a { color: inherit; text-decoration: none; }
  h1 { font-size: 18px; }
  h2 { font-size: 13px; margin: 6px 0 3px; }
  .lesson, .facts { font-size: 11px; margin-bottom: 4px; }
  svg.environment { max-height: 112mm; width: auto; max-width: 100%; }
  ol.commands { columns: 2; column-gap: 8mm; font-size: 10px; }
  ol.commands li { break-inside: avoid; margin-bottom: 3px; }
  pre { font-size: 8.5px; padding: 2px 5px; }
  .card .checks, .card h3 { display: none; }
}
`;

/** An HTML5 document: podlab's pages (these, and the workspace server's shells) share this head. */
export function htmlDocument(d: { title: string; head: readonly string[]; body: string; bodyClass?: string }): string {
    return [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        `<title>${esc(d.title)}</title>`,
        ...d.head,
        "</head>",
        d.bodyClass === undefined ? "<body>" : `<body class="${esc(d.bodyClass)}">`,
        d.body,
        "</body>",
        "</html>",
        "",
    ].join("\n");
}

function page(title: string, body: string): string {
    return htmlDocument({ title, head: [`<style>${PAGE_STYLE}</style>`], body });
}

const LESSON =
    "Each box is a pod, with its own IP. The containers of a pod share one network namespace, held by the pod's sandbox " +
    "(a pause container): they reach each other on <code>localhost</code>. The postgres pods all listen on the same port " +
    "without a conflict, because each has its own IP.";

function picture(view: EnvironmentView): string {
    return `<figure>${environmentSvg(view)}<figcaption>Drawn from the live cluster at ${esc(view.readAt)}; ${esc(view.sandboxNote)}.</figcaption></figure>`;
}

function commandList(commands: PageCommand[] | string, setup?: string): string {
    if (typeof commands === "string") {
        return `<p class="detail">${esc(commands)}</p>`;
    }
    const first = setup ? `<li><span>use this card's credential, from its directory</span><pre>${esc(setup)}</pre></li>` : "";
    return `<ol class="commands">${first}${commands.map((c) => `<li><span>${esc(c.what)}</span><pre>${esc(c.command)}</pre></li>`).join("")}</ol>`;
}

function statusCell(status: CheckStatus | undefined): string {
    return status === undefined ? `<td class="status unchecked">not checked</td>` : `<td class="status ${status}">${status}</td>`;
}

function resultsTable(results: CheckResult[]): string {
    const rows = results.map((r) => `<tr><td>${esc(r.check)}${r.pod ? ` (${esc(r.pod)})` : ""}</td>${statusCell(r.status)}<td class="detail">${esc(r.got)}</td></tr>`);
    return `<table class="checks"><tr><th>check</th><th>status</th><th>what came back</th></tr>${rows.join("")}</table>`;
}

/** What a learner's card shows. */
export interface LearnerCard {
    course: string;
    learner: string;
    /** When the learner's credential ends. */
    expires?: string;
    /** The learner's page in the browser (it carries their secret: the card is theirs alone). */
    link?: string;
    view: EnvironmentView;
    /** The lesson's commands, or why there are none. */
    commands: PageCommand[] | string;
    /** This learner's results of the last check, if any. */
    check?: { checkedAt: string; results: CheckResult[] };
}

function cardSection(card: LearnerCard, headingLevel: "h1" | "h2"): string {
    const h = headingLevel;
    const checks = card.check && card.check.results.length > 0 ? `<h3>Last check (${esc(card.check.checkedAt)})</h3>${resultsTable(card.check.results)}` : "";
    return [
        `<section class="card" data-learner="${esc(card.learner)}">`,
        `<${h}>podlab course ${esc(card.course)}: ${esc(card.learner)}</${h}>`,
        `<p class="facts">namespace <b>${esc(card.view.namespace)}</b> · credential <b>./kubeconfig</b> beside this card${card.expires ? ` (expires ${esc(card.expires)})` : ""}</p>`,
        card.link ? `<p class="facts link">your page in the browser (keep it to yourself): <a href="${esc(card.link)}">${esc(card.link)}</a></p>` : "",
        `<p class="lesson">${LESSON}</p>`,
        picture(card.view),
        `<h2>Try these</h2>`,
        commandList(card.commands, 'export KUBECONFIG="$PWD/kubeconfig"'),
        checks,
        `</section>`,
    ].join("\n");
}

/** `<out>/<learner>/card.html`. */
export function learnerCardPage(card: LearnerCard): string {
    return page(`podlab ${card.course}: ${card.learner}`, cardSection(card, "h1"));
}

/** One learner's line on the instructor's page. */
export interface InstructorRow {
    learner: string;
    namespace: string;
    /** Deployed by this course (it has a stack); else only in the roster. */
    deployed: boolean;
    inRoster: boolean;
    card?: LearnerCard;
}

/** `<out>/index.html`: every learner's readiness and last check, then every card (one per printed page). */
export function instructorPage(a: { course: string; readAt: string; rows: InstructorRow[]; check?: CheckReport }): string {
    const header = `<tr><th>learner</th><th>pods (ready, IP)</th>${CHECK_NAMES.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
    const rows = a.rows.map((r) => {
        const pods = r.card?.view.pods ?? [];
        const chips =
            pods.length === 0
                ? `<span class="chip unready">${r.deployed ? "no pods" : "not deployed"}</span>`
                : pods.map((p) => `<span class="chip ${p.ready ? "ready" : "unready"}" data-pod="${esc(p.name)}">${esc(p.name)} ${p.ready ? "✓" : "✗"} ${esc(p.ip ?? "-")}</span>`).join(" ");
        const ready = pods.filter((p) => p.ready).length;
        const name = r.card ? `<a href="${esc(r.learner)}/card.html">${esc(r.learner)}</a>` : esc(r.learner);
        const note = r.inRoster ? "" : ' <span class="detail">(no longer in the roster)</span>';
        const checks = CHECK_NAMES.map((c) => statusCell(a.check?.learners.includes(r.learner) ? worstStatus(a.check.results, r.learner, c) : undefined)).join("");
        return `<tr data-learner="${esc(r.learner)}"><td>${name}${note}<br><span class="detail">${esc(r.namespace)}</span></td><td>${ready}/${pods.length} ready<br>${chips}</td>${checks}</tr>`;
    });
    const checkLine = a.check
        ? `Last check ${esc(a.check.checkedAt)} (${a.check.seconds.toFixed(1)} s). Network fence: ${esc(a.check.canary.detail)}.`
        : "No check yet: <code>npm run course -- check --roster FILE</code>.";
    const problemList = notPassing(a.check);
    const summary = [
        `<section class="summary">`,
        `<h1>podlab course ${esc(a.course)}: the instructor's page</h1>`,
        `<p class="facts">${a.rows.length} learner${a.rows.length === 1 ? "" : "s"} · pods read from the live cluster at ${esc(a.readAt)}</p>`,
        `<p class="facts">${checkLine}</p>`,
        `<table class="learners">${header}${rows.join("")}</table>`,
        problemList,
        `</section>`,
    ].join("\n");
    // The summary has every learner's checks; the cards here are for printing and handing out.
    const cards = a.rows.filter((r) => r.card !== undefined).map((r) => cardSection({ ...r.card!, check: undefined }, "h2"));
    return page(`podlab ${a.course}: instructor`, [summary, ...cards].join("\n"));
}

/**
 * What did not pass: each failure with what was tried and what came back; a
 * status shared by many learners for one check (a cluster that ignores
 * NetworkPolicy, a runtime podlab cannot see) in one row.
 */
function notPassing(check: CheckReport | undefined): string {
    const results = (check?.results ?? []).filter((r) => r.status !== "pass");
    if (results.length === 0) {
        return "";
    }
    const rows = results
        .filter((r) => r.status === "fail")
        .map((r) => `<tr><td>${esc(r.learner)}</td><td>${esc(r.check)}${r.pod ? ` (${esc(r.pod)})` : ""}</td>${statusCell(r.status)}<td class="detail"><code>${esc(r.tried)}</code></td><td class="detail">${esc(r.got)}</td></tr>`);
    for (const status of ["not-enforced", "not-possible"] as const) {
        for (const name of CHECK_NAMES) {
            const group = results.filter((r) => r.status === status && r.check === name);
            if (group.length > 0) {
                const learners = [...new Set(group.map((r) => r.learner))];
                const why = status === "not-enforced" ? check!.canary.detail : group[0].got;
                rows.push(`<tr><td>${esc(learners.join(", "))}</td><td>${esc(name)}</td>${statusCell(status)}<td class="detail"><code>${esc(group[0].tried)}</code>${learners.length > 1 ? " (for each)" : ""}</td><td class="detail">${esc(why)}</td></tr>`);
            }
        }
    }
    return `<h2>Not passing</h2><table><tr><th>learner</th><th>check</th><th>status</th><th>tried</th><th>what came back</th></tr>${rows.join("")}</table>`;
}

/** `npm run stack -- show`: one stack's environment. */
export function stackPage(a: { stack: string; view: EnvironmentView; commands: PageCommand[] | string }): string {
    return page(
        `podlab stack ${a.stack}`,
        [
            `<section class="card" data-stack="${esc(a.stack)}">`,
            `<h1>podlab stack ${esc(a.stack)}</h1>`,
            `<p class="facts">namespace <b>${esc(a.view.namespace)}</b> · commands use the kubeconfig the stack was deployed with</p>`,
            `<p class="lesson">${LESSON}</p>`,
            picture(a.view),
            `<h2>Try these</h2>`,
            commandList(a.commands),
            `</section>`,
        ].join("\n"),
    );
}
