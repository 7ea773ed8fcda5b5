import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { POSTGRES_PASSWORD_KEY } from "./postgresPod";
import { childMetadata, podLabels } from "./podSpec";
import { assertDnsLabel } from "./validation";

/** The Secret an exercise's postgres pods take their password from (under key `password`). */
export const LESSON_PASSWORD_SECRET = "postgres-credentials";

export interface LessonPasswordArgs {
    /** The learner's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** The Secret's name. Default: `postgres-credentials`. */
    readonly secretName?: string;
    /**
     * The password. Default: a 24-character `RandomPassword` owned by this
     * component. Either way a Pulumi secret, reaching pods only through the Secret.
     */
    readonly password?: pulumi.Input<string>;
    /** Extra labels on the Secret (e.g. the course and learner). Default: none. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The password of the postgres pods a learner makes in an exercise. A learner
 * may read Secrets but not create them, so podlab makes this one, and the
 * lesson's YAML refers to it (`secretKeyRef`): no password is ever written in a
 * file the learner applies.
 */
export class LessonPassword extends pulumi.ComponentResource {
    /** The Secret's name. */
    public readonly secretName: pulumi.Output<string>;

    constructor(name: string, args: LessonPasswordArgs, opts?: pulumi.ComponentResourceOptions) {
        const secretName = assertDnsLabel(`LessonPassword ${name}: secretName`, args.secretName ?? LESSON_PASSWORD_SECRET);
        super("podlab:index:LessonPassword", name, {}, opts);
        const password = args.password ?? new random.RandomPassword(`${name}-password`, { length: 24, special: false }, { parent: this }).result;
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: childMetadata(secretName, args.namespace, podLabels("postgres", secretName, "database", args.labels)),
                type: "Opaque",
                stringData: { [POSTGRES_PASSWORD_KEY]: pulumi.secret(password) },
            },
            { parent: this, deleteBeforeReplace: true },
        );
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}
