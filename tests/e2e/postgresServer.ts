/**
 * A PostgreSQL server of the test's own, for Pulumi's PostgreSQL backend:
 * Debian's postgresql-15 (.ci/run installs it when missing), its own data
 * directory under a temp dir (initdb), listening on 127.0.0.1 only, on a free
 * port, with password (SCRAM) authentication over TCP and no other way in;
 * stopped (pg_ctl stop) and removed at the end. The server runs as the
 * `postgres` user: PostgreSQL refuses to run as root.
 */
import { execFileSync, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
    /** The backend URL for Pulumi (with the password: never print it). */
    url: string;
    password: string;
    port: number;
    /** psql as the test's superuser over TCP; the password in the environment, never in argv. */
    query(sql: string): string[];
    /** Every address the server listens on (from ss). */
    listening(): string[];
    stop(): void;
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

const asPostgres = (cmd: string, args: string[]) => execFileSync("runuser", ["-u", "postgres", "--", path.join(PG_BIN, cmd), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Starts a server in `dir` (made here, in the test's own temp dir); throws with what is missing when PostgreSQL 15 is not installed. */
export async function startPostgres(dir: string): Promise<PostgresServer> {
    if (!fs.existsSync(path.join(PG_BIN, "initdb"))) {
        throw new Error(`${PG_BIN}/initdb is missing: install Debian's postgresql-15 (.ci/run does, when missing)`);
    }
    // The postgres user must pass through the test's temp dir (mkdtemp makes it 0700), not read it.
    fs.chmodSync(path.dirname(dir), 0o711);
    fs.mkdirSync(dir, { mode: 0o700 });
    const password = randomBytes(18).toString("hex");
    const pwfile = path.join(dir, "pw");
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    const sock = path.join(dir, "sock");
    fs.mkdirSync(sock);
    execFileSync("chown", ["-R", "postgres:postgres", dir]);
    const data = path.join(dir, "data");
    asPostgres("initdb", ["-D", data, "-U", "pulumi", `--pwfile=${pwfile}`, "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-instructions"]);
    fs.rmSync(pwfile);
    const port = await freePort();
    asPostgres("pg_ctl", ["-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "60", "-o", `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${sock}`, "start"]);
    const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" };
    let stopped = false;
    return {
        url: `postgres://pulumi:${password}@127.0.0.1:${port}/postgres?sslmode=disable`,
        password,
        port,
        query: (sql) => {
            const r = spawnSync(path.join(PG_BIN, "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", "pulumi", "-d", "postgres", "-Atc", sql], { encoding: "utf8", env });
            if (r.status !== 0) {
                throw new Error(`psql: ${r.stderr}`);
            }
            return r.stdout.split("\n").filter((l) => l !== "");
        },
        listening: () =>
            execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" })
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l) => l.trim().split(/\s+/)[3]),
        stop: () => {
            if (!stopped) {
                stopped = true;
                asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
            }
        },
    };
}
