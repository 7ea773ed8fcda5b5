/**
 * The generators of the docs' generated blocks (docs/generate.ts), by block
 * name. Each reads the file or code that holds its figures; none measures
 * anything or reaches a cluster.
 */
import * as path from "path";
import { readComponents } from "./componentApi";
import { policies } from "../policy/policies";

const ROOT = path.join(__dirname, "..").replace(/[\\/]bin$/, "");

/** A Markdown table: a header row, then the rows; `|` in a cell is escaped. */
export function markdownTable(header: string[], rows: string[][]): string {
    const cell = (c: string) => c.replace(/\|/g, "\\|").replace(/\n/g, " ");
    return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n") + "\n";
}

/** The policy pack's policies as the pack reports them: name, default level, what each checks. */
function policyTable(): string {
    return markdownTable(
        ["Policy", "Default", "What it checks"],
        policies.map((p) => [`\`${p.name}\``, p.enforcementLevel ?? "advisory", p.description]),
    );
}

/** Every policy setting with its description and default, from the policies' own config schemas. */
function policySettings(): string {
    const rows: string[][] = [];
    for (const p of policies) {
        const properties = Object.entries((p.configSchema?.properties ?? {}) as Record<string, { description?: string; default?: unknown }>);
        properties.forEach(([name, schema], i) => {
            rows.push([i === 0 ? `\`${p.name}\`` : "", `\`${name}\`: ${schema.description ?? ""}`, `\`${JSON.stringify(schema.default)}\``]);
        });
    }
    return markdownTable(["Policy", "Setting", "Default"], rows);
}

/** Each component's summary, Args and outputs, read from its source (docs/componentApi.ts). */
function componentReference(): string {
    return readComponents(ROOT)
        .map((c) => {
            const args = markdownTable(
                ["Arg", "Type", "Meaning"],
                c.args.map((a) => [`\`${a.name}\`${a.optional ? "" : " (required)"}`, `\`${a.type}\``, a.doc]),
            );
            const outputs = markdownTable(
                ["Output", "Type", "Meaning"],
                c.outputs.map((o) => [`\`${o.name}\``, `\`${o.type}\``, o.doc]),
            );
            return [`### \`${c.name}\` (\`${c.file}\`, \`${c.typeToken}\`)`, "", c.summary, "", args, outputs].join("\n");
        })
        .join("\n");
}

export const BLOCKS: Record<string, () => string> = {
    "policy-table": policyTable,
    "policy-settings": policySettings,
    "component-reference": componentReference,
};
