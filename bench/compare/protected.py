#!/usr/bin/env python3
# SPDX-License-Identifier: MPL-2.0
"""Print the protected domain set Skranke checks against, one per line, sorted.

The same set is handed to mailcheck and dnstwist so the comparison is fair:
  * every municipal domain in shared/data/dk-municipal-domains.tsv (web, e-mail, other known);
  * the regions, state services and mail providers compiled into Skranke
    (REGIONS, STATE, PROVIDERS in crates/skranke-recipient/src/lookalike/known.rs, read, never
    edited; WELL_KNOWN is "known but not protected" in Skranke and is left out here too);
  * the registrable domain of a protected subdomain (`tele.dk` for `mail.tele.dk`).

  protected.py REPO_ROOT SHARED_TSV              # the protected set
  protected.py REPO_ROOT SHARED_TSV --well-known # WELL_KNOWN alone (for the scorer's split only)
"""
import re
import sys
from pathlib import Path

root, tsv = Path(sys.argv[1]), Path(sys.argv[2])
well_known_only = sys.argv[3:] == ["--well-known"]
domains = set()


def rust_list(text, name):
    m = re.search(r"pub const " + name + r": &\[&str\] = &\[(.*?)\];", text, re.S)
    found = re.findall(r'"([^"]+)"', m.group(1)) if m else []
    if not found:
        sys.exit(f"protected.py: list {name} not found (or empty) in known.rs")
    return [d.lower() for d in found]


with tsv.open(encoding="utf-8") as f:
    header = f.readline().rstrip("\n").split("\t")
    cols = [header.index(c) for c in ("web_domain", "email_domain", "other_known_domains")]
    for line in f:
        row = line.rstrip("\n").split("\t")
        for c in cols:
            if c < len(row):
                domains.update(d for d in re.split(r"[,;\s]+", row[c].strip().lower()) if d)

known = (root / "crates/skranke-recipient/src/lookalike/known.rs").read_text(encoding="utf-8")
if well_known_only:
    print("\n".join(sorted(set(rust_list(known, "WELL_KNOWN")))))
    sys.exit(0)
for name in ("REGIONS", "STATE", "PROVIDERS"):
    domains.update(rust_list(known, name))

# Skranke judges by registrable domain, so `mail.tele.dk` also protects `tele.dk`; say so for the others.
for d in list(domains):
    labels = d.split(".")
    if len(labels) > 2 and labels[-2] not in ("co", "com", "org", "net", "ac", "gov"):
        domains.add(".".join(labels[-2:]))

for d in sorted(domains):
    print(d)
