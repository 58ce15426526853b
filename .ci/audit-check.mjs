// Reads `cargo audit --json` output and .ci/audit-accepted.json; prints every finding with its
// verdict and exits 1 when any finding is not accepted. Usage: node audit-check.mjs REPORT CONFIG
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const [reportPath, configPath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, "utf8"));
const config = JSON.parse(readFileSync(configPath, "utf8"));
let failures = 0;

/** Whether cargo tree finds `name@version` in any build: every target, feature and edge kind. */
function built(name, version) {
  const out = execFileSync(
    "cargo",
    ["tree", "--locked", "--target", "all", "--all-features", "-e", "normal,build,dev", "-i", `${name}@${version}`],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  return out.trim().length > 0;
}

for (const v of report.vulnerabilities.list) {
  const { id, title } = v.advisory;
  const { name, version } = v.package;
  const why = config.not_built[name];
  if (why !== undefined && !built(name, version)) {
    console.log(`accepted  ${id} ${name} ${version} (vulnerability, not built): ${title}\n          why: ${why}`);
  } else {
    console.log(`FAILED    ${id} ${name} ${version} (vulnerability): ${title}`);
    failures++;
  }
}

for (const [kind, list] of Object.entries(report.warnings)) {
  for (const w of list) {
    const id = w.advisory ? w.advisory.id : "(no advisory)";
    const { name, version } = w.package;
    const accepted = w.advisory ? config.accepted[id] : undefined;
    if (accepted && accepted.crate === name) {
      console.log(`accepted  ${id} ${name} ${version} (${kind}): ${accepted.reason}`);
    } else {
      console.log(`FAILED    ${id} ${name} ${version} (${kind}): not in .ci/audit-accepted.json`);
      failures++;
    }
  }
}

const stale = Object.keys(config.accepted).filter(
  (id) => !Object.values(report.warnings).some((l) => l.some((w) => w.advisory && w.advisory.id === id)),
);
for (const id of stale) console.log(`note      ${id} is accepted but no longer reported; remove it from the config`);

console.log(
  `cargo audit: ${report.lockfile["dependency-count"]} crates in Cargo.lock against ${report.database["advisory-count"]} advisories; ` +
    `${report.vulnerabilities.count} vulnerabilities, ${Object.values(report.warnings).flat().length} warnings, ${failures} not accepted`,
);
process.exit(failures > 0 ? 1 : 0);
