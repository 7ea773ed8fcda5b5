/** Unit tests only: mocked Pulumi, no cluster. Type checking is `tsc --noEmit` (npm test runs both). */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": "ts-jest" },
    testTimeout: 20000,
};
