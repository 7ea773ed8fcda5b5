/**
 * The course command's `serve` subcommand, as the command line sees it: its
 * own flags, their checks (each bad value named before anything is read from
 * the cluster or the course directory), and the lesson the server offers each
 * learner, from the roster. cli/course/main.ts dispatches here; serve.ts runs
 * the server.
 */
import { WORKBENCH_CONTAINER, WORKBENCH_POD_NAME, WORKBENCH_SHELL } from "../../components/workbench";
import { FlagSpec, UsageError } from "../args";
import { Learner, Roster, learnerConfig } from "../course/roster";
import { learnerByName } from "../course/environment";
import { checkStep } from "../lesson/check";
import { LessonStep } from "../lesson/model";
import { lessonSteps } from "../lesson/steps";
import { DEFAULT_LISTEN } from "./links";
import { parseListen } from "./listen";
import type { ShellTarget } from "./cluster";
import { LessonSource } from "./workspace";

/** Minutes a learner's current step keeps failing before the instructor's page lists them as stuck, unless --stuck-after says. */
export const DEFAULT_STUCK_AFTER_MINUTES = 5;

export const SERVE_SUMMARY =
    "one server for the whole class: each learner's page (a terminal into their workbench, the lesson's steps with a Check each, the live picture of their pods) " +
    "and the instructor's (learners by steps, who is stuck); prints every link; serves until Ctrl-C, and started again serves the same links";

/** serve's flags beside --roster and --out. */
export const SERVE_FLAGS: Record<"listen" | "stuck-after", FlagSpec> = {
    listen: {
        type: "string",
        valueName: "HOST:PORT",
        description:
            `where to listen, and the address on the links (default: ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}, this machine only; ` +
            "for a class network, this machine's address there: the server then says what that exposes)",
    },
    "stuck-after": { type: "string", valueName: "MINUTES", description: `a learner whose step has kept failing this long is listed as stuck (default: ${DEFAULT_STUCK_AFTER_MINUTES})` },
};

/** What serve's own flags say, checked. */
export interface ServeSettings {
    /** `HOST:PORT` as given (parsed and checked already), or undefined for the default. */
    listen?: string;
    stuckAfterMinutes: number;
}

/** Checks serve's flags; throws a {@link UsageError} naming the bad value. */
export function serveSettings(values: Record<string, unknown>): ServeSettings {
    const listen = values.listen as string | undefined;
    if (listen !== undefined) {
        try {
            parseListen(listen);
        } catch (e) {
            throw new UsageError((e as Error).message);
        }
    }
    const stuck = values["stuck-after"] as string | undefined;
    let stuckAfterMinutes = DEFAULT_STUCK_AFTER_MINUTES;
    if (stuck !== undefined) {
        stuckAfterMinutes = /^\d{1,4}$/.test(stuck) ? Number(stuck) : NaN;
        if (!(stuckAfterMinutes >= 1 && stuckAfterMinutes <= 24 * 60)) {
            throw new UsageError(`--stuck-after must be a whole number of minutes in 1-1440; got ${JSON.stringify(stuck)}`);
        }
    }
    return { listen, stuckAfterMinutes };
}

/**
 * The lesson as each learner of the roster has it: the steps rendered from
 * their own stack config (mode, ports, images), and each step checked with
 * the credential the server gives (the learner's own). A learner with a link
 * but no longer in the roster gets the defaults of the course's naming.
 */
export function rosterLesson(roster: Roster): LessonSource {
    const steps = new Map<string, LessonStep[]>();
    const learner = (name: string): Learner => roster.learners.find((l) => l.name === name) ?? learnerByName(roster.course, name);
    return {
        steps: (name) => {
            let s = steps.get(name);
            if (s === undefined) {
                s = lessonSteps(learnerConfig(learner(name)));
                steps.set(name, s);
            }
            return s;
        },
        check: (credential, step) => checkStep(credential, step, learnerConfig(learner(credential.learner))),
    };
}

/** What a learner's terminal opens: a login shell in their workbench pod. */
export const WORKBENCH_TARGET: ShellTarget = { pod: WORKBENCH_POD_NAME, container: WORKBENCH_CONTAINER, command: WORKBENCH_SHELL };
