"""runs.json: one summary of a report run, read by the figures and the tables.

It joins index.tsv (every configuration, failed and unsupported ones too)
with the result files and keeps, per configuration, the figures the tables
and plots use. Guest slowdown is draw cycles per frame over those of
strategy "none" on the same workload, resolution, rate and options in the
same run; null where that run is missing.
"""

import json
import os

from .text import get, tostring


def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip("\n")]


def div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def ms(v):
    return None if v is None else v / 1000


def counter(r, c):
    if get(r, "kvm_stats.vcpu.available") in (None, False):
        return None
    return get(r, "kvm_stats.vcpu.counters." + c + ".per_frame")


def _p1(r, member):
    pct = get(r, member + ".percentiles")
    return pct.get("1") if isinstance(pct, dict) else None


def result_summary(r):
    """The figures of one result file, in runs.json's order."""
    w, h = (float(x) for x in get(r, "run.options.resolution").split("x"))
    g = lambda path: get(r, path)
    e2e = "vnc.e2e.e2e_latency_us."
    argv = list(g("run.argv") or [None])
    argv[0] = "run-bench"
    return {
        "scan_n": g("scan.time_us.n"), "scan_p1": _p1(r, "scan.time_us"),
        "scan_p50": g("scan.time_us.p50"), "scan_p99": g("scan.time_us.p99"),
        "scan_mean": g("scan.time_us.mean"), "lat_n": g("latency_us.n"),
        "lat_p1": ms(_p1(r, "latency_us")), "lat_p50": ms(g("latency_us.p50")),
        "lat_p99": ms(g("latency_us.p99")), "lat_max": ms(g("latency_us.max")),
        "draw_cycles": g("guest.draw_cycles_per_frame"), "draw_mean_us": g("guest.draw_time_us.mean"),
        "draw_p1_us": _p1(r, "guest.draw_time_us"), "draw_p99_us": g("guest.draw_time_us.p99"),
        "fps_asked": g("guest.fps_asked"), "fps_achieved": g("guest.fps_achieved"),
        "frames_asked": g("guest.frames_asked"), "frames_measured": g("guest.frames_measured"),
        "frames_dropped": g("guest.frames_dropped"),
        "kvm_exits_pf": counter(r, "exits"), "pf_taken_pf": counter(r, "pf_taken"),
        "user_exits_pf": g("exits.exits_per_frame"), "ring_full_exits": g("exits.dirty_ring_full_exits"),
        "precision": g("dirty.precision"), "frames_checked": g("dirty.frames_checked"),
        "frames_missed": g("dirty.frames_missed"), "tiles_missed": g("dirty.tiles_missed"),
        "damage_frac": div(g("dirty.damage_tiles_per_frame"), g("dirty.tiles_total")),
        "reported_frac": div(g("dirty.reported_tiles_per_round"), g("dirty.tiles_total")),
        "tiles_total": g("dirty.tiles_total"), "tile": g("run.options.tile"),
        "cpu_fraction": g("scan.cpu_fraction"), "rounds": g("scan.rounds"), "overruns": g("scan.overruns"),
        "membw_floor_us": g("calibration.membw_floor_us"), "memory_bytes": g("strategy.memory_bytes"),
        "vnc_mbytes_per_s": div(g("vnc.wire.bytes_per_s"), 1e6),
        "vnc_updates_per_s": g("vnc.wire.updates_per_s"), "vnc_compression": g("vnc.wire.compression"),
        "vnc_e2e_p1": ms(_p1(r, e2e[:-1])), "vnc_e2e_p50": ms(g(e2e + "p50")),
        "vnc_e2e_p90": ms(g(e2e + "p90")), "vnc_e2e_p99": ms(g(e2e + "p99")),
        "vnc_e2e_max": ms(g(e2e + "max")), "vnc_frames": g("vnc.e2e.frames"),
        "vnc_stale": g("vnc.e2e.stale_frames"), "vnc_undelivered": g("vnc.e2e.frames_undelivered"),
        "vnc_pixel": g("vnc.pixel_check.verdict"), "vnc_checked": g("vnc.pixel_check.updates_checked"),
        "pixels": w * h, "megapixels": w * h / 1e6,
        "phase_locked": g("scan.phase_locked") is True,
        # What finding the changes cost, in ms of CPU per s of the window:
        # the guest's drawing (faults included) and the host's rounds.
        "cost_total": g("policy.cost.total_ms_per_s"), "cost_guest": g("policy.cost.guest_draw_ms_per_s"),
        "cost_host": g("policy.cost.host_rounds_ms_per_s"), "policy": g("run.policy") or "fixed",
        "policy_modes": g("policy.mode_s"), "after_idle_ms": ms(g("policy.after_idle.latency_us.max")),
        "vcpu_faults_per_s": g("perf.vcpu_thread.kvm:kvm_page_fault.per_s"),
        "pf_taken_per_s": None if counter(r, "pf_taken") is None or g("guest.fps_achieved") is None
        else counter(r, "pf_taken") * g("guest.fps_achieved"),
        # Pages reported per round at the run's rate: under a write tracker,
        # the pages the guest wrote in each round's window, i.e. its faults.
        "pages_per_s": None if g("dirty.reported_pages_per_round") is None or g("run.options.rate_hz") is None
        else g("dirty.reported_pages_per_round") * g("run.options.rate_hz"),
        "git_revision": g("run.git_revision"),
        "command": " ".join(str(a) for a in argv),
    }


def _cell(row, i, default):
    return row[i] if len(row) > i and row[i] != "" else default


def index_row(row, snames):
    """One line of index.tsv as runs.json has it (before the result's figures)."""
    r = {"seq": float(row[0]), "groups": row[1].split(","), "strategy": row[2], "workload": row[3],
         "res": row[4], "rate": float(row[5]), "wopt": row[6], "sopt": row[7], "rep": float(row[8]),
         "status": row[9], "exit": float(row[10]), "wall_s": float(row[11]), "file": row[12],
         "reason": None if row[13] == "-" else row[13],
         "concurrent": float(_cell(row, 14, "0")), "flags": _cell(row, 15, "-")}
    if len(row) > 16:  # the busy-host detector's measure (runs since the Python report)
        r["others_cpu"], r["retries"] = float(row[16]), float(_cell(row, 17, "0"))
    r["style"] = (snames.index(r["strategy"]) if r["strategy"] in snames else 99) + 1
    return r


def _key(r, rep):
    return "|".join(tostring(x) for x in (r["workload"], r["res"], r["rate"], r["wopt"], rep))


def add_slowdown(rows):
    """Each row's slowdown against "none" with everything else equal."""
    none = {_key(r, r["rep"]): r for r in rows
            if r["strategy"] == "none" and r["status"] == "ok" and r["flags"] == "-"}
    for r in rows:
        base = none.get(_key(r, r["rep"])) or none.get(_key(r, 1.0)) or {}
        r["slowdown"] = div(r.get("draw_cycles"), base.get("draw_cycles"))
        r["slowdown_p1"] = div(r.get("draw_p1_us"), base.get("draw_mean_us"))
        r["slowdown_p99"] = div(r.get("draw_p99_us"), base.get("draw_mean_us"))


def load_results(directory, index):
    """{basename: result} of the rows with status ok."""
    files = {}
    for row in index:
        if row[9] == "ok":
            with open(os.path.join(directory, row[12])) as f:
                files[os.path.basename(row[12])] = json.load(f)
    return files


def build(directory):
    """The runs.json document of a report run directory."""
    index = read_tsv(os.path.join(directory, "index.tsv"))[1:]
    strategies = read_tsv(os.path.join(directory, "strategies.tsv"))
    snames = [s[0] for s in strategies]
    meta = {m[0]: m[1] if len(m) > 1 else None for m in read_tsv(os.path.join(directory, "meta.tsv"))}
    files = load_results(directory, index)
    rows = []
    for row in index:
        r = index_row(row, snames)
        res = files.get(os.path.basename(r["file"]))
        if res is not None:
            r.update(result_summary(res))
        rows.append(r)
    add_slowdown(rows)
    return {
        "run_id": meta.get("run_id"), "meta": meta,
        "strategies": [{"name": s[0], "description": s[1] if len(s) > 1 else None} for s in strategies],
        "workloads": [w[0] for w in read_tsv(os.path.join(directory, "workloads.tsv"))],
        "platform": next(iter(files.values()), {}).get("platform"),
        "rows": rows,
    }
