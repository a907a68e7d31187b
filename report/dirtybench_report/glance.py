"""The report's three "at a glance" figures (issue 24): which design costs
least on each screen, latency against cost per workload, and the page rate
above which a write tracker's faults cost more than a compare.

Cost is runs.json's CPU cost (ms per s of the measured window) over that of
strategy none on the same configuration in the same group: none draws and
reports everything without tracking, so the difference is what finding the
changes adds. Only plain runs count (first repeat, no flags, policy fixed);
a run without the cost fields is no data.
"""

import json
import os

from .extract import NAN, _text
from .text import tostring

FLOOR = 0.05  # ms/s: a cost over none at or below it is noise, shown there (log scales)
SATURATE = 30  # the decision figure's colour stops at 30 × the cheapest
KINDS = ("compare", "tracker", "PTE bits", "paravirtual", "separate process")
CROSSOVER_GROUPS = ("matrix", "frac-sparse", "frac-video", "res", "traces")
TRACKER, COMPARE = "logdirty", "memcmp"


def kind(needs):
    """A design's kind from what it needs of the platform (run-bench --list)."""
    needs = set(needs or ())
    if needs & {"pv_page", "guest_events"}:
        return "paravirtual"
    if "vram_host_ptes" in needs:
        return "separate process"
    if "guest_pagetables" in needs:
        return "PTE bits"
    if "dirty_log" in needs:
        return "tracker"
    return "compare"


def strategy_needs(runs, directory=None):
    """{strategy: needs}: from runs.json's strategies, or where they lack them
    (summary.py keeps name and description only) the run's list.json."""
    have = {s["name"]: s["needs"] for s in runs["strategies"] if "needs" in s}
    if len(have) == len(runs["strategies"]) or directory is None:
        return have
    path = os.path.join(directory, "list.json")
    if os.path.isfile(path):
        with open(path) as f:
            listed = {s["name"]: s.get("needs") or [] for s in json.load(f).get("strategies", [])}
        return dict(listed, **have)
    return have


def plain(r):
    """A run that counts: ok, first repeat, no flags, no policy switching."""
    return r.get("status") == "ok" and r.get("rep") == 1 and r.get("flags") == "-" and r.get("policy") == "fixed"


def config(r):
    return (r["workload"], r["res"], tostring(r["rate"]), r["wopt"])


def baselines(runs):
    """{(group, configuration): none's plain row}."""
    return {(g, config(r)): r for r in runs["rows"] if r["strategy"] == "none" and plain(r) for g in r["groups"]}


def over_none(r, none, field):
    """r's field minus none's; None if either is missing."""
    if r is None or none is None or r.get(field) is None or none.get(field) is None:
        return None
    return r[field] - none[field]


def floored(v):
    return None if v is None else max(v, FLOOR)


def _style(runs):
    return {s["name"]: i + 1 for i, s in enumerate(runs["strategies"])}


def trace_name(wopt):
    """vim-typing for file=traces/vim-typing.dbt."""
    f = dict(kv.partition("=")[::2] for kv in wopt.split(",")).get("file", wopt)
    base = os.path.basename(f)
    return base[:-4] if base.endswith(".dbt") else base


def screens(runs):
    """[(name, group, plain rows)]: the matrix workloads in runs.json's order,
    then each trace in the order first run."""
    rows = [r for r in runs["rows"] if plain(r)]
    out = []
    for w in runs["workloads"]:
        mine = [r for r in rows if "matrix" in r["groups"] and r["workload"] == w]
        if mine:
            out.append((w, "matrix", mine))
    traces = [r for r in rows if "traces" in r["groups"] and r["workload"] == "trace"]
    for wopt in dict.fromkeys(r["wopt"] for r in traces):
        out.append((trace_name(wopt), "traces", [r for r in traces if r["wopt"] == wopt]))
    return out


def designs(runs, needs):
    """[(name, kind)] of the strategies but none with an ok run: by kind,
    then in --list order."""
    ok = {r["strategy"] for r in runs["rows"] if r.get("status") == "ok"}
    names = [s["name"] for s in runs["strategies"] if s["name"] != "none" and s["name"] in ok]
    return sorted(((n, kind(needs.get(n))) for n in names), key=lambda d: KINDS.index(d[1]))


def _lowest(values):
    """The keys of the smallest of values' non-None entries (all, if tied)."""
    have = {k: v for k, v in values.items() if v is not None}
    least = min(have.values(), default=None)
    return {k for k, v in have.items() if v == least}


def decision_cells(runs, needs):
    """(designs, [(screen, has none)], {(screen, design): cell}); a cell has
    over (cost_total over none's, ms/s), ratio (floored over ÷ the screen's
    cheapest), lat (lat_p50, ms), cheapest and fastest (marks)."""
    base, ds, cells, rows_out = baselines(runs), designs(runs, needs), {}, []
    for name, group, rows in screens(runs):
        by = {r["strategy"]: r for r in rows}
        none = base.get((group, config(rows[0])))
        mine = {d: {"over": over_none(by.get(d), none, "cost_total"),
                    "lat": by[d].get("lat_p50") if d in by else None} for d, _ in ds}
        cheap = _lowest({d: floored(c["over"]) for d, c in mine.items()})
        fast = _lowest({d: c["lat"] for d, c in mine.items()})
        least = floored(mine[next(iter(cheap))]["over"]) if cheap else None
        for d, c in mine.items():
            c["ratio"] = None if c["over"] is None else floored(c["over"]) / least
            c["cheapest"], c["fastest"] = d in cheap, d in fast
            cells[(name, d)] = c
        rows_out.append((name, none is not None))
    return ds, rows_out, cells


def _num(v):
    return NAN if v is None else tostring(v)


def decision(runs, needs):
    """For glance-decision.gp. Block 0: x, design, kind; 1: y, screen (top
    first); 2: x from, x to, kind; 3: x, y, over, over floored, ratio,
    lat_p50, mark (C cheapest, F fastest, "-"), present (1: a cost)."""
    ds, rows, cells = decision_cells(runs, needs)
    b0 = ["%d\t%s\t%s" % (i + 1, d, k) for i, (d, k) in enumerate(ds)]
    b1 = ["%d\t%s" % (i + 1, s if has else s + " (no none)") for i, (s, has) in enumerate(rows)]
    b2 = []
    for k in KINDS:
        xs = [i + 1 for i, (_, dk) in enumerate(ds) if dk == k]
        if xs:
            b2.append("%d\t%d\t%s" % (xs[0], xs[-1], k))
    b3 = []
    for y, (s, _) in enumerate(rows):
        for x, (d, _) in enumerate(ds):
            c = cells[(s, d)]
            mark = ("C" if c["cheapest"] else "") + ("F" if c["fastest"] else "")
            b3.append("\t".join([str(x + 1), str(y + 1), _num(c["over"]), _num(floored(c["over"])),
                                 _num(c["ratio"]), _num(c["lat"]), mark or "-",
                                 "0" if c["ratio"] is None else "1"]))
    return _text([b0, b1, b2 or ["0\t0\t-"], b3 or ["0\t0\tNaN\tNaN\tNaN\tNaN\t-\t0"]])


def latency_cost(runs, needs):
    """For glance-latency-cost.gp: a panel per matrix workload. Block 0:
    panel, workload; a block per design (--list order): style, title, panel,
    over, over floored, lat_p50."""
    base, style = baselines(runs), _style(runs)
    panels = [(name, rows) for name, group, rows in screens(runs) if group == "matrix"]
    blocks = [["%d\t%s" % (p + 1, name) for p, (name, _) in enumerate(panels)]]
    for d in sorted((d for d, _ in designs(runs, needs)), key=lambda d: style[d]):
        block = []
        for p, (name, rows) in enumerate(panels):
            r = next((r for r in rows if r["strategy"] == d), None)
            over = over_none(r, base.get(("matrix", config(rows[0]))), "cost_total")
            block.append("\t".join([str(style[d]), d, str(p + 1), _num(over), _num(floored(over)),
                                    _num(None if r is None else r.get("lat_p50"))]))
        blocks.append(block)
    return _text(blocks)


def crossover_points(runs):
    """([(label, pages/s, guest cost over none)] of logdirty,
    [(label, pages/s, total cost over none)] of memcmp at logdirty's pages/s,
    how many logdirty runs had no none to subtract) on every configuration of
    CROSSOVER_GROUPS (res only at the matrix's resolution)."""
    res = runs["meta"].get("resolution")
    base, tracker, compare, alone = baselines(runs), [], [], 0
    rows = [r for r in runs["rows"] if plain(r)]
    for r in rows:
        groups = [g for g in CROSSOVER_GROUPS if g in r["groups"] and (g != "res" or r["res"] == res)]
        if r["strategy"] != TRACKER or not groups or r.get("pages_per_s") is None:
            continue
        none = next((base[(g, config(r))] for g in groups if (g, config(r)) in base), None)
        y = over_none(r, none, "cost_guest")
        if y is None:
            alone += none is None
            continue
        label = trace_name(r["wopt"]) if r["workload"] == "trace" else \
            r["workload"] + ("" if r["wopt"] == "-" else " " + r["wopt"])
        tracker.append((label, r["pages_per_s"], y))
        m = next((m for m in rows if m["strategy"] == COMPARE and config(m) == config(r)
                  and set(m["groups"]) & set(none["groups"])), None)
        if over_none(m, none, "cost_total") is not None:
            compare.append((label, r["pages_per_s"], over_none(m, none, "cost_total")))
    return tracker, compare, alone


def fit_through_origin(points):
    """c of y = c·x by least squares (Σxy ÷ Σx²); None without a positive x."""
    sxx = sum(x * x for _, x, _ in points)
    return sum(x * y for _, x, y in points) / sxx if sxx > 0 else None


def median(values):
    v = sorted(values)
    if not v:
        return None
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def crossover_numbers(runs):
    """(tracker points, compare points, c in ms per page, memcmp's median
    cost over none, crossover in pages/s, tracker runs without none); None
    where it cannot be had."""
    tracker, compare, alone = crossover_points(runs)
    c, m = fit_through_origin(tracker), median([y for _, _, y in compare])
    x = m / c if c and c > 0 and m is not None and m > 0 else None
    return tracker, compare, c, m, x, alone


def crossover(runs):
    """For glance-crossover.gp. Comment lines with c and the crossover, then
    block 0: 0, c, memcmp median, crossover, points of each; blocks 1
    (logdirty), 2 (memcmp): style, title, pages/s, cost over none, label."""
    tracker, compare, c, m, x, _ = crossover_numbers(runs)
    style = _style(runs)
    head = "# c_ms_per_page\t%s\n# crossover_pages_per_s\t%s\n# memcmp_median_ms_per_s\t%s\n" % (
        _num(c), _num(x), _num(m))
    b0 = ["0\t%s\t%s\t%s\t%d\t%d" % (_num(c), _num(m), _num(x), len(tracker), len(compare))]
    blocks = [b0]
    for s, pts in ((TRACKER, tracker), (COMPARE, compare)):
        blocks.append(["%d\t%s\t%s\t%s\t%s" % (style.get(s, 99), s, tostring(px), tostring(py), label)
                       for label, px, py in pts] or ["%d\t%s (no data)\tNaN\tNaN\t-" % (style.get(s, 99), s)])
    return head + _text(blocks)


def glance_figures(fig, runs):
    if not any(r.get("cost_total") is not None for r in runs["rows"]):
        fig.log("glance: no run has a cost (results before issue 24): the glance figures are left out")
        return
    needs = strategy_needs(runs, fig.dir)
    missing = [s["name"] for s in runs["strategies"] if s["name"] not in needs]
    if missing:
        fig.log("glance: no needs for %s (no list.json): shown as compare" % " ".join(missing))
    m = "%s at %s Hz" % (tostring(runs["meta"].get("resolution")), tostring(runs["meta"].get("rate_hz")))
    floor = "cost over none at or below %g ms/s (noise) counted as %g" % (FLOOR, FLOOR)
    if fig.extract("glance-decision", lambda: decision(runs, needs)):
        fig.draw("glance-decision", "glance", "Which design costs least on each screen, and which is fastest.",
                 "glance-decision.gp",
                 ["Cost of finding the changes, \u00f7 the cheapest design on each screen (matrix %s; traces "
                  "at their own size)" % m,
                  "number: CPU over none's (guest + host, ms per s); colour: that \u00f7 the row's cheapest, "
                  "\u2265%d saturated; C: cheapest, F: lowest median latency\n"
                  "grey: no result (no none run: no cost over none); %s" % (SATURATE, floor)])
    if fig.extract("glance-latency-cost", lambda: latency_cost(runs, needs)):
        fig.draw("glance-latency-cost", "glance", "Update latency against CPU cost, per workload.",
                 "glance-latency-cost.gp",
                 ["Median update latency against CPU cost over none (%s)" % m,
                  "CPU cost over none (guest + host, ms per s)", "median update latency (ms)",
                  "lower left is better; %s (dotted line); a zero latency is a down triangle at the bottom"
                  % floor])
    if fig.extract("glance-crossover", lambda: crossover(runs)):
        tracker, compare, c, _, _, alone = crossover_numbers(runs)
        fig.draw("glance-crossover", "glance",
                 "Where a write tracker's faults cost more than a compare: cost against pages written.",
                 "glance-crossover.gp",
                 ["Write tracker (%s) against compare (%s): cost against pages written per second" % (TRACKER, COMPARE),
                  "pages written per second (%s's pages reported \u00d7 rate)" % TRACKER,
                  "cost over none's on the same configuration (ms per s)",
                  "%d configurations (matrix, share-of-screen sweeps, traces)%s; %s ran on %d of them\n"
                  "line: least squares through the origin, c = %s \u00b5s of guest CPU per page written; "
                  "crossover = memcmp's median \u00f7 c; costs \u2264%g ms/s drawn at %g"
                  % (len(tracker), "" if not alone else ", %d without a none run left out" % alone,
                     COMPARE, len(compare), "?" if c is None else "%.2f" % (c * 1000), FLOOR, FLOOR)])
