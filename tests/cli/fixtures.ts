import { EnvironmentOutputs } from "../../cli/environmentOutputs";

/** One learner's outputs as the podlab program writes them: two postgres pods on one port, the sidecar pod. */
export const OUTPUTS: EnvironmentOutputs = {
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
