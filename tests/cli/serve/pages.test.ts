import { CLIENT_SCRIPTS, indexPage, instructorPage, learnerPage, workspaceCss } from "../../../cli/serve/pages";

const PAGES = { learner: learnerPage(), instructor: instructorPage(), index: indexPage() };

describe("the workspace's pages", () => {
    it.each(Object.entries(PAGES))("%s: no inline script or style, nothing from elsewhere, no data", (_name, html) => {
        // Every <script> has a src on this server; no inline handlers; no <style> element (the CSP would refuse it anyway).
        const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
        for (const [, attrs, body] of scripts) {
            expect(attrs).toMatch(/ src="\/assets\/[a-z-]+\.js"/);
            expect(body).toBe("");
        }
        expect(html).not.toMatch(/\son[a-z]+=/i);
        expect(html).not.toMatch(/<style/);
        // Every URL the page names is this server's own.
        for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) {
            expect(url).toMatch(/^\/assets\//);
        }
        expect(html).not.toMatch(/https?:\/\//);
        expect(html).toContain('<meta name="referrer" content="no-referrer">');
    });

    it("the learner's page loads xterm.js and its fit addon before its own script", () => {
        const order = [...PAGES.learner.matchAll(/<script src="\/assets\/([^"]+)"/g)].map((m) => m[1]);
        expect(order).toEqual([...CLIENT_SCRIPTS.learner]);
        expect(PAGES.learner).toContain('href="/assets/xterm.css"');
    });

    it("the stylesheet loads nothing from elsewhere", () => {
        expect(workspaceCss()).not.toMatch(/url\(|@import|https?:/);
    });
});
