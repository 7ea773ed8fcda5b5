#!/usr/bin/env node
// Runs a command on Node.js 24, the major package.json's engines admits:
//   node lab/node24.js [--lab] COMMAND [ARGS...]
// - the machine's own Node.js (the `node` running this) when it is 24.x: the command runs as it is,
//   nothing is fetched;
// - otherwise the lab's pinned Node.js (lab/lib/versions.sh), fetched once into the podlab cache,
//   where the npm registry has a package for this platform (Linux x64 and arm64);
// - otherwise nothing runs, and a message says what to install.
// Either way it first runs `npm ci` when node_modules was not installed from package-lock.json as it
// is now (lab/lib/packages-installed.js records that), as lab/with-node does.
// With --lab, a command run on the lab (PODLAB_KUBECONFIG unset) runs under lab/with-env instead:
// the lab's Pulumi CLI, backend and kubeconfig (lab/env), on the pinned Node.js. Off the lab
// (PODLAB_KUBECONFIG set) it runs with the user's own environment (docs/own-cluster.md).
// Plain CommonJS on purpose: it must run on whatever old Node.js a machine has, to say so.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");

/** The major version package.json's engines admits (">=24 <25"). */
function requiredMajor(pkg) {
    const m = /^>=(\d+) <(\d+)$/.exec((pkg.engines || {}).node || "");
    if (!m || Number(m[2]) !== Number(m[1]) + 1) {
        throw new Error(`package.json engines.node must admit one major (">=N <N+1"); got ${JSON.stringify((pkg.engines || {}).node)}`);
    }
    return Number(m[1]);
}

/** The pinned version and the platforms it can be fetched for, as lab/lib/versions.sh pins them. */
function pinned(versionsSh) {
    const version = (/^PODLAB_NODEJS_VERSION=(\S+)$/m.exec(versionsSh) || [])[1];
    const platforms = [];
    const re = /^PODLAB_NODEJS_INTEGRITY_([a-z0-9]+)_([a-z0-9]+)=sha512-\S+$/gm;
    for (let m = re.exec(versionsSh); m !== null; m = re.exec(versionsSh)) {
        platforms.push(`${m[1]}-${m[2]}`);
    }
    return { version, platforms };
}

/**
 * What to run the command on: "own" (this Node.js), "pinned" (the lab's, fetched if need be),
 * "lab" (lab/with-env), or "missing" with the message to print.
 */
function decide(a) {
    if (a.lab && !a.offLab) {
        return { use: "lab" };
    }
    const major = Number(a.nodeVersion.replace(/^v/, "").split(".")[0]);
    if (major === a.major) {
        return { use: "own" };
    }
    const platform = `${a.platform}-${a.arch}`;
    if (a.pinnedPlatforms.includes(platform)) {
        return { use: "pinned" };
    }
    const fetchable = a.pinnedPlatforms.join(", ");
    return {
        use: "missing",
        message:
            `podlab needs Node.js ${a.major} (package.json engines), and this is Node.js ${a.nodeVersion} on ${platform}. ` +
            `The npm registry has no Node.js ${a.pinnedVersion} package for ${platform} for podlab to fetch (it does for ${fetchable}). ` +
            `Install Node.js ${a.major} (https://nodejs.org/en/download; or brew install node@${a.major}, nvm install ${a.major}, fnm install ${a.major}) ` +
            "so that `node --version` prints v" + a.major + ".x, and run the command again.",
    };
}

/** True when node_modules and policy/node_modules were installed from their package-lock.json as it is now. */
function packagesInstalled() {
    const crypto = require("crypto");
    return [".", "policy"].every((dir) => {
        const marker = path.join(ROOT, dir, "node_modules", ".podlab-lock.sha256");
        const lock = crypto.createHash("sha256").update(fs.readFileSync(path.join(ROOT, dir, "package-lock.json"))).digest("hex");
        return fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === lock;
    });
}

/** Runs the command, passing on signals, and exits as it did. */
function run(command, args, env) {
    const child = spawn(command, args, { stdio: "inherit", env, shell: process.platform === "win32" });
    const forward = (signal) => child.kill(signal);
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of signals) {
        process.on(s, forward);
    }
    child.on("error", (e) => {
        console.error(`podlab: cannot run ${command}: ${e.message}`);
        process.exit(127);
    });
    child.on("exit", (code, signal) => {
        for (const s of signals) {
            process.removeListener(s, forward);
        }
        if (signal) {
            process.kill(process.pid, signal);
            return;
        }
        process.exit(code === null ? 1 : code);
    });
}

function main(argv) {
    const lab = argv[0] === "--lab";
    const command = lab ? argv.slice(1) : argv;
    if (command.length === 0) {
        console.error("usage: node lab/node24.js [--lab] COMMAND [ARGS...]");
        process.exit(2);
    }
    const pin = pinned(fs.readFileSync(path.join(ROOT, "lab", "lib", "versions.sh"), "utf8"));
    const choice = decide({
        lab,
        offLab: Boolean(process.env.PODLAB_KUBECONFIG),
        nodeVersion: process.version,
        major: requiredMajor(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"))),
        platform: process.platform,
        arch: process.arch,
        pinnedVersion: pin.version,
        pinnedPlatforms: pin.platforms,
    });
    switch (choice.use) {
        case "own":
            if (!packagesInstalled()) {
                console.error("podlab: node_modules was not installed from package-lock.json as it is: npm ci");
                const ci = require("child_process").spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: ["ignore", 2, 2], shell: process.platform === "win32" });
                if (ci.status !== 0) {
                    process.exit(ci.status === null ? 1 : ci.status);
                }
            }
            return run(command[0], command.slice(1), process.env);
        case "pinned":
            // podlab_use_nodejs fetches it when the cache lacks it (and says so), then puts it first on PATH.
            return run("bash", ["-c", 'source "$0/lab/lib/versions.sh" && podlab_use_nodejs && podlab_install_packages && exec "$@"', ROOT, ...command], process.env);
        case "lab":
            return run("bash", [path.join(ROOT, "lab", "with-env"), ...command], process.env);
        default:
            console.error(choice.message);
            process.exit(1);
    }
}

if (require.main === module) {
    main(process.argv.slice(2));
}

module.exports = { decide, pinned, requiredMajor };
