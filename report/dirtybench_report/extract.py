"""The figures' data files (data/STEM.tsv), in the formats report/plot/*.gp read.

Every file has blocks separated by two blank lines: block 0 describes the x
axis, then one block per strategy in --list order whose rows start with the
style (the strategy's place in the list, so one strategy has one colour in
every figure) and the title ("NAME (no data)" when no run of it gave the
value). A configuration without a result is a row of NaN with present 0.
"""

import json
import os

from .text import tostring

NAN = "NaN"


def _rows(runs, group, workload=None):
    return [r for r in runs["rows"] if group in r["groups"] and r["rep"] == 1
            and (workload is None or r["workload"] == workload)]


def _series(runs, rows):
    """(style, strategy) of the strategies with a row, in --list order."""
    names = [s["name"] for s in runs["strategies"]]
    present = {r["strategy"] for r in rows}
    return [(i + 1, s) for i, s in enumerate(names) if s in present]


def cell(r, k):
    if r is None or r.get("status") != "ok" or r.get(k) is None:
        return NAN
    return tostring(r[k])


def whisker(r, k, metric):
    """The whisker member k, or the metric itself where there is none."""
    if k == "-" or r is None or r.get(k) is None:
        return cell(r, metric)
    return cell(r, k)


def _title(s, rows, metric):
    has = any(r["status"] == "ok" and r.get(metric) is not None for r in rows)
    return s if has else s + " (no data)"


def _text(blocks):
    """Block 0's lines, then each block after two blank lines."""
    return "\n".join(blocks[0]) + "\n" + "".join("\n\n" + "".join(l + "\n" for l in b)
                                                for b in blocks[1:])


def grouped(runs, group, metric, lo="-", hi="-"):
    """For grouped.gp: one metric per strategy and workload of one group.
    Block 0: x, workload; blocks: style, title, x, value, low, high, present."""
    rows = _rows(runs, group)
    cats = [w for w in runs["workloads"] if any(r["workload"] == w for r in rows)]
    blocks = [["%d\t%s" % (x + 1, w) for x, w in enumerate(cats)]]
    for style, s in _series(runs, rows):
        mine = [r for r in rows if r["strategy"] == s]
        title = _title(s, mine, metric)
        block = []
        for x, w in enumerate(cats):
            r = next((r for r in mine if r["workload"] == w), None)
            present = 1 if r is not None and r["status"] == "ok" else 0
            block.append("\t".join([str(style), title, str(x + 1), cell(r, metric),
                                    whisker(r, lo, metric), whisker(r, hi, metric), str(present)]))
        blocks.append(block)
    return _text(blocks)


def _with_x(rows, x):
    """Rows with "xv": their measured x, or (a run without a result) the x of
    the same configuration under another strategy, to show where the gap is."""
    key = lambda r: "|".join(tostring(r[f]) for f in ("res", "rate", "wopt"))
    xs = {key(r): r[x] for r in rows if r.get(x) is not None}
    return [dict(r, xv=r[x] if r.get(x) is not None else xs.get(key(r))) for r in rows]


def lines(runs, group, workload, x, y, lo="-", hi="-", xlabel="-"):
    """For lines.gp: y against x per strategy, for one workload of one group.
    Block 0: x, tic label (or one row "0 auto"); blocks: style, title, x, y,
    low, high, present; rows sorted by x."""
    rows = _with_x(_rows(runs, group, workload), x)
    if xlabel == "-":
        tics = ["0\tauto"]
    else:
        seen, tics = set(), []
        for r in sorted((r for r in rows if r["xv"] is not None), key=lambda r: r["xv"]):
            if r["xv"] not in seen:
                seen.add(r["xv"])
                tics.append("%s\t%s" % (tostring(r["xv"]), tostring(r.get(xlabel))))
    blocks = [tics]
    for style, s in _series(runs, rows):
        mine = sorted((r for r in rows if r["strategy"] == s and r["xv"] is not None),
                      key=lambda r: r["xv"])
        title = _title(s, mine, y)
        blocks.append(["\t".join([str(style), title, tostring(r["xv"]), cell(r, y), whisker(r, lo, y),
                                  whisker(r, hi, y), "1" if r["status"] == "ok" else "0"])
                       for r in mine])
    return _text(blocks)


def cdf_points(hist):
    """[(x in thousands of the member's unit, cumulative fraction)] from a
    histogram's bins_by_value (each bucket at the middle of its range),
    rising from 0 at the first sample; [] without bins."""
    bins = sorted((b for b in hist.get("bins_by_value") or [] if b["count"] > 0),
                  key=lambda b: b["lo"])
    n = sum(b["count"] for b in bins)
    points, seen = [], 0
    for b in bins:
        seen += b["count"]
        points.append(((b["lo"] + b["hi"]) / 2 / 1000, seen / n))
    return [(points[0][0], 0)] + points if points else []


def cdf(directory, runs, group, workload, member="latency_us", unkeyed=None):
    """For cdf.gp: the distribution of a histogram member (µs, drawn in ms) of
    every strategy on one workload. Block 0 unused; blocks: style, title, x,
    cumulative fraction. Strategies whose result has no bins_by_value
    (run-bench before it wrote them) are added to the list unkeyed."""
    rows = _rows(runs, group, workload)
    hist = {}
    for r in rows:
        if r["status"] == "ok":
            with open(os.path.join(directory, r["file"])) as f:
                res = json.load(f)
            hist[res["run"]["strategy"]] = res.get(member) or {}
            if unkeyed is not None and "bins_by_value" not in hist[res["run"]["strategy"]]:
                unkeyed.append(res["run"]["strategy"])
    blocks = [["0\t-"]]
    for style, s in _series(runs, rows):
        pts = cdf_points(hist.get(s, {}))
        if pts:
            blocks.append(["%d\t%s\t%s\t%s" % (style, s, tostring(x), tostring(y)) for x, y in pts])
        else:
            blocks.append(["%d\t%s (no data)\tNaN\tNaN" % (style, s)])
    return _text(blocks)
