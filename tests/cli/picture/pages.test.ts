import { lessonCommands, lessonOf } from "../../../cli/environmentOutputs";
import { CheckReport } from "../../../cli/checkReport";
import { environmentView, liveOutputs } from "../../../cli/picture/model";
import { LearnerCard, instructorPage, learnerCardPage, stackPage } from "../../../cli/picture/pages";
import { CRI, NS, PODS, READ_AT } from "./fixtures";

const view = environmentView(NS, PODS, CRI, READ_AT);
const commands = lessonCommands(lessonOf(liveOutputs(NS, PODS)!));
const card: LearnerCard = { course: "pods101", learner: "ada", expires: "2026-03-02T18:00:00.000Z", view, commands };

const REPORT: CheckReport = {
    course: "pods101",
    checkedAt: "2026-03-02T10:05:00.000Z",
    seconds: 12.3,
    learners: ["ada"],
    canary: { namespace: "podlab-pods101--canary", verdict: "not-enforced", detail: "the canary's fenced pod answered" },
    results: [
        { check: "postgres-port", learner: "ada", pod: "postgres", status: "pass", tried: "psql", got: "ok" },
        { check: "sidecar-localhost", learner: "ada", pod: "sidecar", status: "fail", tried: "kubectl exec", got: 'pod "sidecar" <not found>' },
        { check: "network-fence", learner: "ada", status: "not-enforced", tried: "curl", got: "grace's nginx answered <200>" },
    ],
};

/** Everything a page would fetch from elsewhere. */
const EXTERNAL = /<script|<link|<img|<iframe|src=|@import|@font-face|url\((?!#)/i;

describe("the pages", () => {
    it("a learner's card: the picture, then the card's commands, each as printed, after the credential's export line", () => {
        const html = learnerCardPage(card);
        expect(html).toMatch(/^<!doctype html>/);
        expect(html).toContain("<title>podlab pods101: ada</title>");
        expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="environment"');
        const pres = [...html.matchAll(/<pre>([^<]*)<\/pre>/g)].map((m) => m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&").replace(/&gt;/g, ">").replace(/&lt;/g, "<"));
        expect(pres).toEqual(['export KUBECONFIG="$PWD/kubeconfig"', ...commands.map((c) => c.command)]);
        expect(html).toContain("expires 2026-03-02T18:00:00.000Z");
        expect(html).not.toMatch(EXTERNAL);
        const checked = learnerCardPage({ ...card, check: { checkedAt: REPORT.checkedAt, results: REPORT.results } });
        expect(checked).toContain("<h3>Last check (2026-03-02T10:05:00.000Z)</h3>");
        expect(checked).toContain('<tr><td>postgres-port (postgres)</td><td class="status pass">pass</td><td class="detail">ok</td></tr>');
    });

    it("a card with a link shows it, escaped, on the card and on the instructor's printable sheet of cards", () => {
        const link = "http://127.0.0.1:8080/learner#abc&def";
        const html = learnerCardPage({ ...card, link });
        expect(html).toContain('<a href="http://127.0.0.1:8080/learner#abc&amp;def">http://127.0.0.1:8080/learner#abc&amp;def</a>');
        const sheet = instructorPage({ course: "pods101", readAt: READ_AT.toISOString(), rows: [{ learner: "ada", namespace: NS, deployed: true, inRoster: true, card: { ...card, link } }] });
        expect(sheet).toContain('href="http://127.0.0.1:8080/learner#abc&amp;def"');
        expect(learnerCardPage(card)).not.toContain("your page in the browser");
    });

    it("is printable, a card per page: page size, page breaks, the commands in columns under the picture", () => {
        const html = instructorPage({ course: "pods101", readAt: READ_AT.toISOString(), rows: [{ learner: "ada", namespace: NS, deployed: true, inRoster: true, card }], check: REPORT });
        expect(html).toContain("@page { size: A4 landscape;");
        expect(html).toContain(".card + .card, .summary + .card { break-before: page; }");
        expect(html).toMatch(/@media print \{[^]*ol\.commands \{ columns: 2;/);
    });

    it("the instructor's page: every learner with pod readiness and the last check's results, then the cards", () => {
        const html = instructorPage({
            course: "pods101",
            readAt: READ_AT.toISOString(),
            rows: [
                { learner: "ada", namespace: NS, deployed: true, inRoster: true, card: { ...card, check: { checkedAt: REPORT.checkedAt, results: REPORT.results } } },
                { learner: "bob", namespace: "podlab-pods101-bob", deployed: false, inRoster: true },
                { learner: "cy", namespace: "podlab-pods101-cy", deployed: true, inRoster: false },
            ],
            check: REPORT,
        });
        const row = (l: string) => new RegExp(`<tr data-learner="${l}">(.*?)</tr>`).exec(html)?.[1] ?? "";
        expect(row("ada")).toContain('<a href="ada/card.html">ada</a>');
        expect(row("ada")).toContain("3/3 ready");
        expect(row("ada")).toContain('<span class="chip ready" data-pod="postgres2">postgres2 ✓ 10.245.0.12</span>');
        expect([...row("ada").matchAll(/<td class="status ([\w-]+)">/g)].map((m) => m[1])).toEqual(["pass", "fail", "unchecked", "unchecked", "not-enforced"]);
        expect(row("bob")).toContain("not deployed");
        expect([...row("bob").matchAll(/<td class="status ([\w-]+)">/g)].map((m) => m[1])).toEqual(Array(5).fill("unchecked"));
        expect(row("cy")).toContain("(no longer in the roster)");
        expect(html).toContain("Last check 2026-03-02T10:05:00.000Z (12.3 s). Network fence: the canary&#39;s fenced pod answered.");
        // Not passing: each failure, then a status shared by learners once, with the canary's finding.
        expect(html).toContain('<tr><td>ada</td><td>sidecar-localhost (sidecar)</td><td class="status fail">fail</td><td class="detail"><code>kubectl exec</code></td><td class="detail">pod &quot;sidecar&quot; &lt;not found&gt;</td></tr>');
        expect(html).toContain('<tr><td>ada</td><td>network-fence</td><td class="status not-enforced">not-enforced</td><td class="detail"><code>curl</code></td><td class="detail">the canary&#39;s fenced pod answered</td></tr>');
        // The cards, for printing; their checks are in the summary already.
        expect(html.match(/<section class="card" data-learner="ada">/g)).toHaveLength(1);
        expect(html).not.toContain("<h3>Last check");
        expect(html).not.toMatch(EXTERNAL);
    });

    it("without a check yet, says how to run one", () => {
        const html = instructorPage({ course: "pods101", readAt: READ_AT.toISOString(), rows: [{ learner: "ada", namespace: NS, deployed: true, inRoster: true, card }] });
        expect(html).toContain("No check yet: <code>npm run course -- check --roster FILE</code>.");
    });

    it("a stack's page: its picture and commands; or why there are no commands yet", () => {
        const html = stackPage({ stack: "lab", view, commands });
        expect(html).toContain("<h1>podlab stack lab</h1>");
        expect(html.match(/<g class="pod" /g)).toHaveLength(3);
        expect(stackPage({ stack: "lab", view, commands: "No sidecar pod runs yet." })).toContain('<p class="detail">No sidecar pod runs yet.</p>');
    });
});
