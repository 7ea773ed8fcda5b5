import { EnvironmentOutputs, lessonCommands, lessonOf, renderCard, withLink } from "../../../cli/course/card";

const OUTPUTS: EnvironmentOutputs = {
    namespace: "podlab-pods101-ada",
    podIps: { postgres: "10.245.0.11", postgres2: "10.245.0.12", sidecar: "10.245.0.13" },
    pods: {
        postgres: { containers: [{ name: "postgres", image: "pg:15", ports: [5432] }] },
        postgres2: { containers: [{ name: "postgres", image: "pg:15", ports: [5432] }] },
        sidecar: {
            containers: [
                { name: "nginx", image: "nginx:1", ports: [8080] },
                { name: "sidecar", image: "curl:8", ports: [] },
            ],
        },
    },
    postgresSecrets: { postgres: "postgres-credentials", postgres2: "postgres2-credentials" },
};

describe("the learner's card", () => {
    it("reads the lesson from the stack outputs", () => {
        expect(lessonOf(OUTPUTS)).toEqual({
            namespace: "podlab-pods101-ada",
            postgres: [
                { pod: "postgres", ip: "10.245.0.11", port: 5432, secret: "postgres-credentials" },
                { pod: "postgres2", ip: "10.245.0.12", port: 5432, secret: "postgres2-credentials" },
            ],
            sidecar: { pod: "sidecar", ip: "10.245.0.13", nginxPort: 8080 },
        });
    });

    it("connects to each postgres pod's own IP from the other pod, with that pod's own Secret", () => {
        const psql = lessonCommands(lessonOf(OUTPUTS)).filter((c) => c.command.includes("psql"));
        expect(psql.map((c) => c.command)).toEqual([
            `kubectl -n podlab-pods101-ada exec postgres2 -- env PGPASSWORD="$(kubectl -n podlab-pods101-ada get secret postgres-credentials -o jsonpath='{.data.password}' | base64 -d)" psql -h 10.245.0.11 -p 5432 -U postgres -c 'select inet_server_addr(), inet_server_port()'`,
            `kubectl -n podlab-pods101-ada exec postgres -- env PGPASSWORD="$(kubectl -n podlab-pods101-ada get secret postgres2-credentials -o jsonpath='{.data.password}' | base64 -d)" psql -h 10.245.0.12 -p 5432 -U postgres -c 'select inet_server_addr(), inet_server_port()'`,
        ]);
        expect(psql[0].what).toBe("postgres listens on 5432 at 10.245.0.11, reached from postgres2, which uses the same port");
    });

    it("with one postgres pod, reaches it at its own IP", () => {
        const one = { ...OUTPUTS, postgresSecrets: { postgres: "postgres-credentials" }, pods: { postgres: OUTPUTS.pods.postgres, sidecar: OUTPUTS.pods.sidecar } };
        const [psql] = lessonCommands(lessonOf(one)).filter((c) => c.command.includes("psql"));
        expect(psql.command).toContain("exec postgres -- ");
        expect(psql.what).toContain("reached at its own IP");
    });

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
