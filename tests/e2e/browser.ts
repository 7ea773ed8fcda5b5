/**
 * podlab's pages in a real browser: Debian's Chromium, headless, driven by
 * playwright-core. Chromium is kept off the network (no background services,
 * a proxy on a closed local port, no name resolution), so a page that tried to
 * load anything from elsewhere would fail the test, never reach out.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BrowserContext, Page, chromium } from "playwright-core";

/** Debian's chromium package puts it here; `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.PODLAB_CHROMIUM ?? "/usr/bin/chromium";

/** Screenshots kept as CI artifacts (not committed): under the lab's state directory. */
export const ARTIFACTS = path.join(process.env.PODLAB_STATE ?? path.join(os.homedir(), ".local", "state", "podlab"), "lab-real", "artifacts");

const ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    // Anything that still tried to go out would meet a closed local port, and resolve no name;
    // 127.0.0.1 alone stays reachable (the rule would map even that literal), for the workspace server's pages.
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/** Runs `f` with a fresh headless Chromium (its own --user-data-dir), closed afterwards. */
export async function withChromium<T>(f: (browser: BrowserContext) => Promise<T>): Promise<T> {
    if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it when missing)`);
    }
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-chromium-"));
    const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1200, height: 900 } });
    try {
        return await f(browser);
    } finally {
        await browser.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

/** A page as Chromium rendered it, with what went wrong on the way. */
export interface Rendered {
    page: Page;
    /** Console errors and uncaught page errors. */
    errors: string[];
    /** Every URL the page requested besides itself. */
    requests: string[];
    /** From navigation to the load event. */
    ms: number;
}

/** Opens a file in a new tab and waits for it to load. */
export async function render(browser: BrowserContext, file: string): Promise<Rendered> {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    const url = `file://${file}`;
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => r.url() !== url && requests.push(r.url()));
    const t0 = Date.now();
    await page.goto(url, { waitUntil: "load" });
    return { page, errors, requests, ms: Date.now() - t0 };
}

/** Saves a full-page screenshot as a CI artifact and returns its path. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, name);
    await page.screenshot({ path: file, fullPage: true });
    return file;
}

/** How many pages the document prints on (Chromium's own print to PDF, with the page's CSS page size). */
export async function printedPages(page: Page): Promise<number> {
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    return (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
}

/** The pod boxes of every picture on the page: pod name, IP, and each container's ports. */
export async function drawnPods(page: Page, within = "body"): Promise<Array<{ pod: string; ip: string; text: string; containers: Record<string, number[]> }>> {
    return page.$$eval(`${within} svg.environment g.pod`, (groups) =>
        groups.map((g) => ({
            pod: g.getAttribute("data-pod") ?? "",
            ip: g.getAttribute("data-ip") ?? "",
            text: g.textContent ?? "",
            containers: Object.fromEntries(
                [...g.querySelectorAll("g.container")].map((c) => [c.getAttribute("data-container") ?? "", [...c.querySelectorAll("g.port")].map((p) => Number(p.getAttribute("data-port")))]),
            ),
        })),
    );
}
