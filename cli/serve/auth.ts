/**
 * Who a request is: the secret it presents, looked up in constant time, and a
 * limit on failed attempts per client address. A secret is never compared as
 * text: its SHA-256 digest is compared with every known secret's digest by
 * crypto.timingSafeEqual (equal lengths by construction), all of them, every
 * time, so the time taken says nothing about how close a guess came or whose
 * secret it resembles.
 */
import { createHash, timingSafeEqual } from "crypto";
import * as fs from "fs";
import { LinkSecrets } from "./records";

/** Whose link a secret is. */
export type Identity = { role: "learner"; learner: string } | { role: "instructor" };

function digest(secret: string): Buffer {
    return createHash("sha256").update(secret, "utf8").digest();
}

/** The course's secrets by digest; never holds or returns a secret's text. */
export class SecretBook {
    private entries: Array<{ digest: Buffer; identity: Identity }> = [];

    constructor(links: LinkSecrets) {
        this.load(links);
    }

    load(links: LinkSecrets): void {
        this.entries = [
            { digest: digest(links.instructor), identity: { role: "instructor" } },
            ...Object.entries(links.learners).map(([learner, secret]) => ({ digest: digest(secret), identity: { role: "learner", learner } as Identity })),
        ];
    }

    /** The identity a presented secret belongs to, or undefined; constant time in the secret's content. */
    identify(presented: string | undefined): Identity | undefined {
        if (presented === undefined || presented.length === 0 || presented.length > 256) {
            return undefined;
        }
        const d = digest(presented);
        let found: Identity | undefined;
        for (const e of this.entries) {
            // Every entry is compared; no early exit.
            const same = timingSafeEqual(d, e.digest);
            found = same ? e.identity : found;
        }
        return found;
    }

    /** The learners that have a link. */
    learners(): string[] {
        return this.entries.flatMap((e) => (e.identity.role === "learner" ? [e.identity.learner] : []));
    }
}

/**
 * A {@link SecretBook} that follows the records file: `course up` adding a
 * learner or `course down` removing one takes effect within a second, without
 * restarting the server.
 */
export class LiveSecretBook extends SecretBook {
    private checkedAt = 0;
    private mtimeMs = 0;

    constructor(
        private readonly file: string,
        private readonly read: () => LinkSecrets,
        private readonly now: () => number = Date.now,
    ) {
        super(read());
        this.mtimeMs = mtime(file);
    }

    override identify(presented: string | undefined): Identity | undefined {
        this.refresh();
        return super.identify(presented);
    }

    override learners(): string[] {
        this.refresh();
        return super.learners();
    }

    private refresh(): void {
        if (this.now() - this.checkedAt < 1000) {
            return;
        }
        this.checkedAt = this.now();
        const m = mtime(this.file);
        if (m !== this.mtimeMs) {
            this.mtimeMs = m;
            this.load(this.read());
        }
    }
}

function mtime(file: string): number {
    try {
        return fs.statSync(file).mtimeMs;
    } catch {
        return -1;
    }
}

/** Failed attempts allowed per client address in one window, and the window. */
export const FAILURE_LIMIT = { attempts: 20, windowMs: 60_000 } as const;

/**
 * Counts refused attempts per client address; past the limit, every request
 * from that address is refused until its window ends (successes do not count,
 * so a class behind one NAT address is not locked out by its own use).
 */
export class FailureLimiter {
    private readonly windows = new Map<string, { start: number; failures: number }>();

    constructor(
        private readonly limit: { attempts: number; windowMs: number } = FAILURE_LIMIT,
        private readonly now: () => number = Date.now,
    ) {}

    /** Milliseconds until the address may try again; 0 when it may now. */
    blockedFor(address: string): number {
        const w = this.current(address);
        return w !== undefined && w.failures >= this.limit.attempts ? w.start + this.limit.windowMs - this.now() : 0;
    }

    fail(address: string): void {
        const w = this.current(address) ?? { start: this.now(), failures: 0 };
        w.failures++;
        this.windows.set(address, w);
        if (this.windows.size > 10_000) {
            this.prune();
        }
    }

    private current(address: string): { start: number; failures: number } | undefined {
        const w = this.windows.get(address);
        if (w !== undefined && this.now() - w.start >= this.limit.windowMs) {
            this.windows.delete(address);
            return undefined;
        }
        return w;
    }

    private prune(): void {
        for (const [address, w] of this.windows) {
            if (this.now() - w.start >= this.limit.windowMs) {
                this.windows.delete(address);
            }
        }
    }
}
