import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../../../cli/args";
import { invocation } from "../../../cli/course/main";
import { STEP_IDS } from "../../../cli/lesson/steps";
import { DEFAULT_STUCK_AFTER_MINUTES, rosterLesson } from "../../../cli/serve/command";
import { API_SERVER_FROM_PODS } from "../../apiServer";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-serve-args-"));
const roster = path.join(dir, "roster.yaml");
const out = path.join(dir, "out");
fs.writeFileSync(roster, "course: pods101\nmode: exercise\nlearners:\n  - ada\n  - name: grace\n    mode: environment\n");

/** The command line's parse of `serve` (the course's main.ts, as `npm run course --` runs it). */
function serve(...args: string[]) {
    return invocation(["serve", ...args]);
}

/** The UsageError a command line is refused with. */
function refusal(...args: string[]): string {
    try {
        serve(...args);
    } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
    }
    throw new Error(`serve ${args.join(" ")} was accepted`);
}

// How pods reach the API server, as lab/env exports it on the lab: every course's workbench needs it.
const savedApiServer = process.env.PODLAB_API_SERVER_FROM_PODS;
process.env.PODLAB_API_SERVER_FROM_PODS = API_SERVER_FROM_PODS;
beforeEach(() => (process.env.PODLAB_API_SERVER_FROM_PODS = API_SERVER_FROM_PODS));
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (savedApiServer === undefined) {
        delete process.env.PODLAB_API_SERVER_FROM_PODS;
    } else {
        process.env.PODLAB_API_SERVER_FROM_PODS = savedApiServer;
    }
});

describe("course serve's command line", () => {
    it("is a subcommand of the course command, with its flags in its help", () => {
        expect(invocation(["--help"])).toMatch(/^ {2}serve +one server for the whole class/m);
        const help = serve("--help") as string;
        expect(help).toContain("usage: npm run course -- serve [flags]\n");
        for (const flag of ["--roster FILE", "--out DIR", "--listen HOST:PORT", "--stuck-after MINUTES"]) {
            expect(help).toContain(flag);
        }
        expect(help).toContain("default: 127.0.0.1:8080, this machine only");
        expect(help).not.toContain("--concurrency");
    });

    it("listens on 127.0.0.1:8080 unless --listen says, with the roster and course directory as every subcommand has them", () => {
        const inv = serve("--roster", roster, "--out", out);
        expect(inv).toMatchObject({ subcommand: "serve", serve: { listen: undefined, stuckAfterMinutes: DEFAULT_STUCK_AFTER_MINUTES }, roster: { course: "pods101" } });
        expect(typeof inv !== "string" && inv.layout.outDir).toBe(out);
        expect(serve("--roster", roster, "--out", out, "--listen", "[::1]:9000", "--stuck-after", "12")).toMatchObject({ serve: { listen: "[::1]:9000", stuckAfterMinutes: 12 } });
        expect(serve("--roster", roster, "--listen", "127.0.0.1:0")).toMatchObject({ serve: { listen: "127.0.0.1:0" } });
    });

    it("names a bad --listen or --stuck-after before it reads the roster (nothing is touched)", () => {
        const missing = path.join(dir, "no-such-roster.yaml");
        for (const bad of ["8080", "127.0.0.1", "127.0.0.1:99999", "::1:8080", "host:port"]) {
            expect(refusal("--roster", missing, "--listen", bad)).toContain(`got ${JSON.stringify(bad)}`);
        }
        expect(refusal("--roster", missing, "--listen", "0.0.0.0:8080")).toMatch(/--listen 0\.0\.0\.0:8080: a wildcard address cannot go on a link/);
        for (const bad of ["0", "-3", "1.5", "ten", "", "1441", "99999"]) {
            expect(refusal("--roster", missing, `--stuck-after=${bad}`)).toBe(`--stuck-after must be a whole number of minutes in 1-1440; got ${JSON.stringify(bad)}`);
        }
    });

    it("refuses what serve does not take: learners' names, --concurrency, no --roster", () => {
        expect(refusal("--roster", roster, "ada")).toMatch(/^npm run course -- serve: unexpected argument "ada"/);
        expect(refusal("--roster", roster, "--concurrency", "4")).toMatch(/^npm run course -- serve: Unknown option '--concurrency'/);
        expect(refusal("--listen", "127.0.0.1:8080")).toBe("npm run course -- serve: --roster FILE is required");
    });

    it("refuses a course whose workbench cannot know how pods reach the API server, naming the setting, before anything runs", () => {
        delete process.env.PODLAB_API_SERVER_FROM_PODS;
        expect(() => serve("--roster", roster, "--out", out)).toThrow(/nothing was changed:\n {2}- podlab:workbench\.enabled true needs podlab:network\.apiServer\.url.*PODLAB_API_SERVER_FROM_PODS/s);
        expect(fs.existsSync(out)).toBe(false);
    });
});

describe("the lesson serve offers", () => {
    const inv = serve("--roster", roster, "--out", out);
    if (typeof inv === "string") {
        throw new Error(inv);
    }
    const lesson = rosterLesson(inv.roster);

    it("gives each learner the lesson's five steps in their own mode: an exercise learner makes the pods from the files offered", () => {
        const ada = lesson.steps("ada");
        expect(ada.map((s) => s.id)).toEqual([...STEP_IDS]);
        expect(Object.keys(ada[0].files)).toEqual(["postgres-pod.yaml"]);
        expect(ada[0].commands[0]).toBe("kubectl apply -f postgres-pod.yaml");
        const grace = lesson.steps("grace");
        expect(grace.map((s) => s.id)).toEqual([...STEP_IDS]);
        expect(grace.flatMap((s) => Object.keys(s.files))).toEqual([]);
    });

    it("a learner with a link but no longer in the roster gets the course's defaults, not another learner's steps", () => {
        expect(lesson.steps("hopper").map((s) => s.id)).toEqual([...STEP_IDS]);
        expect(lesson.steps("hopper")).not.toBe(lesson.steps("ada"));
    });
});
