"""The policies' tables (issue 17) from a report run's policies groups: what
each policy costs on mixed (a screen whose activity changes every few
seconds), auto against the best fixed host-only mechanism on each single
workload, and the first update after a long idle spell (burst)."""

# The fixed host-only mechanisms auto chooses among or could have been
# replaced by: the bar "within 1.15x of the best" is against these.
HOST_ONLY_FIXED = ("memcmp", "memcmp-qemu", "memhash", "logdirty", "logdirty-manual", "dirtyring")


def _f(v, fmt="%.3g"):
    return "-" if v is None else fmt % v


def _policy_of(r):
    return r.get("policy") or "fixed"


def _ok(r):
    return r["status"] == "ok" and r.get("cost_total") is not None


def mixed_table(rows):
    mixed = sorted((r for r in rows if "policies-mixed" in r["groups"] and _ok(r)),
                   key=lambda r: r["cost_total"])
    if not mixed:
        return []
    out = ["**mixed** (idle, typing, scrolling, video, drag, idle: one cycle; total cost = guest drawing + "
           "host rounds, ms per s)", "",
           "| policy | mechanism | total | guest drawing | host rounds | latency p50 ms | missed |",
           "|---|---|---|---|---|---|---|"]
    for r in mixed:
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            _policy_of(r), r["strategy"], _f(r["cost_total"]), _f(r.get("cost_guest")), _f(r.get("cost_host")),
            _f(r.get("lat_p50")), _f(r.get("frames_missed"), "%d")))
    return out + [""]


def single_table(rows):
    """Each policy's cost on each single workload against the best fixed
    host-only mechanism of the matrix on the same screen."""
    best = {}
    for r in rows:
        if "matrix" in r["groups"] and r["strategy"] in HOST_ONLY_FIXED and _ok(r) and r["flags"] == "-":
            w = r["workload"]
            if w not in best or r["cost_total"] < best[w]["cost_total"]:
                best[w] = r
    pol = [r for r in rows if "policies" in r["groups"] and _ok(r)]
    names = sorted({(_policy_of(r), r["strategy"]) for r in pol})
    works = [w for w in dict.fromkeys(r["workload"] for r in pol) if w in best]
    if not names or not works:
        return []
    out = ["**Single workloads**: total cost ÷ the best fixed host-only mechanism's on the same screen "
           "(last row: that mechanism and its ms per s)", "",
           "| policy | " + " | ".join(works) + " |", "|---|" + "---|" * len(works)]
    for p, s in names:
        cells = []
        for w in works:
            r = next((x for x in pol if x["workload"] == w and (_policy_of(x), x["strategy"]) == (p, s)), None)
            b = best[w]
            cells.append("-" if r is None else "%.2f" % (r["cost_total"] / b["cost_total"])
                         if b["cost_total"] > 0 else "-")
        out.append("| %s (%s) | %s |" % (p, s, " | ".join(cells)))
    out.append("| *best fixed* | " + " | ".join("%s %s" % (best[w]["strategy"], _f(best[w]["cost_total"]))
                                                 for w in works) + " |")
    return out + [""]


def burst_table(rows):
    burst = [r for r in rows if "policies-burst" in r["groups"] and r["status"] == "ok"]
    if not burst:
        return []
    out = ["**burst**: the first update after the idle spell (the burst's first frame, commit to delivery)", "",
           "| policy | mechanism | first update ms | latency p50 ms | missed |", "|---|---|---|---|---|"]
    for r in sorted(burst, key=lambda r: r.get("after_idle_ms") or 1e9):
        out.append("| %s | %s | %s | %s | %s |" % (_policy_of(r), r["strategy"], _f(r.get("after_idle_ms")),
                                                  _f(r.get("lat_p50")), _f(r.get("frames_missed"), "%d")))
    return out + [""]


def tables(run):
    rows = run["rows"]
    body = mixed_table(rows) + single_table(rows) + burst_table(rows)
    return (["### Policies: when to look, and with what", ""] + body) if body else []

