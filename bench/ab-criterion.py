#!/usr/bin/env python3
"""Paired A/B of one criterion bench between two git revisions, for a noisy machine.

    bench/ab-criterion.py REV_A REV_B --package skranke-recipient --bench lookalike \
        --filter 'lookalike_check/(unknown|citizens)' [--pairs 7] [--seconds 2]

This machine's speed drifts by 10-40 % within minutes (other tenants share it), so a single run
before and after a change says little. This script builds the bench binary of each revision once
(each in its own git worktree and target directory, under a temporary directory), then runs the
two alternately, A B, B A, A B ..., each with a short measurement, and reports per benchmark the
median of each side and the median of the paired ratios B/A (a ratio above 1 means B is faster).
Every pair sees nearly the same machine, so the paired ratio is what to read; the medians of
each side show how much the machine moved.

Only the standard library and git/cargo are used.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def build(repo, rev, workdir, package, bench):
    """Builds the bench binary of `rev`; returns its path and its target directory."""
    tree = os.path.join(workdir, "tree-" + rev.replace("/", "_"))
    target = os.path.join(workdir, "target-" + rev.replace("/", "_"))
    subprocess.run(["git", "-C", repo, "worktree", "add", "--detach", "--force", tree, rev],
                   check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    out = subprocess.run(
        ["cargo", "bench", "-p", package, "--bench", bench, "--no-run", "--message-format=json"],
        cwd=tree, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and "bench" in message.get("target", {}).get("kind", []):
            return message["executable"], target, tree
    sys.exit(f"no bench executable for {rev}")


def run(binary, target, filter_regex, seconds):
    """Runs the benches matching the filter once; returns {benchmark id: mean ns per iteration}."""
    env = dict(os.environ, CRITERION_HOME=os.path.join(target, "criterion"))
    subprocess.run([binary, "--bench", filter_regex, "--warm-up-time", "0.5",
                    "--measurement-time", str(seconds), "--noplot"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    found = {}
    root = os.path.join(target, "criterion")
    for directory, _, files in os.walk(root):
        if "estimates.json" in files and os.path.basename(directory) == "new":
            benchmark = os.path.relpath(os.path.dirname(directory), root)
            with open(os.path.join(directory, "estimates.json")) as f:
                found[benchmark] = json.load(f)["mean"]["point_estimate"]
            os.remove(os.path.join(directory, "estimates.json"))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev_a")
    parser.add_argument("rev_b")
    parser.add_argument("--package", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--filter", required=True, help="criterion filter (a regex)")
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=2.0, help="measurement time per run")
    args = parser.parse_args()
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="skranke-ab-") as workdir:
        trees = []
        try:
            sides = {}
            for side, rev in (("A", args.rev_a), ("B", args.rev_b)):
                binary, target, tree = build(repo, rev, workdir, args.package, args.bench)
                trees.append(tree)
                sides[side] = (binary, target)
            times = {"A": {}, "B": {}}
            pairs = []
            for i in range(args.pairs):
                order = ("A", "B") if i % 2 == 0 else ("B", "A")
                got = {}
                for side in order:
                    got[side] = run(*sides[side], args.filter, args.seconds)
                    for benchmark, ns in got[side].items():
                        times[side].setdefault(benchmark, []).append(ns)
                pairs.append(got)
                print(f"pair {i + 1}/{args.pairs} done", file=sys.stderr)
        finally:
            for tree in trees:
                subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", tree],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"A = {args.rev_a}, B = {args.rev_b}; {args.pairs} pairs of "
          f"{args.seconds:g} s runs; time per iteration, median (ratio > 1: B faster)")
    print(f"{'benchmark':60} {'A':>12} {'B':>12} {'A/B paired':>11} {'B faster':>9}")
    for benchmark in sorted(times["A"]):
        a, b = times["A"][benchmark], times["B"].get(benchmark, [])
        ratios = [p["A"][benchmark] / p["B"][benchmark] for p in pairs
                  if benchmark in p["A"] and benchmark in p["B"]]
        if not b or not ratios:
            continue
        wins = sum(1 for r in ratios if r > 1)
        print(f"{benchmark:60} {fmt(statistics.median(a)):>12} {fmt(statistics.median(b)):>12} "
              f"{statistics.median(ratios):>11.3f} {wins:>4}/{len(ratios)}")


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit}"
    return f"{ns:.1f} ns"


if __name__ == "__main__":
    main()
