import { exposureNotice, loopbackOnly, parseListen } from "../../../cli/serve/listen";

describe("--listen", () => {
    it("takes HOST:PORT, IPv6 in brackets", () => {
        expect(parseListen("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
        expect(parseListen("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
        expect(parseListen("class-server.lan:80")).toEqual({ host: "class-server.lan", port: 80 });
        expect(parseListen("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    });

    it("names a bad value, and refuses a wildcard address (a link needs one a browser reaches)", () => {
        for (const bad of ["8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "::1:8080", "host:port", ""]) {
            expect(() => parseListen(bad)).toThrow(`got ${JSON.stringify(bad)}`);
        }
        expect(() => parseListen("0.0.0.0:8080")).toThrow(/wildcard/);
        expect(() => parseListen("[::]:8080")).toThrow(/wildcard/);
    });

    it("says plainly what an address other than loopback exposes, and to whom", () => {
        expect(loopbackOnly("127.0.0.1")).toBe(true);
        expect(loopbackOnly("::1")).toBe(true);
        expect(loopbackOnly("10.0.0.5")).toBe(false);
        expect(exposureNotice("http://127.0.0.1:8080", "127.0.0.1")).toMatch(/this machine only/);
        const open = exposureNotice("http://10.0.0.5:8080", "10.0.0.5");
        expect(open).toMatch(/OPEN TO THE NETWORK/);
        expect(open).toMatch(/plain HTTP, not encrypted/);
        expect(open).toMatch(/Nothing opens without a link/);
    });
});
