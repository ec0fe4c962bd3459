#!/usr/bin/env python3
# SPDX-License-Identifier: MPL-2.0
"""Scores the three tools' answers on the corpora and prints one markdown table.

  score.py OUT_DIR CORPORA_DIR

OUT_DIR holds domains.txt (every corpus domain once, in the order fed to the tools),
skranke.tsv, mailcheck.tsv, dnstwist.tsv (one answer line per domain, same order), times.tsv
(`tool<TAB>seconds`), protected.txt and well-known.txt. Writes OUT_DIR/misses-TOOL.tsv too.

What counts as flagged:
  skranke   verdict `lookalike` (the suggestion column is its "did you mean" / target); one extra
            row also counts `invalid`, which stops the sender without naming a lookalike;
  mailcheck any suggestion;
  dnstwist  the domain is a generated permutation of some protected domain.
"""
import csv
import sys
from collections import OrderedDict
from pathlib import Path

out, corpora = Path(sys.argv[1]), Path(sys.argv[2])
TOOLS = ("skranke", "mailcheck", "dnstwist")


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def lines(path):
    return [l for l in Path(path).read_text(encoding="utf-8").split("\n") if l]


domains = Path(out / "domains.txt").read_text(encoding="utf-8").split("\n")[:-1]
protected = set(lines(out / "protected.txt"))
well_known = set(lines(out / "well-known.txt"))
times = dict(l.split("\t") for l in lines(out / "times.tsv"))


def answers(tool):
    rows = Path(out / f"{tool}.tsv").read_text(encoding="utf-8").split("\n")[:-1]
    if len(rows) != len(domains):
        sys.exit(f"score.py: {tool} gave {len(rows)} answers for {len(domains)} domains")
    return [r.split("\t") for r in rows]


# Per tool and domain: (flagged, suggested or named domains, free-text detail).
judged = {t: {} for t in TOOLS}
for d, (inp, verdict, suggestion, detail) in zip(domains, answers("skranke")):
    sugg = suggestion.rpartition("@")[2]
    judged["skranke"][d] = (verdict == "lookalike", {sugg} if sugg else set(), f"{verdict} {suggestion} {detail}")
for d, (dom, sugg) in zip(domains, answers("mailcheck")):
    assert dom == d, (dom, d)
    judged["mailcheck"][d] = (bool(sugg), {sugg} if sugg else set(), sugg)
for d, (dom, targets, fuzzers) in zip(domains, answers("dnstwist")):
    assert dom == d, (dom, d)
    judged["dnstwist"][d] = (bool(targets), set(filter(None, targets.split(","))), f"{targets} {fuzzers}")

lookalikes = read_tsv(corpora / "lookalikes.tsv")
negatives = read_tsv(corpora / "negatives.tsv")
typos = read_tsv(corpora / "typos.tsv")


def is_idn(domain):
    return not domain.isascii() or any(l.startswith("xn--") for l in domain.lower().split("."))


def fmt(num, den):
    if den == 0:
        return "–"
    return f"{100 * num / den:.1f} % ({num:,}/{den:,})"


table = []  # (label, {tool: cell})
misses = {t: [] for t in TOOLS}


def recall_row(label, rows, tools=TOOLS):
    cells = {}
    for t in TOOLS:
        if t not in tools:
            cells[t] = "n/a"
            continue
        hit = sum(judged[t][r["domain"]][0] for r in rows)
        cells[t] = fmt(hit, len(rows))
    table.append((f"{label} (n={len(rows):,})", cells))


# Lookalike recall.
for t in TOOLS:
    for r in lookalikes:
        if not judged[t][r["domain"]][0]:
            misses[t].append(("missed-lookalike", r["expected"], r["domain"], r["resembles"], judged[t][r["domain"]][2]))
recall_row("**Lookalikes: recall, all**", lookalikes)
# Skranke rejects some lookalikes as malformed addresses before its lookalike rule runs (`kk.d`,
# `fredericia.dk.`, `ikast-.dk`): the sender is stopped all the same, but not told why.
stopped = sum(judged["skranke"][r["domain"]][2].split(" ")[0] in ("lookalike", "invalid") for r in lookalikes)
table.append((f"&nbsp;&nbsp;all, counting Skranke's `invalid` verdict as caught (n={len(lookalikes):,})",
              {"skranke": fmt(stopped, len(lookalikes)), "mailcheck": "n/a", "dnstwist": "n/a"}))
classes = OrderedDict()
for r in sorted(lookalikes, key=lambda r: r["expected"]):
    classes.setdefault(r["expected"], []).append(r)
for cls, rows in classes.items():
    label = f"**{cls}**" if cls in ("homoglyph", "truncation") else cls
    recall_row(f"&nbsp;&nbsp;{label}", rows)
    if cls == "homoglyph":
        recall_row("&nbsp;&nbsp;&nbsp;&nbsp;homoglyph, IDN (Unicode or xn--)", [r for r in rows if is_idn(r["domain"])])
        recall_row("&nbsp;&nbsp;&nbsp;&nbsp;homoglyph, ASCII (g00gle, rn→m)", [r for r in rows if not is_idn(r["domain"])])
hand = [r for r in lookalikes if r["source"] == "hand"]
recall_row("&nbsp;&nbsp;hand-made rows only", hand)
cells = {}
for t in TOOLS:
    right = sum(r["resembles"] in judged[t][r["domain"]][1] for r in lookalikes)
    cells[t] = fmt(right, len(lookalikes))
table.append((f"Lookalikes flagged **and** the right domain named (n={len(lookalikes):,})", cells))

# False positives.
kinds = OrderedDict()
for r in sorted(negatives, key=lambda r: r["kind"]):
    kinds.setdefault(r["kind"], []).append(r)


def fp_row(label, rows):
    cells = {}
    for t in TOOLS:
        fp = [r for r in rows if judged[t][r["domain"]][0]]
        cells[t] = fmt(len(fp), len(rows))
    table.append((f"{label} (n={len(rows):,})", cells))


for t in TOOLS:
    for r in negatives:
        if judged[t][r["domain"]][0]:
            misses[t].append(("false-positive", r["kind"], r["domain"], "", judged[t][r["domain"]][2]))
fp_row("**Negatives: false positives, all**", negatives)
for kind, rows in kinds.items():
    fp_row(f"&nbsp;&nbsp;{kind}", rows)
    if kind == "real":
        fp_row("&nbsp;&nbsp;&nbsp;&nbsp;real: the protected domains themselves", [r for r in rows if r["domain"] in protected])
        fp_row("&nbsp;&nbsp;&nbsp;&nbsp;real: other organisations (Skranke's WELL_KNOWN list)",
               [r for r in rows if r["domain"] not in protected and r["domain"] in well_known])
        rest = [r for r in rows if r["domain"] not in protected and r["domain"] not in well_known]
        if rest:
            fp_row("&nbsp;&nbsp;&nbsp;&nbsp;real: in none of Skranke's lists", rest)

# Typo suggestions.
with_sugg = [r for r in typos if r["suggestion"]]
without = [r for r in typos if not r["suggestion"]]
cells = {}
for t in ("skranke", "mailcheck"):
    right = 0
    for r in with_sugg:
        got = judged[t][r["typed"]][1]
        if got == {r["suggestion"]}:
            right += 1
        else:
            misses[t].append(("wrong-typo-suggestion", "", r["typed"], r["suggestion"], judged[t][r["typed"]][2]))
    cells[t] = fmt(right, len(with_sugg))
cells["dnstwist"] = "n/a"
table.append((f"**Typos: the intended domain suggested** (n={len(with_sugg):,})", cells))
cells = {"dnstwist": "n/a"}
for t in ("skranke", "mailcheck"):
    cells[t] = fmt(sum(bool(judged[t][r["typed"]][1]) for r in without), len(without))
table.append((f"Typo corpus' correct domains given a suggestion (n={len(without):,})", cells))
# dnstwist has no suggestion; the nearest notion is "a permutation of the intended domain".
dn_right = sum(r["suggestion"] in judged["dnstwist"][r["typed"]][1] for r in with_sugg)

table.append(("**Wall time** (all {:,} domains, one run)".format(len(domains)),
              {t: f"{float(times[t]):.2f} s" for t in TOOLS}))

print("| measure | skranke | mailcheck | dnstwist |")
print("| --- | ---: | ---: | ---: |")
for label, cells in table:
    print(f"| {label} | " + " | ".join(cells[t] for t in TOOLS) + " |")
print()
print(f"dnstwist has no suggestion; {fmt(dn_right, len(with_sugg))} of the typos are a permutation of the "
      "intended domain (and so would be found by a defender watching that domain).")

for t in TOOLS:
    with open(out / f"misses-{t}.tsv", "w", encoding="utf-8") as f:
        f.write("what\tclass_or_kind\tdomain\texpected\ttool_said\n")
        for m in misses[t]:
            f.write("\t".join(m) + "\n")
