import { SECRET_ENV_DEFAULTS, noLiteralSecretEnv as policy } from "../../policy/policies/secretEnv";
import { goodContainer, pod, violations, workload } from "./harness";

const withEnv = (...env: any[]) => pod([goodContainer({ name: "postgres", env })]);
const fromSecret = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "password" } } });

// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("../../policy/node_modules/@pulumi/policy/proxy");

describe("no-literal-secret-env", () => {
    it("passes secrets from a secretKeyRef and literal values for names that are not secret-looking", () => {
        expect(violations(policy, withEnv(fromSecret("POSTGRES_PASSWORD"), { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" }))).toEqual([]);
    });

    it("refuses a literal password, naming pod, container and variable but never the value", () => {
        const found = violations(policy, withEnv({ name: "POSTGRES_PASSWORD", value: "hunter2" }));
        expect(found).toEqual([
            "pod lab/web: container postgres: env POSTGRES_PASSWORD has a literal value instead of valueFrom.secretKeyRef (7 characters, redacted)",
        ]);
        expect(found.join()).not.toContain("hunter2");
    });

    it.each(["API_TOKEN", "aws_secret_access_key", "GITHUB_KEY", "DB_PASSWD", "SSH_PASSPHRASE", "CREDENTIALS_JSON"])("takes %s as secret-looking", (name) => {
        expect(violations(policy, withEnv({ name, value: "x" }))).toHaveLength(1);
    });

    it("refuses a secret taken from a ConfigMap, and one with no value at all", () => {
        const fromConfigMap = { name: "API_TOKEN", valueFrom: { configMapKeyRef: { name: "settings", key: "token" } } };
        expect(violations(policy, withEnv(fromConfigMap, { name: "PASSWORD" }))).toEqual([
            'pod lab/web: container postgres: env API_TOKEN comes from valueFrom.configMapKeyRef, not a secretKeyRef ({"name":"settings","key":"token"})',
            "pod lab/web: container postgres: env PASSWORD has no value and no valueFrom.secretKeyRef (unset)",
        ]);
    });

    it("catches a literal whose value is only known at deploy time (a preview)", () => {
        const resource = withEnv({ name: "POSTGRES_PASSWORD", value: proxy.unknownStringValue });
        expect(violations(policy, { ...resource, props: proxy.unknownCheckingProxy(resource.props) })).toEqual([
            "pod lab/web: container postgres: env POSTGRES_PASSWORD has a literal value instead of valueFrom.secretKeyRef (a value computed at deploy time)",
        ]);
    });

    it("checks init containers of a Job", () => {
        const init = goodContainer({ name: "seed", env: [{ name: "SEED_TOKEN", value: "abc" }] });
        expect(violations(policy, workload("Job", [goodContainer()], { initContainers: [init] }))).toEqual([
            "Job lab/web (pod template): container seed: env SEED_TOKEN has a literal value instead of valueFrom.secretKeyRef (3 characters, redacted)",
        ]);
    });

    it("follows its config: name patterns and exempt names", () => {
        const resource = withEnv({ name: "PGPASSFILE", value: "/secrets/pgpass" }, { name: "MONKEY_COUNT", value: "3" });
        expect(violations(policy, resource)).toEqual([expect.stringContaining("env MONKEY_COUNT")]);
        expect(violations(policy, resource, { allowNames: ["MONKEY_COUNT"] })).toEqual([]);
        expect(violations(policy, resource, { namePatterns: ["PASS"] })).toEqual([expect.stringContaining("env PGPASSFILE")]);
    });

    it("documents its defaults in the config schema", () => {
        expect(policy.configSchema!.properties.namePatterns.default).toEqual(SECRET_ENV_DEFAULTS.namePatterns);
        expect(policy.configSchema!.properties.allowNames.default).toEqual(SECRET_ENV_DEFAULTS.allowNames);
    });
});
