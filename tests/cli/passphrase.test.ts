import { PassphraseKeys, configPassphrase, passphraseBackend, passphraseCrypter } from "../../cli/passphrase";

/**
 * Written by the real CLI (Pulumi 3.276): `pulumi stack init vec` and
 * `printf known-password-1 | pulumi config set --secret podlab:postgresPassword`
 * with PULUMI_CONFIG_PASSPHRASE=unit-test-passphrase, then Pulumi.vec.yaml read back.
 */
const CLI_SALT = "v1:s+IfrfO7xBc=:v1:Jk/K5okzngXEjl+J:jhylzXSJPjf72AB9H06EMgNcy2DUig==";
const CLI_SECRET = "v1:5+z12VJkh/XQw17F:+To/e7or8rd8f73Nl6hjgU2cKbz7l2mlCXtkr3hqHyc=";

describe("the passphrase secrets provider, as the Pulumi CLI writes it", () => {
    it("opens a salt and a secret the CLI wrote", async () => {
        const crypter = await passphraseCrypter("unit-test-passphrase", CLI_SALT);
        expect(crypter.decrypt(CLI_SECRET)).toBe("known-password-1");
        expect(crypter.state).toBe(CLI_SALT);
    });

    it("refuses a wrong passphrase, as the CLI does", async () => {
        await expect(passphraseCrypter("another-passphrase", CLI_SALT)).rejects.toThrow("incorrect passphrase");
    });

    it("writes a new salt whose check the CLI's format accepts, and values with fresh nonces", async () => {
        const crypter = await passphraseCrypter("p");
        expect(crypter.state).toMatch(/^v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+$/);
        const reopened = await passphraseCrypter("p", crypter.state);
        const a = crypter.encrypt("same");
        const b = crypter.encrypt("same");
        expect(a).not.toBe(b);
        expect([reopened.decrypt(a), reopened.decrypt(b)]).toEqual(["same", "same"]);
    });

    it("derives a key once per salt for a whole course", async () => {
        const keys = new PassphraseKeys("unit-test-passphrase");
        expect(keys.forState(undefined)).toBe(keys.forState(undefined));
        expect(keys.forState(CLI_SALT)).toBe(keys.forState(CLI_SALT));
    });
});

describe("when podlab writes a secret itself", () => {
    it("only in a DIY backend with the passphrase in the environment", () => {
        expect(passphraseBackend({ PULUMI_BACKEND_URL: "file:///x", PULUMI_CONFIG_PASSPHRASE: "p" })).toBe(true);
        expect(passphraseBackend({ PULUMI_BACKEND_URL: "postgres://u@h/db", PULUMI_CONFIG_PASSPHRASE: "" })).toBe(true);
        expect(passphraseBackend({ PULUMI_BACKEND_URL: "https://api.pulumi.com", PULUMI_CONFIG_PASSPHRASE: "p" })).toBe(false);
        expect(passphraseBackend({ PULUMI_CONFIG_PASSPHRASE: "p" })).toBe(false);
        expect(passphraseBackend({ PULUMI_BACKEND_URL: "file:///x" })).toBe(false);
        expect(configPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: __filename })?.startsWith("import")).toBe(true);
    });
});
