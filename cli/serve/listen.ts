/**
 * Where the workspace server listens, and what it tells the instructor that
 * exposes: on a loopback address this machine only; on any other, every page
 * to whoever reaches the address (each opening only with its link), over
 * plain HTTP.
 */
import * as net from "net";

/** Parses `HOST:PORT` (`[::1]:8080` for IPv6); throws naming the bad value. A wildcard address is refused: links need one a browser can reach. */
export function parseListen(value: string): { host: string; port: number } {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
    const host = m?.[1] ?? m?.[2];
    const port = Number(m?.[3]);
    if (host === undefined || !Number.isInteger(port) || port > 65535) {
        throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:8080, or [::1]:8080); got ${JSON.stringify(value)}`);
    }
    if (host === "0.0.0.0" || host === "::") {
        throw new Error(`--listen ${value}: a wildcard address cannot go on a link; give the address learners' browsers reach this machine at`);
    }
    return { host, port };
}

/** Whether a listening host is reachable from this machine only. */
export function loopbackOnly(host: string): boolean {
    return host === "localhost" || host === "::1" || (net.isIPv4(host) && host.startsWith("127."));
}

/** What the server tells the instructor it exposes, and to whom. */
export function exposureNotice(origin: string, host: string): string {
    if (loopbackOnly(host)) {
        return `Serving at ${origin}, on this machine only: nobody on the network can reach it (for a class network, --listen ADDRESS:PORT).`;
    }
    return [
        `Serving at ${origin}, OPEN TO THE NETWORK: anyone who can reach ${host} can load the pages.`,
        "What a link opens: a learner's page, with a shell in their workbench that runs with their credential, their checks and the picture of their pods,",
        "for the holder of that learner's link; the class board and every learner's picture for the holder of the instructor's link. Nothing opens without a link.",
        "The traffic is plain HTTP, not encrypted: anyone on the network path can read the links and what is typed. Use it on a network you trust, or put a TLS proxy in front.",
    ].join("\n");
}
