/**
 * The end-to-end suites: the real CLI, engine and providers against the lab cluster.
 * `npm run e2e` runs all of them on the lab's default real node; `npm run e2e:kwok`
 * (PODLAB_NODE=kwok) runs them on the KWOK fallback, without the suites that need
 * real containers and packets (realnode, networkpolicy, nodefences, course, lesson,
 * the browser workspace and the PostgreSQL backend's course: exec, psql, real pods).
 */
const kwok = process.env.PODLAB_NODE === "kwok";
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests/e2e"],
    testMatch: ["**/*.e2e.ts"],
    testPathIgnorePatterns: kwok ? ["/realnode\\.e2e\\.ts$", "/networkpolicy\\.e2e\\.ts$", "/nodefences\\.e2e\\.ts$", "/course\\.e2e\\.ts$", "/lesson\\.e2e\\.ts$", "/workspace\\.e2e\\.ts$", "/postgres-backend\\.e2e\\.ts$"] : [],
    transform: { "^.+\\.ts$": "ts-jest" },
    testTimeout: 600000,
    maxWorkers: 1,
};
