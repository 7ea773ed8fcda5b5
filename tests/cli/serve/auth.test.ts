import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FailureLimiter, LiveSecretBook, SecretBook } from "../../../cli/serve/auth";
import { newSecret } from "../../../cli/serve/links";
import { LinkSecrets } from "../../../cli/serve/records";

// timingSafeEqual watched as the book calls it (a module's exports cannot be spied on in place).
jest.mock("crypto", () => {
    const actual = jest.requireActual<typeof import("crypto")>("crypto");
    return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const LINKS: LinkSecrets = { course: "pods101", instructor: newSecret(), learners: { ada: newSecret(), grace: newSecret() } };

describe("the secret book", () => {
    const book = new SecretBook(LINKS);

    it("knows each link's secret, and no other", () => {
        expect(book.identify(LINKS.learners.ada)).toEqual({ role: "learner", learner: "ada" });
        expect(book.identify(LINKS.learners.grace)).toEqual({ role: "learner", learner: "grace" });
        expect(book.identify(LINKS.instructor)).toEqual({ role: "instructor" });
        for (const wrong of [undefined, "", newSecret(), LINKS.learners.ada.slice(0, -1), `${LINKS.learners.ada}x`, LINKS.learners.ada.toUpperCase(), "x".repeat(10_000)]) {
            expect(book.identify(wrong)).toBeUndefined();
        }
    });

    it("compares SHA-256 digests with timingSafeEqual, against every secret every time (no early exit)", () => {
        const spy = crypto.timingSafeEqual as unknown as jest.Mock;
        spy.mockClear();
        {
            book.identify(LINKS.instructor); // the first entry: a match found first still compares the rest
            expect(spy).toHaveBeenCalledTimes(3);
            for (const [a, b] of spy.mock.calls) {
                expect((a as Buffer).length).toBe(32);
                expect((b as Buffer).length).toBe(32);
            }
            spy.mockClear();
            book.identify(newSecret());
            expect(spy).toHaveBeenCalledTimes(3);
        }
    });

    it("follows the records file: a learner added or removed takes effect without a restart", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-book-"));
        const file = path.join(dir, "links.json");
        let links: LinkSecrets = { ...LINKS, learners: { ada: LINKS.learners.ada } };
        const write = () => fs.writeFileSync(file, JSON.stringify(links));
        write();
        let now = 0;
        const live = new LiveSecretBook(file, () => JSON.parse(fs.readFileSync(file, "utf8")) as LinkSecrets, () => now);
        expect(live.identify(LINKS.learners.grace)).toBeUndefined();
        links = { ...LINKS, learners: { grace: LINKS.learners.grace } };
        write();
        fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
        now += 1500;
        expect(live.identify(LINKS.learners.grace)).toEqual({ role: "learner", learner: "grace" });
        expect(live.identify(LINKS.learners.ada)).toBeUndefined();
        expect(live.learners()).toEqual(["grace"]);
    });
});

describe("the limit on failed attempts", () => {
    it("blocks an address after its failures in one window, not others, and lets it try again when the window ends", () => {
        let now = 1_000_000;
        const limiter = new FailureLimiter({ attempts: 3, windowMs: 60_000 }, () => now);
        for (let i = 0; i < 3; i++) {
            expect(limiter.blockedFor("10.0.0.1")).toBe(0);
            limiter.fail("10.0.0.1");
        }
        expect(limiter.blockedFor("10.0.0.1")).toBe(60_000);
        expect(limiter.blockedFor("10.0.0.2")).toBe(0);
        now += 59_000;
        expect(limiter.blockedFor("10.0.0.1")).toBe(1000);
        now += 1000;
        expect(limiter.blockedFor("10.0.0.1")).toBe(0);
        limiter.fail("10.0.0.1");
        expect(limiter.blockedFor("10.0.0.1")).toBe(0);
    });
});
