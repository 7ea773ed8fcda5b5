import { nginxConf } from "../../components/nginx";

describe("nginx.conf", () => {
    it("moves nginx's pid file and all five temp paths under /tmp: the public image's root is read-only", () => {
        // Each directive nginx would otherwise write outside /tmp, from its compiled-in defaults.
        const writable = ["pid", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"];
        const directives = new Map<string, string[]>();
        for (const m of nginxConf(8080).matchAll(/^\s*([a-z_]+)\s+([^;{]+);/gm)) {
            directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2].trim()]);
        }
        for (const name of writable) {
            expect([name, directives.get(name)]).toEqual([name, [expect.stringMatching(/^\/tmp\/[^/\s]+$/)]]);
        }
        // Logs go to the container's stdout and stderr, never to a file.
        expect(directives.get("error_log")).toEqual([expect.stringMatching(/^\/dev\/stderr\b/)]);
        expect(directives.get("access_log")).toEqual(["/dev/stdout"]);
    });
});
