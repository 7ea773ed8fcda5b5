/**
 * Pulumi's passphrase secrets provider, for writing a secret config value into
 * a stack's config file without a `pulumi config set` run: the same format the
 * CLI reads (pkg/secrets/passphrase, sdk/go/common/resource/config/crypt.go in
 * pulumi/pulumi, "v1"): a key from PBKDF2-SHA256 over the passphrase and an
 * 8-byte salt with 1,000,000 iterations; each value AES-256-GCM with a random
 * 12-byte nonce, written `v1:<nonce>:<ciphertext+tag>` in base64; the stack's
 * `encryptionsalt` is `v1:<salt>:` followed by the encryption of "pulumi",
 * which the CLI decrypts to check the passphrase.
 *
 * Only for stacks whose secrets provider is the passphrase: a DIY backend's
 * default (PULUMI_BACKEND_URL set, not Pulumi Cloud) with the passphrase in
 * the environment and no other provider named in the stack's file. Anything
 * else keeps the CLI's `config set`.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from "crypto";
import * as fs from "fs";
import { newStackSecretsProvider } from "./pulumiEnv";

const ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const SALT_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** What the CLI encrypts into `encryptionsalt` to check a passphrase. */
const CHECK_MESSAGE = "pulumi";

/** The passphrase the CLI would use (PULUMI_CONFIG_PASSPHRASE, else the file PULUMI_CONFIG_PASSPHRASE_FILE), if any. */
export function configPassphrase(env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
        return env.PULUMI_CONFIG_PASSPHRASE;
    }
    const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    // The CLI trims the file's content.
    return file ? fs.readFileSync(file, "utf8").trim() : undefined;
}

/**
 * True when new stacks in this backend get the passphrase provider: a DIY
 * backend (not Pulumi Cloud), a passphrase in the environment, and no other
 * provider named for new stacks (PODLAB_SECRETS_PROVIDER, cli/pulumiEnv.ts).
 */
export function passphraseBackend(env: NodeJS.ProcessEnv = process.env): boolean {
    const url = env.PULUMI_BACKEND_URL;
    const provider = newStackSecretsProvider(env);
    return url !== undefined && url !== "" && !/^https?:\/\//.test(url) && configPassphrase(env) !== undefined && (provider === undefined || provider === "passphrase");
}

/** Encrypts secret config values for one salt. */
export interface PassphraseCrypter {
    /** The stack file's `encryptionsalt` for this key. */
    readonly state: string;
    encrypt(plaintext: string): string;
    decrypt(ciphertext: string): string;
}

function crypterFor(key: Buffer, state: string): PassphraseCrypter {
    return {
        state,
        encrypt: (plaintext) => {
            const nonce = randomBytes(NONCE_BYTES);
            const cipher = createCipheriv("aes-256-gcm", key, nonce);
            const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
            return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
        },
        decrypt: (ciphertext) => {
            const [version, nonce, sealed] = ciphertext.split(":");
            if (version !== "v1" || nonce === undefined || sealed === undefined) {
                throw new Error("not a v1 passphrase-encrypted value");
            }
            const bytes = Buffer.from(sealed, "base64");
            const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
            decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
            return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
        },
    };
}

/** PBKDF2 runs on libuv's thread pool, so the event loop (progress, other learners) keeps going. */
function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => pbkdf2(passphrase, salt, ITERATIONS, KEY_BYTES, "sha256", (err, key) => (err ? reject(err) : resolve(key))));
}

/**
 * The crypter of an existing `encryptionsalt` (checking the passphrase as the
 * CLI does), or of a new salt. Derivation costs about 0.3 CPU-seconds, so
 * callers keep the result for every stack that shares the salt.
 */
export async function passphraseCrypter(passphrase: string, state?: string): Promise<PassphraseCrypter> {
    if (state === undefined) {
        const salt = randomBytes(SALT_BYTES);
        const key = await deriveKey(passphrase, salt);
        const check = crypterFor(key, "").encrypt(CHECK_MESSAGE);
        return crypterFor(key, `v1:${salt.toString("base64")}:${check}`);
    }
    const [version, salt] = state.split(":");
    if (version !== "v1" || salt === undefined) {
        throw new Error(`encryptionsalt ${JSON.stringify(state.slice(0, 12))}... is not a v1 passphrase salt`);
    }
    const key = await deriveKey(passphrase, Buffer.from(salt, "base64"));
    const crypter = crypterFor(key, state);
    let check: string | undefined;
    try {
        check = crypter.decrypt(state.slice(state.indexOf(":", 3) + 1));
    } catch {
        // wrong key: GCM's tag does not match
    }
    if (check !== CHECK_MESSAGE) {
        throw new Error("incorrect passphrase: PULUMI_CONFIG_PASSPHRASE does not open this stack's encryptionsalt");
    }
    return crypter;
}

/**
 * Crypters by salt, derived at most once each per command: a course writes one
 * new salt into every new learner's stack file, so a class of any size costs
 * one derivation here (the CLI still derives its key once per run).
 */
export class PassphraseKeys {
    private readonly bySalt = new Map<string, Promise<PassphraseCrypter>>();
    private fresh?: Promise<PassphraseCrypter>;

    constructor(private readonly passphrase: string) {}

    /** The crypter for a stack file's salt, or the shared new one when it has none. */
    forState(state: string | undefined): Promise<PassphraseCrypter> {
        if (state === undefined) {
            this.fresh ??= passphraseCrypter(this.passphrase);
            return this.fresh;
        }
        let c = this.bySalt.get(state);
        if (c === undefined) {
            c = passphraseCrypter(this.passphrase, state);
            this.bySalt.set(state, c);
        }
        return c;
    }
}
