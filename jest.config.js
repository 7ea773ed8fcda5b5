/** Unit tests only: mocked Pulumi, no cluster. Type checking is `tsc --noEmit` (npm test runs both). */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": "ts-jest" },
    testTimeout: 20000,
    // Outside watch mode jest runs cores - 1 workers (1 on a 2-core lab VM); all cores cut the suite by about a quarter (docs/benchmarks.md).
    maxWorkers: "100%",
};
