/**
 * The generators of the docs' generated blocks (docs/generate.ts), by block
 * name. Each reads the file or code that holds its figures; none measures
 * anything or reaches a cluster.
 */
import { policies } from "../policy/policies";

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

export const BLOCKS: Record<string, () => string> = {
    "policy-table": policyTable,
};
