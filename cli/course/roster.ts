/**
 * The roster: the YAML file an instructor writes for a course. It is checked
 * completely before anything is created, and every problem is reported at once,
 * each naming the learner, the key and the value.
 *
 *   course: pods101                  # RFC 1123 label; prefixes stack names and namespaces
 *   expires: 2026-12-20T17:00:00Z    # optional: learners' credentials end here
 *   mode: exercise                   # optional: environment (default) or exercise
 *   config:                          # optional: stack config for every learner (no "podlab:" prefix)
 *     postgres: { count: 2 }
 *   learners:
 *     - ada
 *     - name: grace
 *       mode: environment            # overrides the course's mode
 *       config: { postgres: { count: 3 } }   # merged over the course's config
 *
 * In environment mode podlab makes the lesson's pods and the learner explores
 * them; in exercise mode podlab makes only the fenced namespace, the workbench
 * and the credential, and the learner makes the pods by following the steps.
 * Every learner of a course gets a workbench (the browser's terminal opens in
 * it); `config: { workbench: { enabled: false } }` leaves it out of an environment.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { COURSE_LABEL, LEARNER_LABEL } from "../../components/podSpec";
import { DEFAULT_MODE, LESSON_MODES, LessonMode, RawStackConfig, StackConfig, resolveStackConfig } from "../../components/stackConfig";
import { PodlabConfigError, assertDnsLabel } from "../../components/validation";

/** The labels that mark a course's objects in the cluster. */
export { COURSE_LABEL, LEARNER_LABEL };

/** Config keys a roster may set for learners; the rest belong to the course command. */
export const ROSTER_CONFIG_KEYS = ["postgres", "sidecar", "quota", "workbench"] as const;
const RESERVED_CONFIG_KEYS: Record<string, string> = {
    mode: "set it with the roster's own mode key, for the course or per learner",
    namespace: "the course names every learner's namespace podlab-<course>-<learner>",
    labels: `the course sets ${COURSE_LABEL} and ${LEARNER_LABEL}`,
    postgresPassword: "a password never goes in a roster; each learner's is generated",
    fence: "the course's own admission fence covers every learner (cli/course/courseStack.ts)",
};

/** What a course adds to every learner's stack config before the roster's own: a workbench for the browser's terminal. */
export const COURSE_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = { workbench: { enabled: true } };

/** A token from the TokenRequest API lives at least this long, so an expiry sooner than this cannot be met. */
export const MIN_CREDENTIAL_SECONDS = 10 * 60;

/** A learner's Pulumi stack: `<course>-<learner>`. */
export function learnerStackName(course: string, learner: string): string {
    return `${course}-${learner}`;
}

/** The course-level stack's name (courseStack.ts). It cannot be a learner's: course and learner names are RFC 1123 labels, which hold no '.'. */
export function courseStackName(course: string): string {
    return `${course}.course`;
}

/** One learner's environment, fully resolved. */
export interface Learner {
    name: string;
    /** The Pulumi stack: `<course>-<learner>`. */
    stack: string;
    /** The namespace: `podlab-<course>-<learner>`. */
    namespace: string;
    /** environment or exercise: the learner's own `mode`, else the course's, else environment. */
    mode: LessonMode;
    /** The stack's `podlab:*` config (without the prefix): the course's defaults, base, the course's, the learner's, plus mode, namespace and labels. */
    config: Record<string, unknown>;
}

export interface Roster {
    course: string;
    /** When every learner's credential ends; undefined: 8 hours after each is minted. */
    expires?: Date;
    learners: Learner[];
}

/** A roster that cannot be used; `problems` lists every one found. */
export class RosterError extends Error {
    constructor(
        public readonly file: string,
        public readonly problems: string[],
    ) {
        super(`roster ${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}, nothing was changed:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "RosterError";
    }
}

export interface RosterContext {
    /** The time credentials are checked against. */
    now: Date;
    /** Config every learner starts from (the lab's stack config on the lab; nothing on another cluster). */
    baseConfig: Record<string, unknown>;
}

/** The keys a roster may have. */
const ROSTER_KEYS = ["course", "expires", "mode", "config", "learners"];

/** Reads and checks a roster file. Throws a {@link RosterError} listing every problem. */
export function loadRoster(file: string, ctx: RosterContext): Roster {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new RosterError(file, [`cannot read it: ${(e as Error).message}`]);
    }
    return parseRoster(text, file, ctx);
}

/** Checks a roster's text; `file` only names it in messages. */
export function parseRoster(text: string, file: string, ctx: RosterContext): Roster {
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch (e) {
        throw new RosterError(file, [`not valid YAML: ${(e as Error).message.split("\n")[0]}`]);
    }
    const problems: string[] = [];
    const check = <T>(f: () => T): T | undefined => {
        try {
            return f();
        } catch (e) {
            if (e instanceof PodlabConfigError) {
                problems.push(e.message);
                return undefined;
            }
            throw e;
        }
    };
    if (!isMap(doc)) {
        throw new RosterError(file, [`must be a map with course, learners and optionally expires, mode and config; got ${show(doc)}`]);
    }
    for (const key of Object.keys(doc).filter((k) => !ROSTER_KEYS.includes(k))) {
        problems.push(`${key} is not a roster key (known: ${ROSTER_KEYS.join(", ")})`);
    }
    const course = check(() => assertDnsLabel("course", doc.course));
    const expires = check(() => resolveExpiry(doc.expires, ctx.now));
    const courseMode = check(() => resolveMode("mode", doc.mode ?? DEFAULT_MODE));
    const base = deepMerge(COURSE_CONFIG_DEFAULTS as Record<string, unknown>, ctx.baseConfig);
    const courseConfig = check(() => rosterConfig("config", doc.config));
    // The course's own config is checked once, so a bad value is reported once, not once per learner.
    const courseConfigOk =
        courseConfig !== undefined &&
        courseMode !== undefined &&
        check(() => resolveStackConfig({ ...deepMerge(base, courseConfig), mode: courseMode }, { project: "podlab", stack: "course" })) !== undefined;

    const learners: Learner[] = [];
    if (!Array.isArray(doc.learners) || doc.learners.length === 0) {
        problems.push(`learners must be a non-empty list of names or {name, mode, config} entries; got ${show(doc.learners)}`);
    } else {
        const seen = new Map<string, number>();
        doc.learners.forEach((entry: unknown, i: number) => {
            const where = `learners[${i}]`;
            const parsed = check(() => learnerEntry(where, entry));
            if (parsed === undefined) {
                return;
            }
            const label = `learner ${parsed.name}`;
            const first = seen.get(parsed.name);
            if (first !== undefined) {
                problems.push(`${label}: listed twice (learners[${first}] and ${where})`);
                return;
            }
            seen.set(parsed.name, i);
            if (course === undefined) {
                return;
            }
            const stack = learnerStackName(course, parsed.name);
            const namespace = `podlab-${stack}`;
            if (namespace.length > 63) {
                problems.push(`${label}: namespace ${JSON.stringify(namespace)} would have ${namespace.length} characters; a namespace has at most 63 (shorten the course or learner name)`);
                return;
            }
            const mode = parsed.mode ?? courseMode ?? DEFAULT_MODE;
            const config = {
                ...deepMerge(deepMerge(base, courseConfig ?? {}), parsed.config),
                mode,
                namespace,
                labels: { [COURSE_LABEL]: course, [LEARNER_LABEL]: parsed.name },
                fence: "course",
            };
            if (courseConfigOk && check(() => prefixed(label, () => resolveStackConfig(config as RawStackConfig, { project: "podlab", stack }))) === undefined) {
                return;
            }
            learners.push({ name: parsed.name, stack, namespace, mode, config });
        });
    }
    if (problems.length > 0 || course === undefined) {
        throw new RosterError(file, problems);
    }
    return { course, expires, learners };
}

/** A learner's validated stack config (the roster checked it when it was read). */
export function learnerConfig(learner: Learner): StackConfig {
    return resolveStackConfig(learner.config as RawStackConfig, { project: "podlab", stack: learner.stack });
}

/** Merges `over` into `base`: maps key by key, everything else replaced. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        out[k] = isMap(v) && isMap(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
    }
    return out;
}

function resolveExpiry(value: unknown, now: Date): Date | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    // YAML reads an unquoted timestamp as a date; a quoted one is a string.
    const date = value instanceof Date ? value : typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value) ? new Date(value) : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) {
        throw new PodlabConfigError(`expires must be a date and time such as 2026-12-20T17:00:00Z; got ${show(value)}`);
    }
    if (date.getTime() <= now.getTime()) {
        throw new PodlabConfigError(`expires ${date.toISOString()} is in the past (now ${now.toISOString()})`);
    }
    if (date.getTime() - now.getTime() < MIN_CREDENTIAL_SECONDS * 1000) {
        throw new PodlabConfigError(`expires ${date.toISOString()} is less than ${MIN_CREDENTIAL_SECONDS / 60} minutes away; a credential lives at least that long`);
    }
    return date;
}

function rosterConfig(key: string, value: unknown): Record<string, unknown> {
    if (value === undefined || value === null) {
        return {};
    }
    if (!isMap(value)) {
        throw new PodlabConfigError(`${key} must be a map of stack config (postgres, sidecar, quota); got ${show(value)}`);
    }
    for (const k of Object.keys(value)) {
        if (Object.prototype.hasOwnProperty.call(RESERVED_CONFIG_KEYS, k)) {
            throw new PodlabConfigError(`${key}.${k} cannot be set in a roster: ${RESERVED_CONFIG_KEYS[k]}`);
        }
        if (!(ROSTER_CONFIG_KEYS as readonly string[]).includes(k)) {
            throw new PodlabConfigError(`${key}.${k} is not a podlab setting (known: ${ROSTER_CONFIG_KEYS.join(", ")})`);
        }
    }
    return value;
}

function learnerEntry(where: string, entry: unknown): { name: string; mode?: LessonMode; config: Record<string, unknown> } {
    if (typeof entry === "string") {
        return { name: assertDnsLabel(`${where}: learner name`, entry), config: {} };
    }
    if (!isMap(entry)) {
        throw new PodlabConfigError(`${where} must be a learner name or {name, mode, config}; got ${show(entry)}`);
    }
    const name = assertDnsLabel(`${where}.name`, entry.name);
    const unknown = Object.keys(entry).filter((k) => !["name", "mode", "config"].includes(k));
    if (unknown.length > 0) {
        throw new PodlabConfigError(`learner ${name}: ${unknown[0]} is not a learner key (known: name, mode, config)`);
    }
    const mode = entry.mode === undefined ? undefined : resolveMode(`learner ${name}: mode`, entry.mode);
    return { name, mode, config: rosterConfig(`learner ${name}: config`, entry.config) };
}

function resolveMode(key: string, value: unknown): LessonMode {
    if (!(LESSON_MODES as readonly unknown[]).includes(value)) {
        throw new PodlabConfigError(`${key} must be ${LESSON_MODES.join(" or ")}; got ${show(value)}`);
    }
    return value as LessonMode;
}

function prefixed<T>(prefix: string, f: () => T): T {
    try {
        return f();
    } catch (e) {
        if (e instanceof PodlabConfigError) {
            throw new PodlabConfigError(`${prefix}: ${e.message}`);
        }
        throw e;
    }
}

function isMap(v: unknown): v is Record<string, any> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function show(v: unknown): string {
    return v instanceof Date ? v.toISOString() : JSON.stringify(v) ?? String(v);
}
