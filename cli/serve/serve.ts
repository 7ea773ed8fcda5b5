/**
 * `npm run course -- serve --roster FILE [--out DIR] [--listen HOST:PORT]`:
 * one server for the whole class. It makes the links' secrets if `up` has not,
 * writes the links onto the cards when the address changed, prints every
 * learner's link and the instructor's, and serves until stopped (Ctrl-C).
 * Everything it keeps is in the course directory and the cluster, so started
 * again it serves the same links.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { readCri } from "../cri";
import { CourseLayout } from "../course/layout";
import { refreshPictures } from "../course/pictures";
import { Roster } from "../course/roster";
import { writeCard } from "../course/environment";
import { LiveSecretBook } from "./auth";
import { ShellTarget, loadCredential, openShell, runInWorkbench, tokenWorks, watchPods } from "./cluster";
import { Asset, createWorkspaceServer, redact } from "./http";
import { DEFAULT_LISTEN, ensureLinkSecrets, instructorLink, learnerLink, originOf } from "./links";
import { exposureNotice, loopbackOnly, parseListen } from "./listen";
import { FAVICON_SVG, indexPage, instructorPage, learnerPage, workspaceCss } from "./pages";
import { SharedCri } from "./picture";
import { readLinkSecrets, readServedOrigin, writeServedOrigin } from "./records";
import { LessonSource, Workspace, expiryOf, kubeconfigToken } from "./workspace";

export interface ServeArgs {
    roster: Roster;
    layout: CourseLayout;
    /** `HOST:PORT` as given to --listen; default {@link DEFAULT_LISTEN}. */
    listen?: string;
    stuckAfterMinutes: number;
    lesson: LessonSource;
    /** The learner's workbench: pod, container and shell. */
    workbench: ShellTarget;
}

/** The public assets: xterm.js from node_modules, the compiled browser scripts, the stylesheet. */
export function loadAssets(clientDir = path.join(__dirname, "client")): Record<string, Asset> {
    const file = (p: string, type: string): Asset => {
        if (!fs.existsSync(p)) {
            throw new Error(`${p} is missing: npm run build compiles the browser scripts (cli/serve/client/)`);
        }
        return { type, body: fs.readFileSync(p) };
    };
    const js = "text/javascript; charset=utf-8";
    return {
        "xterm.js": file(require.resolve("@xterm/xterm/lib/xterm.js"), js),
        "xterm.css": file(require.resolve("@xterm/xterm/css/xterm.css"), "text/css; charset=utf-8"),
        "addon-fit.js": file(require.resolve("@xterm/addon-fit/lib/addon-fit.js"), js),
        "common.js": file(path.join(clientDir, "common.js"), js),
        "learner.js": file(path.join(clientDir, "learner.js"), js),
        "instructor.js": file(path.join(clientDir, "instructor.js"), js),
        "workspace.css": { type: "text/css; charset=utf-8", body: Buffer.from(workspaceCss()) },
        "favicon.svg": { type: "image/svg+xml", body: Buffer.from(FAVICON_SVG) },
    };
}

/** Rewrites the cards (card.txt, card.html, the printable index.html) with links at the new address. */
async function rewriteCards(a: ServeArgs, deployed: string[]): Promise<void> {
    for (const learner of deployed) {
        try {
            const entry = a.roster.learners.find((l) => l.name === learner);
            if (!entry) continue;
            writeCard({ course: a.roster.course, layout: a.layout }, entry, { expires: expiryOf(kubeconfigToken(a.layout.kubeconfig(learner)))?.toISOString() ?? "unknown" });
        } catch (e) {
            console.log(`${learner}: card.txt not rewritten: ${(e as Error).message}`);
        }
    }
    try {
        await refreshPictures({ course: a.roster.course, layout: a.layout, roster: a.roster.learners, deployed });
    } catch (e) {
        console.log(`card.html and index.html not redrawn: ${(e as Error).message}`);
    }
}

/** Runs the server until SIGINT or SIGTERM; returns the exit status. */
export async function serveCourse(a: ServeArgs): Promise<number> {
    const { host, port } = a.listen === undefined ? DEFAULT_LISTEN : parseListen(a.listen);
    // The learners with an environment handed out from this course directory: their kubeconfig is here.
    const known = [...new Set([...a.roster.learners.map((l) => l.name), ...Object.keys(readLinkSecrets(a.layout)?.learners ?? {})])];
    const deployed = known.filter((l) => fs.existsSync(a.layout.kubeconfig(l)));
    const { created } = ensureLinkSecrets(a.layout, a.roster.learners.map((l) => l.name));
    if (created.length > 0) {
        console.log(`new links for: ${created.join(", ")}`);
    }
    const linksFile = path.join(a.layout.workDir, "links.json");
    const secrets = new LiveSecretBook(linksFile, () => readLinkSecrets(a.layout)!);
    const log = (line: string) => console.log(`${new Date().toISOString()} ${redact(line)}`);
    const workspace = new Workspace({
        layout: a.layout,
        roster: a.roster.learners,
        secrets,
        lesson: a.lesson,
        cri: new SharedCri(() => readCri()),
        stuckAfterMinutes: a.stuckAfterMinutes,
        log,
        cluster: {
            openShell: async (kubeconfig, namespace, size) => {
                const { kc, token } = loadCredential(kubeconfig);
                const shell = await openShell(kc, namespace, a.workbench, size);
                return { shell, credential: { token, works: () => tokenWorks(kc) } };
            },
            saveFile: async (kubeconfig, namespace, name, content) => {
                const { kc } = loadCredential(kubeconfig);
                // The name is one of the lesson's own files (workspace.ts checks); the shell gets it as an argument, never as code.
                return (await runInWorkbench(kc, namespace, a.workbench, ["/bin/sh", "-c", 'umask 077 && cat > "$HOME/$1" && printf %s "$HOME/$1"', "sh", name], content)).trim();
            },
            watchPods: (kubeconfig, namespace, onPods, onError) => {
                const { kc, token } = loadCredential(kubeconfig);
                return { token, stop: watchPods(kc, namespace, onPods, onError) };
            },
        },
    });
    const server = createWorkspaceServer({
        app: workspace,
        secrets,
        pages: { "/": indexPage(), "/learner": learnerPage(), "/instructor": instructorPage() },
        assets: loadAssets(),
        log,
        hosts: () => hosts,
    });
    let hosts: string[] = [];
    await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port}: ${e.code === "EADDRINUSE" ? "the port is in use" : e.message}`)));
        server.listen(port, host, () => resolve());
    });
    const bound = server.address() as net.AddressInfo;
    const origin = originOf(host, bound.port);
    hosts = [new URL(origin).host, ...(loopbackOnly(host) ? [`localhost:${bound.port}`] : [])];
    if (readServedOrigin(a.layout) !== origin) {
        writeServedOrigin(a.layout, origin);
        console.log(`the links' address is now ${origin}: rewriting the cards`);
        await rewriteCards(a, deployed);
    }
    const links = readLinkSecrets(a.layout)!;
    const names = Object.keys(links.learners).sort((x, y) => a.roster.learners.findIndex((l) => l.name === x) - a.roster.learners.findIndex((l) => l.name === y));
    const width = Math.max(10, ...names.map((n) => n.length));
    console.log(exposureNotice(origin, host));
    console.log(`course ${a.roster.course}: ${names.length} learner link${names.length === 1 ? "" : "s"} (also on each card: ${a.layout.outDir}/<learner>/card.txt and card.html; all cards to print: ${a.layout.indexHtml})`);
    for (const n of names) {
        console.log(`  ${n.padEnd(width)}  ${learnerLink(origin, links.learners[n])}${deployed.includes(n) ? "" : "  (not deployed yet)"}`);
    }
    console.log(`  ${"instructor".padEnd(width)}  ${instructorLink(origin, links.instructor)}`);
    console.log("Stop with Ctrl-C; started again, the server serves the same links.");
    await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
            console.log(`${signal}: closing every terminal and stopping`);
            workspace.shutdown();
            server.close(() => resolve());
            server.closeAllConnections();
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
    });
    return 0;
}
