import {
    PodlabConfigError,
    assertCpu,
    assertDnsLabel,
    assertMemory,
    assertPinnedImage,
    assertPort,
    assertUnique,
    parseImageRef,
} from "../../components/validation";

describe("assertDnsLabel", () => {
    it.each(["postgres", "postgres2", "a", "a-b-c", "x".repeat(63)])("accepts %s", (v) => {
        expect(assertDnsLabel("k", v)).toBe(v);
    });
    it.each(["Postgres", "-a", "a-", "a_b", "a.b", "", "x".repeat(64)])("refuses %j, naming key and value", (v) => {
        expect(() => assertDnsLabel("podlab:sidecar.name", v)).toThrow(PodlabConfigError);
        expect(() => assertDnsLabel("podlab:sidecar.name", v)).toThrow(`podlab:sidecar.name must be an RFC 1123 label`);
        expect(() => assertDnsLabel("podlab:sidecar.name", v)).toThrow(JSON.stringify(v));
    });
    it("refuses a non-string", () => {
        expect(() => assertDnsLabel("k", 5)).toThrow("got 5");
    });
});

describe("assertPort", () => {
    it.each([1, 80, 5432, 65535])("accepts %d", (p) => expect(assertPort("k", p)).toBe(p));
    it.each([0, -1, 65536, 1.5, "5432", null])("refuses %j", (p) => {
        expect(() => assertPort("podlab:postgres.port", p)).toThrow(`podlab:postgres.port must be an integer port in 1-65535; got ${JSON.stringify(p)}`);
    });
});

describe("assertPinnedImage", () => {
    it.each([
        "postgres:17.6",
        "docker.io/library/postgres:17.6-bookworm",
        "localhost:5000/podlab/nginx:1.22.1",
        "registry.example:443/a/b@sha256:" + "a".repeat(64),
        "podlab.local/postgres:15-deb12",
    ])("accepts %s", (img) => expect(assertPinnedImage("k", img)).toBe(img));
    it("refuses a missing tag, naming key and value", () => {
        expect(() => assertPinnedImage("podlab:postgres.image", "postgres")).toThrow(
            'podlab:postgres.image must be pinned to a version tag or digest; got "postgres"',
        );
    });
    it("refuses a registry port mistaken for a tag", () => {
        expect(() => assertPinnedImage("k", "localhost:5000/nginx")).toThrow("must be pinned");
    });
    it("refuses latest", () => {
        expect(() => assertPinnedImage("podlab:sidecar.curlImage", "curlimages/curl:latest")).toThrow(
            `podlab:sidecar.curlImage must not use the 'latest' tag; got "curlimages/curl:latest"`,
        );
    });
    it("refuses a malformed digest", () => {
        expect(() => assertPinnedImage("k", "nginx@sha256:abc")).toThrow("malformed digest");
    });
    it("parses registry ports, tags and digests apart", () => {
        expect(parseImageRef("localhost:5000/a/b:1.2")).toEqual({ repository: "localhost:5000/a/b", tag: "1.2", digest: undefined });
        expect(parseImageRef("a/b@sha256:00")).toEqual({ repository: "a/b", digest: "sha256:00" });
    });
});

describe("quantities", () => {
    it("reads cpu in millicores", () => {
        expect(assertCpu("k", "250m").millis).toBe(250);
        expect(assertCpu("k", "1").millis).toBe(1000);
        expect(assertCpu("k", "0.5").millis).toBe(500);
    });
    it("reads memory in bytes", () => {
        expect(assertMemory("k", "128Mi").bytes).toBe(128 * 2 ** 20);
        expect(assertMemory("k", "1G").bytes).toBe(1e9);
    });
    it.each(["", "0", "1.5Mi", "12 Mi", "abc"])("refuses memory %j", (v) => {
        expect(() => assertMemory("podlab:x.memory", v)).toThrow(`podlab:x.memory must be a positive memory quantity`);
    });
    it.each(["", "0m", "-1", "1.5.5", "100Mi"])("refuses cpu %j", (v) => {
        expect(() => assertCpu("podlab:x.cpu", v)).toThrow(`podlab:x.cpu must be a positive cpu quantity`);
    });
});

describe("assertUnique", () => {
    it("names the value and both keys", () => {
        expect(() =>
            assertUnique("pod name", [
                { key: "a", value: "x" },
                { key: "b", value: "y" },
                { key: "c", value: "x" },
            ]),
        ).toThrow('duplicate pod name "x": a and c');
    });
});
