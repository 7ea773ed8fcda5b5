/**
 * The end-to-end suites: the real CLI, engine and providers against the lab cluster.
 * `npm run e2e` runs them on the default KWOK lab; `npm run e2e:real`
 * (PODLAB_NODE=real) runs realnode.e2e.ts alone on the lab's real node.
 */
const real = process.env.PODLAB_NODE === "real";
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests/e2e"],
    testMatch: real ? ["**/realnode.e2e.ts"] : ["**/*.e2e.ts"],
    testPathIgnorePatterns: real ? [] : ["/realnode\\.e2e\\.ts$"],
    transform: { "^.+\\.ts$": "ts-jest" },
    testTimeout: 600000,
    maxWorkers: 1,
};
