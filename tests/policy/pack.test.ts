/**
 * The pack's wiring, checked without starting it: constructing the PolicyPack
 * starts the analyzer's gRPC server, so the entry file is read as source.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import * as ts from "typescript";
import { policies } from "../../policy/policies";

const POLICY_DIR = path.join(__dirname, "../../policy");
const POLICIES_DIR = path.join(POLICY_DIR, "policies");
/** Modules of policies/ that hold no policy. */
const HELPERS = ["index.ts", "podRule.ts", "podSpecs.ts", "settings.ts"];

const MANDATORY = [
    "no-duplicate-container-ports",
    "no-host-ports-or-host-network",
    "pinned-images",
    "restricted-pod-security",
    "no-literal-secret-env",
    "emptydir-size-limit",
    "least-privilege-rbac",
    "fenced-namespaces",
    "no-priority-class",
    "no-probe-host",
    "no-finalizers",
    "default-service-account",
    "no-service-account-token",
    "volume-kinds",
    "no-node-choice",
    "no-cross-namespace-affinity",
    "bounded-grace-period",
    "cluster-dns-only",
    "no-host-aliases",
    "linux-pods",
];
const ADVISORY = ["container-resources", "readiness-probes", "project-labels"];

const isPolicy = (v: any) => typeof v === "object" && v !== null && typeof v.name === "string" && ("validateResource" in v || "validateStack" in v);

describe("the podlab policy pack", () => {
    const modules = fs
        .readdirSync(POLICIES_DIR)
        .filter((f) => f.endsWith(".ts") && !HELPERS.includes(f))
        .sort();

    it.each(modules)("wires the one policy of %s exactly once", (file) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = Object.values(require(path.join(POLICIES_DIR, file)) as object).filter(isPolicy);
        expect(exported).toHaveLength(1);
        expect(policies.filter((p) => p === exported[0])).toHaveLength(1);
    });

    it("wires nothing but those modules' policies", () => {
        expect(policies).toHaveLength(modules.length);
        expect(new Set(policies).size).toBe(policies.length);
    });

    it("names policies uniquely, in kebab-case, with descriptions", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const p of policies) {
            expect(p.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
            expect(p.name).not.toBe("all");
            expect(p.description.length).toBeGreaterThan(20);
        }
    });

    it("is mandatory by default for the safety rules and advisory where a lab may differ", () => {
        const level = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
        expect(level).toEqual({
            ...Object.fromEntries(MANDATORY.map((n) => [n, "mandatory"])),
            ...Object.fromEntries(ADVISORY.map((n) => [n, "advisory"])),
        });
    });

    it("gives every config knob a default and leaves enforcementLevel to the engine", () => {
        const withConfig = policies.filter((p) => p.configSchema).map((p) => p.name);
        expect(withConfig.sort()).toEqual(["container-resources", "fenced-namespaces", "least-privilege-rbac", "no-literal-secret-env", "project-labels"]);
        for (const p of policies) {
            const schema = p.configSchema;
            if (schema) {
                expect(Object.keys(schema.properties)).not.toContain("enforcementLevel");
                expect(schema.required ?? []).not.toContain("enforcementLevel");
                for (const prop of Object.values(schema.properties)) {
                    expect(prop).toHaveProperty("default");
                }
            }
        }
    });

    it("has an entry file that only wraps the policies array in PolicyPack 'podlab'", () => {
        const file = path.join(POLICY_DIR, "index.ts");
        const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
        const imports = source.statements.filter(ts.isImportDeclaration).map((i) => i.getText());
        expect(imports).toEqual(['import { PolicyPack } from "@pulumi/policy";', 'import { policies } from "./policies";']);
        const rest = source.statements.filter((s) => !ts.isImportDeclaration(s)).map((s) => s.getText());
        expect(rest).toEqual(['new PolicyPack("podlab", { policies });']);
    });

    it("is a nodejs pack with pinned dependencies, the same @pulumi/pulumi as the program, and a lock file", () => {
        const manifest = yaml.load(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as any;
        expect(manifest.runtime).toBe("nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8"));
        const rootPkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "../package.json"), "utf8"));
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/); // PolicyPack refuses to start without one
        expect(pkg.dependencies["@pulumi/policy"]).toBe("1.21.0");
        expect(pkg.dependencies["@pulumi/pulumi"]).toBe(rootPkg.dependencies["@pulumi/pulumi"]);
        const lock = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package-lock.json"), "utf8"));
        expect(lock.packages["node_modules/@pulumi/policy"].version).toBe("1.21.0");
        expect(lock.packages["node_modules/@pulumi/pulumi"].version).toBe(pkg.dependencies["@pulumi/pulumi"]);
    });

    const examples = fs.readdirSync(path.join(POLICY_DIR, "examples")).filter((f) => f.endsWith(".json"));

    it.each(examples)("documents a valid policy config in examples/%s", (file) => {
        const config = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "examples", file), "utf8"));
        const byName = new Map(policies.map((p) => [p.name, p]));
        for (const [name, value] of Object.entries(config)) {
            const policy = byName.get(name);
            expect(policy).toBeDefined();
            const settings = typeof value === "string" ? { enforcementLevel: value } : (value as Record<string, unknown>);
            for (const [key, v] of Object.entries(settings)) {
                if (key === "enforcementLevel") {
                    expect(["advisory", "mandatory", "disabled"]).toContain(v);
                } else {
                    expect(Object.keys(policy!.configSchema?.properties ?? {})).toContain(key);
                }
            }
        }
    });
});
