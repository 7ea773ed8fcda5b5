import { KEY_DOCS, codeDefaults, configKeys } from "../../docs/configReference";
import { RawStackConfig, STACK_CONFIG_KEYS, assertKnownStackConfigKeys, resolveStackConfig } from "../../components/stackConfig";

/** A raw stack config with one dotted key set. */
function withKey(key: string, value: unknown): RawStackConfig {
    const parts = key.split(".");
    const raw: Record<string, unknown> = {};
    let at = raw;
    parts.forEach((p, i) => {
        at[p] = i === parts.length - 1 ? value : {};
        at = at[p] as Record<string, unknown>;
    });
    return raw as RawStackConfig;
}

const ctx = { project: "podlab", stack: "dev" };

describe("the configuration reference (docs/program.md)", () => {
    it("lists every key with a default in the code, and every top-level key the program accepts", () => {
        const listed = configKeys().map((k) => k.key);
        expect(listed).toEqual(expect.arrayContaining([...codeDefaults().keys()]));
        for (const top of STACK_CONFIG_KEYS) {
            expect(listed.some((k) => k.split(".")[0] === top)).toBe(true);
        }
    });

    it("gives each default exactly as the code holds it", () => {
        const rows = new Map(configKeys().map((k) => [k.key, k.default]));
        expect(rows.get("postgres.count")).toBe("`2`");
        expect(rows.get("namespace")).toBe("unset: `<project>-<stack>`, e.g. `podlab-dev`");
        for (const [key, value] of codeDefaults()) {
            if (typeof value !== "object") {
                expect(rows.get(key)).toBe(`\`${String(value)}\``);
            }
        }
    });

    it("lists only keys the program accepts: each, set to its default or example, passes validation", () => {
        const defaults = codeDefaults();
        for (const key of Object.keys(KEY_DOCS)) {
            if (key === "postgresPassword") {
                // a secret the program reads apart (cfg.getSecret); a known key all the same
                expect(() => assertKnownStackConfigKeys([key])).not.toThrow();
                continue;
            }
            const value = defaults.has(key) ? defaults.get(key) : KEY_DOCS[key].example;
            expect(() => resolveStackConfig(withKey(key, value), ctx)).not.toThrow();
            if (key.includes(".")) {
                expect(() => resolveStackConfig(withKey(`${key}Typo`, value), ctx)).toThrow(`${key}Typo is not a podlab setting`);
            } else {
                expect(() => assertKnownStackConfigKeys([key])).not.toThrow();
                expect(() => assertKnownStackConfigKeys([`${key}Typo`])).toThrow(`podlab:${key}Typo is not a podlab setting`);
            }
        }
    });

    it("fails naming a key the code has and the docs do not explain, or a key the docs explain and the code lost", () => {
        const { ["postgres.port"]: _dropped, ...withoutPort } = KEY_DOCS;
        void _dropped;
        expect(() => configKeys(withoutPort)).toThrow("podlab:postgres.port has a default in the code but no meaning in docs/configReference.ts");
        expect(() => configKeys({ ...KEY_DOCS, "postgres.colour": { meaning: "gone" } })).toThrow("describes podlab:postgres.colour, which has no default in the code");
    });
});
