import json, glob, os, sys, statistics as st
d = sys.argv[1]
rows = {}
for f in sorted(glob.glob(os.path.join(d, "*.json"))):
    name = os.path.basename(f)[:-5]
    base, rep = name.rsplit("-r", 1)
    j = json.load(open(f))
    p = j.get("policy") or {}
    c = (p.get("cost") or {}).get("total_ms_per_s")
    lat = (j.get("latency_us") or {}).get("p50")
    miss = (j.get("dirty") or {}).get("frames_missed")
    ai = (p.get("after_idle") or {}).get("latency_ms") or []
    rows.setdefault(base, []).append((c, lat, miss, ai))
def med(xs):
    xs = [x for x in xs if x is not None]
    return st.median(xs) if xs else None
out = []
out.append("## Single workloads: auto's total over the best fixed host-only mechanism (medians of 3)\n")
out.append("| workload | auto (3 runs) | median | best fixed | its median | ratio | every fixed median |")
out.append("|---|---|--:|---|--:|--:|---|")
for w in "idle video fullscreen drag sparse scrolling typing".split():
    a = rows.get("single-%s-auto-dirtyring" % w, [])
    am = med([r[0] for r in a])
    fx = {}
    for k, v in rows.items():
        if k.startswith("single-%s-fixed-" % w):
            fx[k.split("-fixed-")[1]] = med([r[0] for r in v])
    best = min(fx, key=lambda s: fx[s])
    out.append("| %s | %s | %.3g | %s | %.3g | **%.2f** | %s |" % (
        w, ", ".join("%.3g" % r[0] for r in a), am, best, fx[best], am / fx[best],
        ", ".join("%s %.3g" % (s, fx[s]) for s in sorted(fx, key=fx.get))))
out.append("\n## mixed (18 s, 3 s phases): total ms per s, medians of 3\n")
out.append("| configuration | runs | median | latency p50 ms (median) | missed |")
out.append("|---|---|--:|--:|--:|")
for k in sorted((k for k in rows if k.startswith("mixed-")), key=lambda k: med([r[0] for r in rows[k]])):
    v = rows[k]
    out.append("| %s | %s | %.3g | %.3g | %d |" % (k[6:], ", ".join("%.3g" % r[0] for r in v), med([r[0] for r in v]),
                                               med([r[1] for r in v]) / 1000, sum(r[2] or 0 for r in v)))
out.append("\n## burst (10 s idle): first update after idle, ms\n")
out.append("| configuration | runs | median | missed |")
out.append("|---|---|--:|--:|")
for k in sorted(k for k in rows if k.startswith("burst-")):
    v = rows[k]
    firsts = [r[3][0] for r in v if r[3]]
    out.append("| %s | %s | %.3g | %d |" % (k[6:], ", ".join("%.3g" % x for x in firsts), med(firsts) if firsts else float('nan'), sum(r[2] or 0 for r in v)))
tm = sum(r[2] or 0 for v in rows.values() for r in v)
out.append("\n%d runs, %d missed frames in all." % (sum(len(v) for v in rows.values()), tm))
print("\n".join(out))
