/**
 * The workspace server's pages: HTML shells without data (the same for every
 * visitor, so they need no secret), which load only this server's scripts and
 * styles; the scripts read the link's secret from the URL's fragment and
 * fetch the data with it. Pure: text out.
 */
import { PAGE_STYLE, htmlDocument } from "../picture/pages";

/** The browser scripts, compiled from cli/serve/client/*.ts, in the order a page loads them. */
export const CLIENT_SCRIPTS = { learner: ["xterm.js", "addon-fit.js", "common.js", "learner.js"], instructor: ["common.js", "instructor.js"] } as const;

function shell(title: string, bodyClass: string, styles: string[], scripts: readonly string[], body: string): string {
    return htmlDocument({
        title,
        bodyClass,
        head: [
            '<meta name="referrer" content="no-referrer">',
            '<link rel="icon" href="/assets/favicon.svg">',
            ...styles.map((s) => `<link rel="stylesheet" href="/assets/${s}">`),
            ...scripts.map((s) => `<script src="/assets/${s}" defer></script>`),
        ],
        body,
    });
}

const PROBLEM = '<p id="problem" class="problem" role="alert" hidden></p>';

export function learnerPage(): string {
    return shell(
        "podlab",
        "learner",
        ["xterm.css", "workspace.css"],
        CLIENT_SCRIPTS.learner,
        [
            '<header><h1 id="title">podlab</h1><p id="facts" class="facts">Loading…</p></header>',
            PROBLEM,
            '<main class="workspace">',
            '<section id="lesson" class="lesson-pane" aria-label="The lesson"><h2>The lesson</h2><ol id="steps" class="steps"></ol></section>',
            '<section class="work-pane">',
            '<div class="terminal-bar"><span id="terminal-status" class="terminal-status">connecting…</span><button id="terminal-restart" type="button" hidden>Start a new shell</button></div>',
            '<div id="terminal" class="terminal" aria-label="Terminal"></div>',
            '<h2>Your pods, live</h2><div id="picture" class="picture" aria-live="polite">Loading the picture…</div>',
            "</section>",
            "</main>",
        ].join("\n"),
    );
}

export function instructorPage(): string {
    return shell(
        "podlab: instructor",
        "instructor",
        ["workspace.css"],
        CLIENT_SCRIPTS.instructor,
        [
            '<header><h1 id="title">podlab: the instructor\'s page</h1><p id="facts" class="facts">Loading…</p></header>',
            PROBLEM,
            '<section aria-label="Learners by steps"><table id="board" class="board"></table></section>',
            '<section aria-label="Stuck"><h2>Stuck</h2><div id="stuck" class="stuck"></div></section>',
            '<section aria-label="A learner\'s pods"><h2 id="picture-title">A learner\'s pods</h2><div id="picture" class="picture">Open a learner\'s picture from the table.</div></section>',
        ].join("\n"),
    );
}

export function indexPage(): string {
    return shell("podlab", "index", ["workspace.css"], [], "<h1>podlab</h1><p>Open the link on your card: it ends in <code>#</code> and a long secret.</p>");
}

/** The pages' icon (a pod: a box holding two containers), so no browser asks for /favicon.ico. */
export const FAVICON_SVG =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="1" width="14" height="14" rx="3" fill="#e8f1fb" stroke="#4a7fb5"/><rect x="3.5" y="4" width="4" height="8" fill="#4a7fb5"/><rect x="8.5" y="4" width="4" height="8" fill="#6c56a3"/></svg>';

/** The server's stylesheet: the pictures' style (the same as the cards'), then the workspace's layout. */
export function workspaceCss(): string {
    return `${PAGE_STYLE}
body.learner, body.instructor { margin: 12px 16px; }
header h1 { margin-bottom: 2px; }
.problem { background: #fdecea; color: #b71c1c; border: 1px solid #f3b8b3; border-radius: 6px; padding: 8px 12px; }
.workspace { display: grid; grid-template-columns: minmax(320px, 2fr) 3fr; gap: 16px; align-items: start; }
.lesson-pane { max-height: calc(100vh - 90px); overflow-y: auto; padding-right: 6px; }
.steps { padding-left: 20px; }
.steps > li { margin: 0 0 16px; }
.steps h3 { font-size: 15px; margin: 0 0 4px; }
.steps p { font-size: 13px; margin: 4px 0; }
.steps .file-name { font-size: 12px; color: #5b6775; margin-top: 6px; }
.check-row { display: flex; gap: 8px; align-items: center; margin-top: 6px; }
.check-row button { font: inherit; font-size: 13px; padding: 3px 12px; }
.result { font-size: 12px; margin-top: 4px; border-radius: 6px; padding: 4px 8px; }
.result.pass { background: #e8f5e9; color: #1b5e20; }
.result.fail { background: #fdecea; color: #b71c1c; }
.result.not-possible { background: #f4f6f8; color: #5b6775; }
.result pre { background: #fff; color: #1d2733; }
.terminal-bar { display: flex; gap: 10px; align-items: center; font-size: 12px; color: #5b6775; margin-bottom: 4px; }
.terminal { height: 420px; background: #1d2733; padding: 4px; border-radius: 6px; }
.picture svg.environment { max-width: 100%; height: auto; }
table.board td.status { text-align: center; }
table.board td.unchecked { color: #8a96a3; }
.stuck .entry { border-left: 4px solid #b71c1c; padding: 4px 10px; margin: 6px 0; font-size: 13px; }
@media (max-width: 900px) { .workspace { grid-template-columns: 1fr; } .lesson-pane { max-height: none; } }
`;
}
