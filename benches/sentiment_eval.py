#!/usr/bin/env python3
"""Scores the development sets in ../shared/data/sentiment/ with `veille score` and prints the metrics the
data's README defines.

English (en_dev.tsv, gold = mean human rating on -4..4): Pearson r between score and gold, overall and per
set; 3-class accuracy (gold |g| < 0.5 is neutral); pos/neg accuracy on items with |g| >= 0.5, a neutral
prediction counting as wrong. French (fr_dev.tsv): accuracy and macro-F1 (over pos and neg) on the pos/neg
items, a neutral prediction counting as wrong, overall and per set; 3-class accuracy on the tweets.

Every figure is also given on two fixed halves of the data (by a hash of the item id), `A` and `B`, so that
a change tuned while looking at one half can be checked on the other. With `--lang-check` it also runs
`--lang auto` and reports how often the language is detected right.

The binary is $VEILLE_BIN, else target/release/veille. Without the data this prints why and exits 0.
Usage: python3 benches/sentiment_eval.py [--lang-check] [--data DIR]  (default: ../shared/data/sentiment)
"""
import math
import os
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                rows.append((parts[0], parts[1], "\t".join(parts[2:])))
    return rows


def run(binary, lang, texts):
    data = "".join(t.replace("\n", " ") + "\n" for t in texts).encode("utf-8")
    start = time.perf_counter()
    out = subprocess.run([binary, "score", "--json", "--lang", lang], input=data, capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    import json

    lines = out.stdout.decode("utf-8").splitlines()
    if len(lines) != len(texts):
        sys.exit(f"veille score printed {len(lines)} lines for {len(texts)} texts")
    return [json.loads(l) for l in lines], elapsed


def half(item_id):
    return "A" if zlib.crc32(item_id.encode()) % 2 == 0 else "B"


def pearson(xs, ys):
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def gold3(g):
    return "neu" if abs(g) < 0.5 else ("pos" if g > 0 else "neg")


def en_metrics(items):
    """items: (gold score, predicted score, predicted label)"""
    r = pearson([p for _, p, _ in items], [g for g, _, _ in items])
    acc3 = sum(gold3(g) == l for g, _, l in items) / len(items)
    polar = [(g, l) for g, _, l in items if abs(g) >= 0.5]
    pn = sum((l == "pos") == (g > 0) and l != "neu" for g, l in polar) / len(polar) if polar else float("nan")
    return r, acc3, pn, len(items)


def fr_metrics(items):
    """items: (gold label, predicted label); returns pos/neg accuracy, macro-F1, 3-class accuracy."""
    polar = [(g, p) for g, p in items if g in ("pos", "neg")]
    acc = sum(g == p for g, p in polar) / len(polar) if polar else float("nan")
    f1s = []
    for c in ("pos", "neg"):
        tp = sum(g == c and p == c for g, p in polar)
        fp = sum(g != c and p == c for g, p in polar)
        fn = sum(g == c and p != c for g, p in polar)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    acc3 = sum(g == p for g, p in items) / len(items) if items else float("nan")
    return acc, sum(f1s) / 2, acc3, len(polar)


def main():
    args = sys.argv[1:]
    # ../shared beside the repository; a git worktree one level deeper looks one more level up.
    candidates = [os.path.join(ROOT, *[".."] * up, "shared", "data", "sentiment") for up in (1, 2)]
    data = next((c for c in candidates if os.path.isdir(c)), candidates[0])
    if "--data" in args:
        data = args[args.index("--data") + 1]
    en_path, fr_path = os.path.join(data, "en_dev.tsv"), os.path.join(data, "fr_dev.tsv")
    if not (os.path.exists(en_path) and os.path.exists(fr_path)):
        print(f"sentiment_eval: no evaluation data in {data}; skipped.")
        return 0
    binary = os.environ.get("VEILLE_BIN", os.path.join(ROOT, "target", "release", "veille"))
    if not os.path.exists(binary):
        print(f"sentiment_eval: no binary at {binary}; build it with `cargo build --release` or set VEILLE_BIN.")
        return 1

    en = read_tsv(en_path)
    out, t = run(binary, "en", [x for _, _, x in en])
    print(f"English: {len(en)} items, {len(en) / t:,.0f} items/s end to end")
    rows = [(i, float(g), o["score"], o["label"]) for (i, g, _), o in zip(en, out)]
    print(f"  {'subset':<16} {'n':>6} {'pearson':>8} {'acc3':>7} {'pos/neg':>8}")
    sets = sorted({i.split(":")[0] for i, *_ in rows})
    for name, sel in [("all", lambda i: True)] + [(s, (lambda s: lambda i: i.startswith(s + ":"))(s)) for s in sets] + [
        ("half A", lambda i: half(i) == "A"),
        ("half B", lambda i: half(i) == "B"),
    ]:
        r, acc3, pn, n = en_metrics([(g, p, l) for i, g, p, l in rows if sel(i)])
        print(f"  {name:<16} {n:>6} {r:>8.3f} {acc3:>7.3f} {pn:>8.3f}")

    fr = read_tsv(fr_path)
    out, t = run(binary, "fr", [x for _, _, x in fr])
    print(f"French: {len(fr)} items, {len(fr) / t:,.0f} items/s end to end")
    rows = [(i, g, o["label"]) for (i, g, _), o in zip(fr, out)]
    print(f"  {'subset':<16} {'n':>6} {'pos/neg acc':>11} {'macro-F1':>9} {'acc3':>7}")
    sets = sorted({i.split(":")[0] for i, *_ in rows})
    for name, sel in [("all", lambda i: True)] + [(s, (lambda s: lambda i: i.startswith(s + ":"))(s)) for s in sets] + [
        ("half A", lambda i: half(i) == "A"),
        ("half B", lambda i: half(i) == "B"),
    ]:
        acc, f1, acc3, n = fr_metrics([(g, p) for i, g, p in rows if sel(i)])
        three = f"{acc3:>7.3f}" if name.startswith("deft17") else f"{'':>7}"
        print(f"  {name:<16} {n:>6} {acc:>11.3f} {f1:>9.3f} {three}")

    if "--lang-check" in args:
        for name, rows_, want in [("en_dev", en, "en"), ("fr_dev", fr, "fr")]:
            out, t = run(binary, "auto", [x for _, _, x in rows_])
            by_set = {}
            for (i, _, _), o in zip(rows_, out):
                s = i.split(":")[0]
                ok, n = by_set.get(s, (0, 0))
                by_set[s] = (ok + (o["lang"] == want), n + 1)
            total = sum(ok for ok, _ in by_set.values()) / len(rows_)
            detail = ", ".join(f"{s} {ok / n:.3f}" for s, (ok, n) in sorted(by_set.items()))
            print(f"Language {name}: {total:.3f} detected as {want} ({detail}); {len(rows_) / t:,.0f} items/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
