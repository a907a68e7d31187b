"""The report's plan: one configuration per run, from the groups asked for.

A group is a set of configurations (the matrix, the sweeps, the repeats);
configurations two groups share run once, listed under both (plan.tsv:
groups strategy workload res rate wopt sopt rep flags, first appearance
first). Options equal to a workload's default are dropped, so two spellings
of one configuration are one run.
"""

import glob
import os
import struct
import sys

from . import listing

GROUPS = ("matrix", "res", "frac", "rate", "noise", "overhead", "vnc", "policies", "traces")

# The workloads that exist for the policies (a change of activity over time):
# run by the policies group, at their own length, not in the matrix.
POLICY_WORKLOADS = ("burst", "mixed")


def trace_resolution(path):
    """A trace's screen, from its header (u32 width, height at offset 16:
    workloads/trace.c); None when the file is not one."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
        w, h = struct.unpack_from("<2I", head, 16)
    except (OSError, struct.error):
        return None
    return "%dx%d" % (w, h) if w and h else None
FIELDS = ("groups", "strategy", "workload", "res", "rate", "wopt", "sopt", "rep", "flags")


def even(v):
    """The nearest even integer to v, at least 16 (a window's side)."""
    e = int(v / 2 + 0.5) * 2
    return max(e, 16)


def split_res(res):
    w, _, h = res.partition("x")
    return int(w), int(h)


class Plan:
    """Configurations as dicts of FIELDS, built group by group."""

    def __init__(self, lst, knobs, log=None):
        self.lst, self.k = lst, knobs
        self.log = log or (lambda m: print("report: " + m, file=sys.stderr))
        self.defaults = lst.workload_defaults()
        self.rows, self.index = [], {}

    def add(self, group, s, w, res, rate, wopt="-", sopt="-", rep=1, flags="-"):
        if s not in self.lst.strategy_names():
            return self.log("plan: no strategy %s in this build, left out of %s" % (s, group))
        if w not in [x["name"] for x in self.lst.workloads]:
            return self.log("plan: no workload %s in this build, left out of %s" % (w, group))
        cfg = {"strategy": s, "workload": w, "res": res, "rate": str(rate),
               "wopt": listing.canon_options(wopt, self.defaults.get(w, {})),
               "sopt": sopt or "-", "rep": str(rep), "flags": flags or "-"}
        key = tuple(cfg[f] for f in FIELDS[1:])
        if key not in self.index:
            self.index[key] = dict(cfg, groups=[group])
            self.rows.append(self.index[key])
        elif group not in self.index[key]["groups"]:
            self.index[key]["groups"].append(group)
        return None

    def build(self, groups):
        for g in groups:
            if g not in GROUPS:
                raise ValueError("unknown group %s (%s)" % (g, " ".join(GROUPS)))
            getattr(self, "group_" + g.replace("-", "_"))()
        return self.rows

    def group_matrix(self):
        k = self.k
        for s in k["STRATEGIES"] or self.lst.strategy_names():
            for w in k["WORKLOADS"] or [x for x in self.lst.workload_names() if x not in POLICY_WORKLOADS]:
                self.add("matrix", s, w, k["RES"], k["RATE"])

    def group_res(self):  # video in a window of 2/3 of the screen, so the window scales
        k = self.k
        for s in k["SWEEP_STRATEGIES"]:
            for r in k["RES_LIST"]:
                width, height = split_res(r)
                wopt = "w=%d,h=%d" % (even(width * 2 / 3), even(height * 2 / 3))
                self.add("res", s, "video", r, k["RATE"], wopt)
                self.add("res", s, "idle", r, k["RATE"])

    def group_frac(self):  # the share of the screen changed: sparse pixels, a video window
        k = self.k
        width, height = split_res(k["RES"])
        for s in k["SWEEP_STRATEGIES"]:
            for n in k["SPARSE_N"]:
                self.add("frac-sparse", s, "sparse", k["RES"], k["RATE"], "n=" + n)
            for sc in k["VIDEO_SCALES"]:
                wopt = "w=%d,h=%d" % (even(width * float(sc)), even(height * float(sc)))
                self.add("frac-video", s, "video", k["RES"], k["RATE"], wopt)

    def group_rate(self):
        k = self.k
        for s in k["RATE_STRATEGIES"]:
            for r in k["RATE_LIST"]:
                self.add("rate", s, "video", k["RES"], r)

    def group_noise(self):  # the same configuration again: run-to-run spread
        k = self.k
        for s in k["NOISE_STRATEGIES"]:
            for n in range(1, max(k["NOISE_REPS"], 1) + 1):
                self.add("noise", s, "video", k["RES"], k["RATE"], rep=n)

    def group_overhead(self):  # alternated, so drift in the host hits both settings alike
        k = self.k
        for n in range(1, k["OVERHEAD_REPS"] + 1):
            for w in k["OVERHEAD_WORKLOADS"]:
                self.add("overhead", "none", w, k["RES"], k["RATE"], rep=n, flags="--no-counters")
                self.add("overhead", "none", w, k["RES"], k["RATE"], rep=n, flags="--perf-record")

    def group_vnc(self):  # a --vnc run is another configuration: the VNC threads share the scan thread's core
        k = self.k
        for s in k["VNC_STRATEGIES"] or self.lst.strategy_names():
            for w in k["VNC_WORKLOADS"]:
                self.add("vnc", s, w, k["RES"], k["RATE"], rep=1, flags="--vnc")


    def group_policies(self):
        """Each anchor policy with the mechanism it was written for, and auto,
        on every single workload (fixed is the matrix), on mixed (one cycle of
        its phases) and on burst (the first update after a long idle spell)."""
        k = self.k
        singles = [w for w in self.lst.workload_names() if w not in POLICY_WORKLOADS]
        for pol, s in k["POLICY_RUNS"]:
            for w in singles:
                self.add("policies", s, w, k["RES"], k["RATE"], flags="--policy " + pol)
        cycle = "--duration %s --warmup 1" % k["MIXED_DURATION"]
        for pol, s in k["POLICY_RUNS"] + k["POLICY_FIXED"]:
            self.add("policies-mixed", s, "mixed", k["RES"], k["RATE"], "phase_ms=" + k["MIXED_PHASE_MS"],
                     flags="--policy %s %s" % (pol, cycle))
        for pol, s in k["BURST_RUNS"]:
            self.add("policies-burst", s, "burst", k["RES"], k["RATE"],
                     "idle_ms=%s,burst_ms=1000" % k["BURST_IDLE_MS"],
                     flags="--policy %s --duration %g --warmup 1" % (pol, float(k["BURST_IDLE_MS"]) / 1000 + 2))

    def group_traces(self):
        """Every shipped trace (traces/*.dbt) at its own screen size."""
        k = self.k
        for path in sorted(glob.glob(os.path.join(k["TOP"], "traces", "*.dbt"))):
            res = trace_resolution(path)
            if not res:
                self.log("plan: %s is not a trace, left out" % path)
                continue
            for s in k["TRACE_STRATEGIES"] or self.lst.strategy_names():
                self.add("traces", s, "trace", res, k["RATE"], "file=traces/" + os.path.basename(path))


def write_tsv(rows, path):
    with open(path, "w") as f:
        for r in rows:
            f.write("\t".join([",".join(r["groups"])] + [r[x] for x in FIELDS[1:]]) + "\n")
