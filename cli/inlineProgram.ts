/**
 * Serves an inline program to the Pulumi engine the way the Automation API
 * does for `stack.up()`: its language server (`LanguageServer`, which runs the
 * program in this Node process, concurrent runs each in their own async
 * context) on a gRPC server bound to loopback, whose address the CLI gets as
 * `--client`. These are the Automation API's own parts, taken from the installed
 * @pulumi/pulumi (its gRPC library included, so both speak the same version);
 * they are internal to it, hence the narrow types below.
 */
import { createRequire } from "module";

interface GrpcServer {
    addService(service: unknown, implementation: unknown): void;
    bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
    forceShutdown(): void;
}

interface Grpc {
    Server: new (options: Record<string, unknown>) => GrpcServer;
    ServerCredentials: { createInsecure(): unknown };
}

interface LanguageServerInstance {
    onPulumiExit(hasError: boolean): void;
}

const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = sdkRequire("@grpc/grpc-js") as Grpc;
const { LanguageRuntimeService } = sdkRequire("./proto/language_grpc_pb") as { LanguageRuntimeService: unknown };
const { LanguageServer } = sdkRequire("./automation/server") as { LanguageServer: new (program: () => Promise<unknown>) => LanguageServerInstance };
const { grpcChannelOptions } = sdkRequire("./runtime/settings") as { grpcChannelOptions: Record<string, unknown> };

/** A running language server for one operation. */
export interface InlineProgramServer {
    /** host:port for the CLI's `--client`. */
    address: string;
    /** Stops the server once the CLI has exited (`failed`: the CLI exited non-zero). */
    close(failed: boolean): void;
}

export async function inlineProgramServer(program: () => Promise<unknown>): Promise<InlineProgramServer> {
    const server = new grpc.Server({ ...grpcChannelOptions });
    const languageServer = new LanguageServer(program);
    server.addService(LanguageRuntimeService, languageServer);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    return {
        address: `127.0.0.1:${port}`,
        close: (failed) => {
            try {
                languageServer.onPulumiExit(failed);
            } finally {
                server.forceShutdown();
            }
        },
    };
}
