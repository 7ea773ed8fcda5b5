/**
 * Config schema properties shared by the policies' settings, so every list or
 * label map is validated the same way and documents its default.
 */

/** A setting that is a list of distinct non-empty strings. */
export function stringListSetting(description: string, defaults: readonly string[]) {
    return {
        type: "array" as const,
        items: { type: "string" as const, minLength: 1 },
        uniqueItems: true,
        description,
        default: [...defaults],
    };
}

/** A setting that maps label names to required values. */
export function labelMapSetting(description: string, defaults: Readonly<Record<string, string>>) {
    return {
        type: "object" as const,
        additionalProperties: { type: "string" as const },
        description,
        default: { ...defaults },
    };
}
