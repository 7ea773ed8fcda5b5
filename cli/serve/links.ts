/**
 * Secret links: one per learner and one for the instructor, each carrying an
 * unguessable secret (256 bits from the system's CSPRNG). The secret travels in
 * the URL's fragment (`http://host:port/learner#<secret>`): a browser never
 * sends a fragment to any server, puts it in no Referer and no proxy's or
 * server's access log; the page's script reads it and presents it in a request
 * header (an API call's Authorization, a WebSocket's subprotocol), which
 * nothing in between logs. `course up` makes the secrets (or the first
 * `serve`), and keeps them in the course's records (0600), so a restarted
 * server serves the same links; `course down` removes a learner's.
 */
import { randomBytes } from "crypto";
import { CourseLayout } from "../course/layout";
import { LinkSecrets, readLinkSecrets, readServedOrigin, writeLinkSecrets } from "./records";

/** Bytes of randomness in a secret: 256 bits (the floor is 128). */
export const SECRET_BYTES = 32;

/** Where `serve` listens unless --listen says: this machine only. */
export const DEFAULT_LISTEN = { host: "127.0.0.1", port: 8080 } as const;

/** A secret's text: base64url, 43 characters, each a token character (valid in a WebSocket subprotocol). */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
    return randomBytes(SECRET_BYTES).toString("base64url");
}

/**
 * Makes sure every named learner (and the instructor) has a secret, keeping
 * the ones already made. Returns the secrets, and the learners given a new one.
 */
export function ensureLinkSecrets(layout: CourseLayout, learners: string[]): { links: LinkSecrets; created: string[] } {
    const existing = readLinkSecrets(layout);
    const links = existing ?? { course: layout.course, instructor: newSecret(), learners: {} };
    const created = learners.filter((l) => links.learners[l] === undefined);
    for (const l of created) {
        links.learners[l] = newSecret();
    }
    if (created.length > 0 || existing === undefined) {
        writeLinkSecrets(layout, links);
    }
    return { links, created };
}

/** Forgets the named learners' secrets (their links open nothing from now on); all of them with `learners` undefined. */
export function removeLinkSecrets(layout: CourseLayout, learners?: string[]): void {
    const links = readLinkSecrets(layout);
    if (links === undefined) {
        return;
    }
    for (const l of learners ?? Object.keys(links.learners)) {
        delete links.learners[l];
    }
    writeLinkSecrets(layout, links);
}

/** `http://host:port` for a listening address (an IPv6 host in brackets). */
export function originOf(host: string, port: number): string {
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function learnerLink(origin: string, secret: string): string {
    return `${origin}/learner#${secret}`;
}

export function instructorLink(origin: string, secret: string): string {
    return `${origin}/instructor#${secret}`;
}

/**
 * The link a learner's card shows: at the address the server last served on
 * (`serve` rewrites the cards when that changes), or the default one. Undefined
 * when the learner has no secret yet.
 */
export function cardLink(layout: CourseLayout, learner: string): string | undefined {
    const secret = readLinkSecrets(layout)?.learners[learner];
    if (secret === undefined) {
        return undefined;
    }
    return learnerLink(readServedOrigin(layout) ?? originOf(DEFAULT_LISTEN.host, DEFAULT_LISTEN.port), secret);
}
