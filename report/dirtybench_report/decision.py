"""The decision table at the top of REPORT.md: for each kind of screen and
each constraint, the design that costs least and the one that delivers
fastest, with the margin to the next.

Cost is what finding the changes costs, in ms of CPU per second of screen
activity: the guest's drawing time over none's on the same screen (the
faults a write tracker adds to it) plus the host's scan rounds
(policy.cost in each result). Latency is the update latency p50. Both come
from the report run's matrix (generators) and traces groups, fixed policy.

The Xen column comes from the Xen lab's results (a real Xen under QEMU TCG:
its times are the emulator's, so the ranking there is within the lab only);
the cheap-fault column is an extrapolation from this run's fault counts and
the fault cost measured in it (the nested-paging lab confirms the counts).
"""

import glob
import json
import os

from .glance import TRACKER as CROSSOVER_TRACKER
from .text import get, median

# Kinds of design by what they need (run-bench --list --json "needs").
PV_NEEDS = {"pv_page", "guest_events"}
SEPARATE_NEEDS = {"vram_host_ptes"}
TRACKERS = ("logdirty", "logdirty-manual", "dirtyring")
# A display process apart from the VMM has no VM fd and no guest driver: it
# can compare a shared mapping of VRAM (a memfd, as vhost-user-gpu maps
# guest memory) or track writes to it through the host's page tables.
SEPARATE_OK = {"memcmp", "memcmp-qemu", "memhash"}
# Within this share of the best, two designs are a tie: the run-to-run
# spread of the noise group's repeats (CV 3-10 % of a tracker's costs).
TIE = 0.10
FLOOR_MS = 0.05  # ms per s: below this a cost over none's is noise


def load_needs(directory):
    """{strategy: set of needs} from the run's own listing (list.json)."""
    with open(os.path.join(directory, "list.json")) as f:
        return {s["name"]: set(s.get("needs") or []) for s in json.load(f)["strategies"]}


def constraint_ok(needs, strategy):
    """{constraint: bool} for one design."""
    n = needs.get(strategy, set())
    host_only = not (n & (PV_NEEDS | SEPARATE_NEEDS))
    return {
        "none": host_only,
        "pv": not (n & SEPARATE_NEEDS),
        "separate": bool(n & SEPARATE_NEEDS) or strategy in SEPARATE_OK,
    }


CONSTRAINTS = (("none", "no guest changes"), ("pv", "a paravirtual driver allowed"),
               ("separate", "a separate display process"))


def screen_of(r):
    if r["workload"] == "trace":
        return os.path.basename(r["wopt"].split("file=", 1)[-1]).rsplit(".dbt", 1)[0]
    return r["workload"]


def screens(runs):
    """{screen: {strategy: row}} of the fixed-policy matrix and traces rows, in
    the workloads' order, then the traces'."""
    out = {}
    for group in ("matrix", "traces"):
        for r in runs["rows"]:
            if group in r["groups"] and r.get("policy", "fixed") == "fixed" and r["rep"] == 1 \
                    and r["flags"] == "-":
                out.setdefault(screen_of(r), {})[r["strategy"]] = r
    order = [w for w in runs["workloads"] if w in out] + sorted(s for s in out if s not in runs["workloads"])
    return {s: out[s] for s in order}


def cost_over_none(rows, strategy):
    r, none = rows.get(strategy), rows.get("none")
    if not r or r["status"] != "ok" or r.get("cost_total") is None:
        return None
    if not none or none["status"] != "ok" or none.get("cost_total") is None:
        return None
    return max(r["cost_total"] - none["cost_total"], FLOOR_MS)


def latency(rows, strategy):
    r = rows.get(strategy)
    if not r or r["status"] != "ok" or r.get("frames_missed"):
        return None
    return r.get("lat_p50")


def ranked(rows, candidates, value):
    """[(value, strategy)] ascending, those with a value."""
    return sorted((v, s) for s, v in ((s, value(rows, s)) for s in candidates) if v is not None)


def pick(ranks, unit, fmt):
    """'**best** value (next ×r)' or a tie."""
    if not ranks:
        return "-"
    (v0, s0), rest = ranks[0], ranks[1:]
    text = "**%s** %s" % (s0, fmt % v0 + unit)
    if not rest:
        return text
    v1, s1 = rest[0]
    if v1 <= v0 * (1 + TIE):
        return text + " (tie: %s %s)" % (s1, fmt % v1 + unit)
    if v0 <= 0:
        return text + " (next %s %s)" % (s1, fmt % v1 + unit)
    return text + " (next %s ×%.2g)" % (s1, v1 / v0)


def _fault_cost_us(runs, by_screen):
    """A write fault's cost to the guest here, in µs: the trackers' guest time
    over none's against their faults, over every screen (least squares
    through the origin, as the crossover figure)."""
    sxy = sxx = 0.0
    for rows in by_screen.values():
        none = rows.get("none")
        for s in TRACKERS:
            r = rows.get(s)
            if not r or not none or r["status"] != "ok" or none["status"] != "ok":
                continue
            x, y0, y1 = r.get("pages_per_s"), none.get("cost_guest"), r.get("cost_guest")
            if None in (x, y0, y1) or x <= 0:
                continue
            sxy += x * (y1 - y0)
            sxx += x * x
    return sxy / sxx * 1000 if sxx else None


def cheap_fault_cell(rows, needs, fault_us):
    """Where a fault costs less: the fault cost below which the best tracker
    would beat the best host-only design that takes no fault."""
    trackers = ranked(rows, TRACKERS, cost_over_none)
    others = ranked(rows, [s for s in rows if s != "none" and s not in TRACKERS
                           and constraint_ok(needs, s)["none"] and not s.startswith("ptebits")],
                    cost_over_none)
    if not trackers or not others or fault_us is None:
        return "-"
    t_cost, t = trackers[0]
    o_cost, o = others[0]
    r = rows[t]
    pages = r.get("pages_per_s") or 0
    if t_cost <= o_cost:
        return "%s already" % t
    if pages <= 0:
        return "-"
    host = r.get("cost_host") or 0
    budget = o_cost - host
    if budget <= 0:
        return "%s stays (its rounds alone cost more)" % o
    return "%s below %.2g µs/fault (%.0f pages/s)" % (t, budget / pages * 1000, pages)


def latest_lab(top, pattern, sub):
    """The newest lab result directory named pattern with JSON under sub."""
    for d in sorted(glob.glob(os.path.join(top, "results", pattern)), reverse=True):
        if glob.glob(os.path.join(d, sub, "*.json")):
            return d
    return None


def lab_cost(r):
    """policy.cost's total, or for a result from before it (the labs' runs)
    the same sum from the guest's mean drawing time and the scan's mean round."""
    total = get(r, "policy.cost.total_ms_per_s")
    if total is not None:
        return total
    draw, fps = get(r, "guest.draw_time_us.mean"), get(r, "guest.fps_achieved")
    scan, rate = get(r, "scan.time_us.mean"), get(r, "run.options.rate_hz")
    if None in (draw, fps, scan, rate):
        return None
    return (draw * fps + scan * rate) / 1000


def xen_screens(lab_dir):
    """{screen: {strategy: pseudo-row}} from the Xen lab's results."""
    out = {}
    for path in sorted(glob.glob(os.path.join(lab_dir, "results", "*.json"))):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        w, s = get(r, "run.workload"), get(r, "run.strategy")
        if not w or not s:
            continue
        lat = get(r, "latency_us.p50")
        out.setdefault(w, {})[s] = {
            "status": "ok", "frames_missed": get(r, "dirty.frames_missed"),
            "cost_total": lab_cost(r),
            "lat_p50": None if lat is None else lat / 1000,
        }
    return out


def table(runs, top, directory):
    """The decision section's markdown lines."""
    try:
        needs = load_needs(directory)
    except (OSError, ValueError, KeyError) as e:
        return ["*No decision table: the run has no readable list.json (what each design needs, from "
                "`run-bench --list --json`): %s.*" % e]
    by_screen = screens(runs)
    fault_us = _fault_cost_us(runs, by_screen)
    xen_dir = latest_lab(top, "xen-lab-2*", "results")
    xen = xen_screens(xen_dir) if xen_dir else {}
    head = ["screen"] + [name for _, name in CONSTRAINTS] + ["Xen (lab, TCG-timed)"]
    lines = []
    for title, value, unit, fmt in (("Costs least", cost_over_none, " ms/s", "%.3g"),
                                    ("Delivers fastest", latency, " ms", "%.3g")):
        cols = head + (["a write fault cheaper than here"] if value is cost_over_none else [])
        lines += ["**%s** (%s)" % (title, "CPU ms per s of activity, guest over none's plus host rounds"
                                   if value is cost_over_none else "update latency p50, missed updates excluded"),
                  "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for screen, rows in by_screen.items():
            cells = [screen]
            for key, _ in CONSTRAINTS:
                cand = [s for s in rows if s != "none" and constraint_ok(needs, s)[key]]
                cells.append(pick(ranked(rows, cand, value), unit, fmt))
            xrows = xen.get(screen)
            cells.append(pick(ranked(xrows, [s for s in xrows if s != "none"], value), unit, fmt)
                         if xrows else "not run in the lab")
            if value is cost_over_none:
                cells.append(cheap_fault_cell(rows, needs, fault_us))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Designs by constraint: *no guest changes* is every design the VMM runs alone "
              "(compares, KVM's dirty log and ring, guest PTE dirty bits); *a paravirtual driver* adds "
              "pvbitmap, pvbitmap-fine, pvrects and virtio-gpu; *a separate display process* is what works "
              "without the VM's fd or a driver (uffd-wp, softdirty where the kernel has it, and a compare of a "
              "shared mapping of VRAM, costed as our in-process compare). Ties: within %d %% (the repeats' "
              "spread). Costs under %.2g ms/s are shown as that floor (noise)." % (TIE * 100, FLOOR_MS)]
    if fault_us is not None:
        lines += ["", "A write fault costs the guest **%.2g µs** here (%s: drawing over none's against pages "
                  "reported per second, every screen of this table, least squares through the origin; the "
                  "crossover figure fits %s alone over its own points, so its slope differs); the last column "
                  "is the "
                  "fault cost at which the cheapest tracker would match the cheapest design without faults "
                  "on that screen: an extrapolation, not a measurement." % (fault_us, ", ".join(TRACKERS), CROSSOVER_TRACKER)]
    lines += ["", "Xen: " + ("`%s` (a real Xen 4.17 dom0 under QEMU TCG; only the screens the lab runs; its "
                            "times are the emulator's, so rank within the lab only)."
                            % os.path.relpath(xen_dir, top) if xen_dir else "no lab result found.")]
    return lines
