#!/usr/bin/env python3
# SPDX-License-Identifier: MPL-2.0
"""Offline dnstwist: generate every permutation of every protected domain with dnstwist's own
Fuzzer (no DNS, WHOIS, HTTP or any other network use), then look up each corpus domain (one per
stdin line) among them. Writes `domain<TAB>protected domains it is a variant of<TAB>fuzzers`
(both comma-joined, empty when it is none), and a summary on stderr.

  run_dnstwist.py PROTECTED_FILE TLD_FILE < domains > out.tsv

dnstwist's defaults otherwise: every fuzzer, no word dictionary (the CLI's default, --dictionary
unset), the TLD dictionary from TLD_FILE (mailcheck's default TLD list plus the protected set's
TLDs, the same knowledge mailcheck gets; dnstwist's CLI uses none unless --tld FILE is given).
Variants come out as A-labels (punycode); a corpus domain is compared in its raw (lower-cased)
form and as an A-label made with the same IDNA codec dnstwist uses. A permutation that is itself a
protected domain is dropped (the protected set is the allow-list).
"""
import sys
import time

import dnstwist

t0 = time.perf_counter()
protected = [d for d in open(sys.argv[1], encoding="utf-8").read().split("\n") if d]
tlds = sorted({t for t in open(sys.argv[2], encoding="utf-8").read().split("\n") if t})


def a_label(domain):
    try:
        return dnstwist.idna.encode(domain).decode("ascii").lower()
    except Exception:  # not encodable (empty label, too long, prohibited code point)
        return None


def u_label(domain):
    try:
        return dnstwist.idna.decode(domain).lower()
    except Exception:
        return None


variants = {}  # variant (A-label and U-label form) -> {(protected domain, fuzzer)}
generated = 0
for p in protected:
    fuzz = dnstwist.Fuzzer(p, dictionary=[], tld_dictionary=list(tlds))
    fuzz.generate()
    for perm in fuzz.permutations():
        if perm["fuzzer"] == "*original":
            continue
        generated += 1
        for form in {perm["domain"], u_label(perm["domain"])}:
            if form:
                variants.setdefault(form, set()).add((p, perm["fuzzer"]))
# A protected domain is never a lookalike of another one (hotmail.dk is a tld-swap of hotmail.com):
# a real deployment keeps its own list as an allow-list, as Skranke does and mailcheck's exact match does.
for p in protected:
    for form in {p, a_label(p)}:
        variants.pop(form, None)
t_gen = time.perf_counter() - t0

lines = sys.stdin.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
out = []
for domain in lines:
    hits = set()
    for form in {domain.lower(), a_label(domain)}:
        if form:
            hits |= variants.get(form, set())
    out.append("\t".join([domain, ",".join(sorted({p for p, _ in hits})), ",".join(sorted({f for _, f in hits}))]))
sys.stdout.write("\n".join(out) + ("\n" if out else ""))
print(
    f"dnstwist {dnstwist.__version__}: {generated} permutations of {len(protected)} protected domains "
    f"({len(tlds)} TLDs) in {t_gen:.1f} s; {len(out)} domains looked up in {time.perf_counter() - t0 - t_gen:.2f} s",
    file=sys.stderr,
)
