/**
 * Reads the components' public API from their source with the TypeScript
 * compiler, for the docs' generated reference: each component class, its
 * summary, its `Args` (each field's type, whether it is required, and its
 * doc comment with the default it names) and its public outputs.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export interface FieldDoc {
    name: string;
    type: string;
    optional: boolean;
    doc: string;
}

export interface ComponentDoc {
    /** The class, e.g. `PostgresPod`. */
    name: string;
    /** Its file, relative to the repository. */
    file: string;
    /** The Pulumi type token passed to super(), e.g. `podlab:index:PostgresPod`. */
    typeToken: string;
    summary: string;
    args: FieldDoc[];
    outputs: FieldDoc[];
}

/** Every ComponentResource subclass in `dir`'s files, in file order. */
export function readComponents(root: string, dir = "components"): ComponentDoc[] {
    const files = fs
        .readdirSync(path.join(root, dir))
        .filter((f) => f.endsWith(".ts"))
        .sort();
    return files.flatMap((f) => componentsIn(root, path.join(dir, f)));
}

function componentsIn(root: string, file: string): ComponentDoc[] {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.ES2022, true);
    const interfaces = new Map<string, ts.InterfaceDeclaration>();
    const classes: ts.ClassDeclaration[] = [];
    source.forEachChild((node) => {
        if (ts.isInterfaceDeclaration(node)) {
            interfaces.set(node.name.text, node);
        } else if (ts.isClassDeclaration(node) && node.name && extendsComponentResource(node)) {
            classes.push(node);
        }
    });
    return classes.map((c) => {
        const name = c.name!.text;
        const argsType = constructorArgsType(c);
        const args = argsType === undefined ? undefined : interfaces.get(argsType);
        return {
            name,
            file,
            typeToken: superTypeToken(c) ?? "",
            summary: docOf(c),
            args: args === undefined ? [] : args.members.filter(ts.isPropertySignature).map((m) => field(m, source)),
            outputs: c.members
                .filter(ts.isPropertyDeclaration)
                .filter((m) => (ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Public) !== 0)
                .map((m) => field(m, source)),
        };
    });
}

function extendsComponentResource(c: ts.ClassDeclaration): boolean {
    return (c.heritageClauses ?? []).some((h) => h.types.some((t) => t.expression.getText().endsWith("ComponentResource")));
}

function constructorArgsType(c: ts.ClassDeclaration): string | undefined {
    const ctor = c.members.find(ts.isConstructorDeclaration);
    const type = ctor?.parameters[1]?.type;
    return type !== undefined && ts.isTypeReferenceNode(type) ? type.typeName.getText() : undefined;
}

function superTypeToken(c: ts.ClassDeclaration): string | undefined {
    let token: string | undefined;
    const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
            token = n.arguments[0].text;
        }
        n.forEachChild(visit);
    };
    c.forEachChild(visit);
    return token;
}

function field(m: ts.PropertySignature | ts.PropertyDeclaration, source: ts.SourceFile): FieldDoc {
    return {
        name: m.name.getText(source),
        type: (m.type?.getText(source) ?? "").replace(/\s+/g, " "),
        optional: m.questionToken !== undefined,
        doc: docOf(m),
    };
}

/** The node's JSDoc text, whitespace collapsed (tags dropped). */
function docOf(node: ts.Node): string {
    const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
    return docs
        .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
        .join(" ")
        .replace(/\{@link ([^}]+)\}/g, "$1")
        .replace(/\s+/g, " ")
        .trim();
}
