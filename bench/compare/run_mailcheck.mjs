// SPDX-License-Identifier: MPL-2.0
// Runs mailcheck (Kicksend's library, from bench/compare/node_modules) on one domain per stdin
// line, as `person@DOMAIN`, and writes `domain<TAB>suggested domain` (empty when mailcheck suggests
// nothing). Domain list: mailcheck's defaults plus the protected set (file given as argv[2]);
// second-level list: mailcheck's defaults; top-level list: mailcheck's defaults plus the last label
// of every protected domain (so `.nu`, `.me`, `.io` of protected domains are known TLDs).
//   node run_mailcheck.mjs PROTECTED_FILE < domains > out.tsv
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const Mailcheck = require("mailcheck");

const protectedDomains = readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
const union = (a, b) => [...new Set([...a, ...b])];
const domains = union(Mailcheck.defaultDomains, protectedDomains);
const secondLevelDomains = [...Mailcheck.defaultSecondLevelDomains];
const topLevelDomains = union(
  Mailcheck.defaultTopLevelDomains,
  protectedDomains.map((d) => d.split(".").pop()),
);

const decode = (s) => {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
};

const input = readFileSync(0, "utf8").split("\n");
if (input.length && input[input.length - 1] === "") input.pop();
const out = [];
for (const domain of input) {
  const suggestion = Mailcheck.run({
    email: `person@${domain}`,
    domains,
    secondLevelDomains,
    topLevelDomains,
    suggested: (r) => decode(r.domain),
    empty: () => "",
  });
  out.push(`${domain}\t${suggestion}`);
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
