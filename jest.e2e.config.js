/** The end-to-end suite: the real CLI, engine and providers against the lab cluster (`npm run e2e`). */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests/e2e"],
    testMatch: ["**/*.e2e.ts"],
    transform: { "^.+\\.ts$": "ts-jest" },
    testTimeout: 600000,
    maxWorkers: 1,
};
