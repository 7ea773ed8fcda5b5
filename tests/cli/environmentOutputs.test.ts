import { lessonCommands, lessonOf } from "../../cli/environmentOutputs";
import { OUTPUTS } from "./fixtures";

describe("the lesson, read from a stack's outputs", () => {
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
});
