import { renderCard, withLink } from "../../../cli/course/card";
import { lessonOf } from "../../../cli/environmentOutputs";
import { OUTPUTS } from "../fixtures";

describe("the learner's card", () => {
    it("shows the namespace, each pod at its IP, the credential's expiry, and commands after the export of its kubeconfig", () => {
        const card = renderCard({ course: "pods101", learner: "ada", expires: "2026-12-20T17:00:00.000Z", lesson: lessonOf(OUTPUTS) });
        expect(card).toContain("namespace:  podlab-pods101-ada");
        expect(card).toContain("credential: ./kubeconfig (in this directory; expires 2026-12-20T17:00:00.000Z)");
        expect(card).toMatch(/postgres2 +10\.245\.0\.12 +postgres :5432/);
        expect(card).toMatch(/sidecar +10\.245\.0\.13 +nginx :8080, sidecar/);
        const lines = card.split("\n").map((l) => l.trim());
        const exportAt = lines.indexOf('export KUBECONFIG="$PWD/kubeconfig"');
        expect(exportAt).toBeGreaterThan(0);
        expect(lines.findIndex((l) => l.startsWith("kubectl "))).toBeGreaterThan(exportAt);
        expect(card).toContain("kubectl -n podlab-pods101-ada exec sidecar -c sidecar -- curl -s http://localhost:8080/");
    });

    it("carries the learner's page in the browser under the credential line when they have a link, and says to keep it to themselves", () => {
        const link = "http://127.0.0.1:8080/learner#0123456789abcdefghijABCDEFGHIJ-_0123456789";
        const card = renderCard({ course: "pods101", learner: "ada", expires: "2026-12-20T17:00:00.000Z", lesson: lessonOf(OUTPUTS) });
        const linked = withLink(card, link).split("\n");
        const at = linked.findIndex((l) => l.startsWith("credential:"));
        expect(linked[at + 1]).toBe(`your page:  ${link}`);
        expect(linked[at + 2]).toContain("keep this link to yourself");
        expect(linked.filter((_line, i) => i !== at + 1 && i !== at + 2)).toEqual(card.split("\n"));
        expect(withLink(card, undefined)).toBe(card);
    });
});
