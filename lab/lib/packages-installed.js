// npm's postinstall: records that node_modules and policy/node_modules were installed from their
// package-lock.json as it is now (each lock's sha256 beside its tree), so lab/with-node does not
// install them again (podlab_install_packages in versions.sh reads it). Node.js only, so that
// `npm ci` works on any machine npm runs on (no bash, no sha256sum).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..", "..");
for (const dir of [".", "policy"]) {
    const lock = fs.readFileSync(path.join(root, dir, "package-lock.json"));
    const sha256 = crypto.createHash("sha256").update(lock).digest("hex");
    fs.writeFileSync(path.join(root, dir, "node_modules", ".podlab-lock.sha256"), `${sha256}\n`);
}
