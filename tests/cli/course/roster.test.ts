import { RosterError, deepMerge, parseRoster } from "../../../cli/course/roster";
import { LAB_BASE_CONFIG } from "../../apiServer";

const NOW = new Date("2026-12-02T12:00:00Z");
const LAB_BASE = { ...LAB_BASE_CONFIG, postgres: { image: "podlab.local/postgres:15-deb12" }, sidecar: { nginxImage: "podlab.local/nginx:1.22-deb12", curlImage: "podlab.local/curl:7.88-deb12" } };

function parse(text: string, baseConfig: Record<string, unknown> = LAB_BASE_CONFIG) {
    return parseRoster(text, "roster.yaml", { now: NOW, baseConfig });
}

/** The problems a roster is refused with. */
function problems(text: string): string[] {
    try {
        parse(text);
    } catch (e) {
        if (e instanceof RosterError) {
            return e.problems;
        }
        throw e;
    }
    throw new Error("the roster was accepted");
}

describe("a good roster", () => {
    it("gives each learner a stack, a namespace and config merged base < course < learner", () => {
        const r = parse(
            `course: pods101
expires: 2026-12-20T17:00:00Z
config:
  postgres: { count: 2 }
learners:
  - ada
  - name: grace
    config: { postgres: { count: 3 } }
`,
            LAB_BASE,
        );
        expect(r.course).toBe("pods101");
        expect(r.expires?.toISOString()).toBe("2026-12-20T17:00:00.000Z");
        expect(r.learners.map((l) => [l.name, l.stack, l.namespace])).toEqual([
            ["ada", "pods101-ada", "podlab-pods101-ada"],
            ["grace", "pods101-grace", "podlab-pods101-grace"],
        ]);
        const [ada, grace] = r.learners;
        expect(ada.config).toEqual({
            ...LAB_BASE,
            postgres: { image: "podlab.local/postgres:15-deb12", count: 2 },
            workbench: { enabled: true },
            mode: "environment",
            namespace: "podlab-pods101-ada",
            labels: { "podlab.dev/course": "pods101", "podlab.dev/learner": "ada" },
            // The course's own admission fence covers its learners (cli/course/courseStack.ts).
            fence: "course",
        });
        expect(grace.config.postgres).toEqual({ image: "podlab.local/postgres:15-deb12", count: 3 });
    });

    it("needs no expires and no config", () => {
        const r = parse("course: c1\nlearners: [ada]\n");
        expect(r.expires).toBeUndefined();
        expect(r.learners[0].mode).toBe("environment");
        expect(r.learners[0].config).toEqual({
            ...LAB_BASE_CONFIG,
            workbench: { enabled: true },
            mode: "environment",
            namespace: "podlab-c1-ada",
            labels: { "podlab.dev/course": "c1", "podlab.dev/learner": "ada" },
            fence: "course",
        });
    });
});

describe("the mode: environment or exercise, per course, overridable per learner", () => {
    it("is the course's, unless the learner says otherwise; it reaches the stack config as podlab:mode", () => {
        const r = parse("course: c\nmode: exercise\nlearners:\n  - ada\n  - name: grace\n    mode: environment\n", LAB_BASE);
        expect(r.learners.map((l) => [l.name, l.mode, l.config.mode])).toEqual([
            ["ada", "exercise", "exercise"],
            ["grace", "environment", "environment"],
        ]);
    });

    it("gives every learner a workbench, which the roster's config can leave out of an environment", () => {
        const r = parse("course: c\nlearners:\n  - ada\n  - name: grace\n    config: { workbench: { enabled: false } }\n", { ...LAB_BASE_CONFIG, workbench: { image: "podlab.local/workbench:1.32-deb12" } });
        expect(r.learners[0].config.workbench).toEqual({ enabled: true, image: "podlab.local/workbench:1.32-deb12" });
        expect(r.learners[1].config.workbench).toEqual({ enabled: false, image: "podlab.local/workbench:1.32-deb12" });
    });
});

describe("a bad roster is refused whole, every problem named with learner, key and value", () => {
    it.each<[string, string, string[]]>([
        ["duplicate learners", "course: c\nlearners: [ada, bob, ada]\n", ["learner ada: listed twice (learners[0] and learners[2])"]],
        ["learner name not a label", "course: c\nlearners: [Ada_L]\n", ['learners[0]: learner name must be an RFC 1123 label']],
        ["course not a label", "course: Pods 101\nlearners: [ada]\n", ['course must be an RFC 1123 label (lower-case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters); got "Pods 101"']],
        [
            "namespace too long",
            `course: ${"c".repeat(30)}\nlearners: [${"a".repeat(30)}]\n`,
            [`learner ${"a".repeat(30)}: namespace "podlab-${"c".repeat(30)}-${"a".repeat(30)}" would have 68 characters; a namespace has at most 63 (shorten the course or learner name)`],
        ],
        ["unknown config key", "course: c\nlearners:\n  - name: ada\n    config: { postgress: { count: 2 } }\n", ["learner ada: config.postgress is not a podlab setting (known: postgres, sidecar, quota, workbench)"]],
        ["bad config value", "course: c\nlearners:\n  - name: grace\n    config: { postgres: { count: 0 } }\n", ["learner grace: podlab:postgres.count must be an integer in 1-100; got 0"]],
        ["misspelt nested key", "course: c\nlearners:\n  - name: grace\n    config: { sidecar: { ngnixPort: 80 } }\n", ["learner grace: podlab:sidecar.ngnixPort is not a podlab setting"]],
        ["expires in the past", "course: c\nexpires: 2026-01-01T00:00:00Z\nlearners: [ada]\n", ["expires 2026-01-01T00:00:00.000Z is in the past (now 2026-12-02T12:00:00.000Z)"]],
        ["expires too soon", "course: c\nexpires: 2026-12-02T12:05:00Z\nlearners: [ada]\n", ["expires 2026-12-02T12:05:00.000Z is less than 10 minutes away"]],
        ["expires not a date", "course: c\nexpires: tomorrow\nlearners: [ada]\n", ['expires must be a date and time such as 2026-12-20T17:00:00Z; got "tomorrow"']],
        ["namespace is the course's", "course: c\nconfig: { namespace: mine }\nlearners: [ada]\n", ["config.namespace cannot be set in a roster: the course names every learner's namespace podlab-<course>-<learner>"]],
        ["no password in a roster", "course: c\nlearners:\n  - name: ada\n    config: { postgresPassword: hunter2 }\n", ["learner ada: config.postgresPassword cannot be set in a roster"]],
        ["unknown learner key", "course: c\nlearners:\n  - name: ada\n    cfg: {}\n", ["learner ada: cfg is not a learner key (known: name, mode, config)"]],
        ["unknown roster key", "course: c\nlearner: [ada]\n", ["learner is not a roster key", "learners must be a non-empty list"]],
        ["no learners", "course: c\nlearners: []\n", ["learners must be a non-empty list of names or {name, mode, config} entries; got []"]],
        ["not a map", "- ada\n", ["must be a map with course, learners and optionally expires, mode and config"]],
        ["unknown mode", "course: c\nmode: lab\nlearners: [ada]\n", ['mode must be environment or exercise; got "lab"']],
        ["unknown learner mode", "course: c\nlearners:\n  - name: ada\n    mode: Exercise\n", ['learner ada: mode must be environment or exercise; got "Exercise"']],
        ["mode is the roster's own key", "course: c\nconfig: { mode: exercise }\nlearners: [ada]\n", ["config.mode cannot be set in a roster: set it with the roster's own mode key"]],
        [
            "an exercise needs the workbench",
            "course: c\nmode: exercise\nlearners:\n  - name: ada\n    config: { workbench: { enabled: false } }\n",
            ["learner ada: podlab:mode exercise needs podlab:workbench.enabled true"],
        ],
        ["not YAML", "course: [c\n", ["not valid YAML"]],
    ])("%s", (_label, text, expected) => {
        const found = problems(text);
        expect(found).toHaveLength(expected.length);
        expected.forEach((e, i) => expect(found[i]).toContain(e));
    });

    it("reports every problem at once, and a bad course config once, not once per learner", () => {
        const found = problems("course: c\nexpires: 2020-01-01T00:00:00Z\nconfig: { postgres: { count: 0 } }\nlearners: [ada, ada, Bob]\n");
        expect(found).toEqual([
            expect.stringContaining("expires 2020-01-01T00:00:00.000Z is in the past"),
            "podlab:postgres.count must be an integer in 1-100; got 0",
            "learner ada: listed twice (learners[0] and learners[1])",
            expect.stringContaining('learners[2]: learner name must be an RFC 1123 label'),
        ]);
    });

    it("says nothing was changed", () => {
        expect(() => parse("course: c\nlearners: [ada, ada]\n")).toThrow("roster roster.yaml: 1 problem, nothing was changed:\n  - learner ada: listed twice");
    });
});

describe("deepMerge", () => {
    it("merges maps key by key and replaces the rest", () => {
        expect(deepMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2], e: 3 } })).toEqual({ a: { b: 1, c: [2], e: 3 }, d: 1 });
    });
});
