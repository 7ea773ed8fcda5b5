/**
 * The podlab policy pack. `pulumi preview --policy-pack policy` runs this file,
 * which starts the analyzer; the policies live in ./policies (see docs/policy.md
 * for enforcement levels and configuration).
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("podlab", { policies });
