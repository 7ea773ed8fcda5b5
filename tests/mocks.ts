/**
 * Pulumi mocks for the unit tests. Mocks never run a provider, so
 * `newResource` fills in what the cluster would: a name and, for pods, an IP.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    type: string;
    name: string;
    inputs: any;
}

/** Every resource the program registered since the last {@link resetMocks}. */
export const registered: Registered[] = [];
const podIps = new Map<string, string>();

export const MOCK_RANDOM_PASSWORD = "mock-random-password-3f9a";

pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: any } {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs });
            const state = { ...args.inputs };
            if (args.type.startsWith("kubernetes:")) {
                state.metadata = { ...(args.inputs.metadata ?? {}), name: args.inputs.metadata?.name ?? `${args.name}-generated` };
            }
            if (args.type === "kubernetes:core/v1:Pod") {
                const key = `${state.metadata.namespace}/${state.metadata.name}`;
                if (!podIps.has(key)) {
                    podIps.set(key, `10.244.0.${10 + podIps.size}`);
                }
                state.status = { phase: "Running", podIP: podIps.get(key) };
            }
            if (args.type === "random:index/randomPassword:RandomPassword") {
                state.result = MOCK_RANDOM_PASSWORD;
            }
            return { id: `${args.name}-id`, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return args.inputs;
        },
    },
    "podlab",
    "unittest",
    false,
);

/** Clears what was registered and sets the stack's `podlab:*` config (objects are JSON-encoded as the engine does). */
export function resetMocks(config: Record<string, unknown> = {}, secretKeys: string[] = []): void {
    registered.length = 0;
    podIps.clear();
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        all[`podlab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    pulumi.runtime.setAllConfig(all, secretKeys.map((k) => `podlab:${k}`));
}

/** The resolved value of an output (mocks resolve everything, secrets included). */
export function valueOf<T>(output: pulumi.Input<T> | undefined): Promise<T> {
    return new Promise((resolve) => pulumi.output(output as pulumi.Input<T>).apply((v) => resolve(v as T)));
}

/** Registered resources of one type. */
export function ofType(type: string): Registered[] {
    return registered.filter((r) => r.type === type);
}

/** Waits until registrations queued so far have reached the mock monitor. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
    }
}

/** Runs the podlab program with the given config and resolves all of its stack outputs. */
export async function runProgram(config: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<any> {
    resetMocks(config, secretKeys);
    // Loaded lazily so the mocks above are in place before any resource module runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const podlab = require("../index") as () => Record<string, unknown>;
    return valueOf(pulumi.output(podlab()));
}

/** Pulumi's marker for a secret value as the mock monitor receives it. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Unwraps a secret as registered: `{ secret: true, value }` for a secret, `{ secret: false, value }` otherwise. */
export function asRegistered(v: any): { secret: boolean; value: any } {
    if (v && typeof v === "object" && v[SECRET_SIG] === SECRET_SIG_VALUE) {
        return { secret: true, value: v.value };
    }
    return { secret: false, value: v };
}
