import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CourseLayout } from "../../../cli/course/layout";
import { SECRET_PATTERN, cardLink, ensureLinkSecrets, instructorLink, learnerLink, newSecret, originOf, removeLinkSecrets } from "../../../cli/serve/links";
import { readLinkSecrets, writeServedOrigin } from "../../../cli/serve/records";

function layout(): CourseLayout {
    return new CourseLayout("pods101", fs.mkdtempSync(path.join(os.tmpdir(), "podlab-links-")));
}

describe("link secrets", () => {
    it("are 256 random bits as 43 base64url characters, never the same twice", () => {
        const secrets = Array.from({ length: 200 }, newSecret);
        for (const s of secrets) {
            expect(s).toMatch(SECRET_PATTERN);
            expect(Buffer.from(s, "base64url")).toHaveLength(32);
        }
        expect(new Set(secrets).size).toBe(200);
    });

    it("are made once, kept in a 0600 file in the course's records, and survive a second run", () => {
        const l = layout();
        const first = ensureLinkSecrets(l, ["ada", "grace"]);
        expect(first.created).toEqual(["ada", "grace"]);
        const file = path.join(l.workDir, "links.json");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        const again = ensureLinkSecrets(l, ["ada", "grace", "linus"]);
        expect(again.created).toEqual(["linus"]);
        expect(again.links.learners.ada).toBe(first.links.learners.ada);
        expect(again.links.instructor).toBe(first.links.instructor);
        expect(readLinkSecrets(l)).toEqual(again.links);
    });

    it("are forgotten with the learner (down), so the old link opens nothing", () => {
        const l = layout();
        ensureLinkSecrets(l, ["ada", "grace"]);
        removeLinkSecrets(l, ["ada"]);
        expect(Object.keys(readLinkSecrets(l)!.learners)).toEqual(["grace"]);
        removeLinkSecrets(l);
        expect(readLinkSecrets(l)!.learners).toEqual({});
    });

    it("refuse a records file of another course", () => {
        const l = layout();
        ensureLinkSecrets(l, ["ada"]);
        expect(() => readLinkSecrets(new CourseLayout("other", l.outDir))).toThrow(/belongs to course pods101, not other/);
    });
});

describe("links", () => {
    it("carry the secret in the fragment, which no browser sends to a server", () => {
        const s = newSecret();
        expect(learnerLink("http://127.0.0.1:8080", s)).toBe(`http://127.0.0.1:8080/learner#${s}`);
        expect(instructorLink("http://127.0.0.1:8080", s)).toBe(`http://127.0.0.1:8080/instructor#${s}`);
        expect(new URL(learnerLink("http://127.0.0.1:8080", s)).pathname).toBe("/learner");
        expect(originOf("::1", 8080)).toBe("http://[::1]:8080");
    });

    it("on a card, point at the address the server last served on, or the default one", () => {
        const l = layout();
        expect(cardLink(l, "ada")).toBeUndefined();
        const { links } = ensureLinkSecrets(l, ["ada"]);
        expect(cardLink(l, "ada")).toBe(`http://127.0.0.1:8080/learner#${links.learners.ada}`);
        writeServedOrigin(l, "http://10.1.2.3:9000");
        expect(cardLink(l, "ada")).toBe(`http://10.1.2.3:9000/learner#${links.learners.ada}`);
    });
});
