"""REPORT.md's generated sections in Markdown, from runs.json.

  method  the platform, the options, what was repeated, how spread is shown,
          and every configuration that did not give a result (unsupported
          ones with run-bench's reason)
  tables  per workload of the matrix: one row per strategy; then the
          run-to-run spread of the repeated configurations; then what the
          collectors cost
  vnc     the runs over VNC (group vnc)
Each returns a list of lines.
"""

from . import policies_md
from .text import DASH, alt, cv, median, num, pct, tostring as s_, yn

TABLE_COLS = 12  # the matrix table's columns after the strategy


def _ok(rows):
    return [r for r in rows if r["status"] == "ok"]


def _in(group, rows):
    return [r for r in rows if group in r["groups"]]


def cell(v):
    return s_(v).replace("|", "\\|")


def dash(v):
    """v as text, a dash where it is null."""
    return s_(alt(v, DASH))


def _median_cv(values):
    return "%s (%s)" % (num(median(values)), pct(cv(values)))


def _has_others_cpu(rows):
    return any("others_cpu" in r for r in rows)


def _headline(run):
    m, rows = run["meta"], run["rows"]
    any_ok = next(iter(_ok(rows)), {})
    bad = [r for r in rows if r["status"] != "ok"]
    nunsup = sum(r["status"] == "unsupported" for r in rows)
    rev = alt(any_ok.get("git_revision"), alt(m.get("git_revision"), DASH))
    rid = run["run_id"]
    return ("Run **`%s`** (%s mode): %d configurations, %d with a result, %d without%s; "
            "started %s, runs took %s min. Results: [`results/%s/`](results/%s/), one JSON file "
            "per configuration, listed with its status in [`index.tsv`](results/%s/index.tsv). "
            "Source revision %s%s.") % (
        s_(rid), s_(m.get("mode")), len(rows), len(rows) - len(bad), len(bad),
        " (%d unsupported on this host)" % nunsup if nunsup else "",
        s_(m.get("started_at")), num(float(alt(m.get("runs_wall_s"), "0")) / 60), s_(rid), s_(rid),
        s_(rid), s_(rev),
        " (uncommitted changes in the tree when it ran)" if str(alt(any_ok.get("git_revision"), "")).endswith("-dirty") else "")


def _platform_table(p):
    p = p or {}
    k = p.get("kvm") or {}
    d = dash
    return [
        "| platform | |", "|---|---|",
        "| kernel | %s (%s) |" % (d(p.get("kernel")), d(p.get("machine"))),
        "| CPU | %s, %s online, AVX2 %s |" % (d(p.get("cpu_model")), d(p.get("cpus_online")), yn(p.get("avx2"))),
        "| nested (CPUID hypervisor bit) | %s |" % yn(p.get("nested")),
        "| KVM module | %s, API %s |" % (d(k.get("module")), d(k.get("api_version"))),
        "| paging | %s (tdp_mmu %s, EPT %s, NPT %s) |" % (d(k.get("paging")), yn(k.get("tdp_mmu")),
                                                       yn(k.get("ept")), yn(k.get("npt"))),
        "| memory | %s GiB |" % num(alt(p.get("memory_bytes"), 0) / 1073741824),
    ]


def _options_table(run):
    m, rows = run["meta"], run["rows"]
    any_ok = next(iter(_ok(rows)), {})
    mx = _ok(_in("matrix", rows))
    example = ([r for r in mx if r["workload"] == "video"] + mx)
    reps = [r["rep"] for r in _in("noise", rows)]
    nrep = max(reps) if reps else 1
    d = dash
    return [
        "| options | |", "|---|---|",
        "| measured window | %s s after %s s warm-up (idle, 2 frames/s: %s s) |" % (
            s_(m.get("duration_s")), s_(m.get("warmup_s")), s_(m.get("idle_duration_s"))),
        "| framebuffer | %s, 32 bpp, tiles %s px (%s tiles) unless swept |" % (
            s_(m.get("resolution")), d(any_ok.get("tile")), d(any_ok.get("tiles_total"))),
        "| scan rate | %s Hz unless swept |" % s_(m.get("rate_hz")),
        "| workloads | default options (`run-bench --list`) unless swept |",
        "| a matrix run | `%s` |" % d(example[0].get("command") if example else None),
        "| missed updates | %s |" % ("recorded (`--allow-misses`), not failed; the tables count them"
                                   if m.get("allow_misses") == "1" else "fail the run"),
        "| repeats | one run per configuration%s |" % (
            "; the `noise` configurations (video) %s times" % s_(nrep) if nrep > 1 else ""),
    ]


def _spread(run):
    rows = run["rows"]
    busy = sum(alt(r.get("concurrent"), 0) > 0 for r in rows)
    limit = s_(alt(run["meta"].get("busy_max"), "0.3"))
    if _has_others_cpu(rows) and busy:
        tail = (", and %d runs were taken while the rest of the host used more than %s of a CPU "
                "(`concurrent` and `others_cpu` in index.tsv): their timings are suspect." % (busy, limit))
    elif _has_others_cpu(rows):
        tail = ("; the rest of the host used at most %s of a CPU during every run (`others_cpu` in "
                "index.tsv)." % limit)
    elif not busy:
        tail = "; no other benchmark ran meanwhile."
    else:
        tail = (", and %d runs started while another benchmark process was running "
                "(`concurrent` in index.tsv): their timings are suspect." % busy)
    return ("**How spread is shown.** Scan time, update latency and draw time are per-round or per-frame "
            "distributions within one run (log-linear histograms, \u22640.8 % bucket error): figures show the "
            "median (p50) with whiskers from p1 to p99, tables p50 and p99. Update latency is from the "
            "frame commit to the end of the scan round that delivered its last tile (the first round that saw "
            "the tile\u2019s last write and reported it: results/SCHEMA.md, `latency_us`). Guest slowdown is "
            "the mean guest draw cycles per frame divided by those of `none` on the same configuration in "
            "this run. Counters (exits, faults) are means per frame over the window. Each configuration ran "
            "once, so run-to-run spread is only measured for the repeated ones (last table of the results); "
            "the host is a noisy 2-core nested VM" + tail)


def _platform_note(run):
    """What a write fault costs the guest here, and why that is the platform's."""
    p = run.get("platform") or {}
    k = p.get("kvm") or {}
    mx = [r for r in _ok(_in("matrix", run["rows"])) if r["res"] == run["meta"].get("resolution")]
    ld, nn = (next((r for r in mx if r["strategy"] == s and r["workload"] == "fullscreen"), None)
              for s in ("logdirty", "none"))
    if ld is None or nn is None or alt(ld.get("pf_taken_pf"), 0) <= 0:
        return []
    try:
        extra = ld["draw_mean_us"] - nn["draw_mean_us"]
        us = extra / (ld["pf_taken_pf"] - alt(nn.get("pf_taken_pf"), 0))
    except (TypeError, ZeroDivisionError):
        return []
    return ["**What is the platform\u2019s, not the strategy\u2019s.** This host runs KVM nested, with "
            "%s and %s paging. Every write-tracking strategy "
            "(logdirty, logdirty-manual, dirtyring, ptebits, the hybrid) makes the guest take one KVM write "
            "fault per page per round it writes; in this run such a fault costs the guest about **%s \u00b5s** "
            "(logdirty against none on fullscreen: %s \u00b5s more draw time "
            "per frame over %s faults). That price is the platform\u2019s: under nested shadow "
            "paging each fault is handled by KVM in the L1 hypervisor behind an emulated L0 exit. On a bare-metal "
            "host with EPT/NPT a log-dirty write fault is an EPT/NPT violation fixed on KVM\u2019s lockless "
            "fast path (fast_page_fault(), arch/x86/kvm/mmu/mmu.c) with no L0 exit: cheaper, by how much we did "
            "not measure (the decision table\u2019s last column gives the fault cost at which each answer "
            "would change), and with PML "
            "(Intel SDM vol. 3C, page-modification logging) the CPU logs dirty GPAs without a fault at all until "
            "its 512-entry buffer fills; ptebits\u2019 "
            "dirty bits are set by the page walker without an exit. So read the write-tracking strategies\u2019 guest "
            "slowdowns here as upper bounds, their fault and page *counts* as portable, and memcmp\u2019s and "
            "pvbitmap\u2019s costs (host memory bandwidth; guest-side marking) as roughly portable. Ring 0 is "
            "emulated on this host (PLATFORM.md): the guest runs in ring 3, so no strategy here relies on "
            "guest interrupts." % (s_(alt(k.get("module"), "kvm")), s_(alt(k.get("paging"), "unknown")),
                                   num(us), num(extra), num(ld["pf_taken_pf"]))]


def _without_result(rows):
    bad = [r for r in rows if r["status"] != "ok"]
    if not bad:
        return []
    out = ["", "**Configurations without a result** (blank in the figures, \u201c\u2014\u201d in the tables; "
           "*unsupported*: this host cannot run it, with run-bench\u2019s reason):"
           if any(r["status"] == "unsupported" for r in bad) else
           "**Configurations without a result** (blank in the figures, \u201c\u2014\u201d in the tables):", "",
           "| # | strategy | workload | resolution | rate | options | status | reason |",
           "|---|---|---|---|---|---|---|---|"]
    for r in bad:
        opts = "%s %s" % ("" if r["wopt"] == "-" else r["wopt"], "" if r["sopt"] == "-" else r["sopt"])
        out.append("| %s | %s | %s | %s | %s Hz | %s | %s | %s |" % (
            s_(r["seq"]), r["strategy"], r["workload"], r["res"], s_(r["rate"]), opts, r["status"],
            cell(alt(r.get("reason"), DASH))))
    return out


def method(run):
    return ([_headline(run), ""] + _platform_table(run.get("platform")) + [""] + _options_table(run)
            + ["", _spread(run), ""] + _platform_note(run) + _without_result(run["rows"]))


LOCKED = "\u2021"


def _matrix_row(s, r):
    if r["status"] != "ok":
        return "| %s | *%s* |%s" % (s, r["status"], " \u2014 |" * (TABLE_COLS - 1))
    missed = alt(r.get("frames_missed"), 0)
    misses = ("**%s frames (%s tiles)**" % (s_(r["frames_missed"]), s_(r.get("tiles_missed")))
              if missed > 0 else s_(alt(r.get("frames_missed"), DASH)))
    vals = [num(r.get(k)) for k in ("scan_p50", "scan_p99", "lat_p50", "lat_p99", "fps_achieved",
                                    "draw_mean_us", "slowdown", "kvm_exits_pf", "pf_taken_pf",
                                    "user_exits_pf", "precision")]
    dagger = " \u2020" if alt(r.get("concurrent"), 0) > 0 else ""
    if r.get("phase_locked"):
        # Issue 23: with --phase-sweep 0 latency measured one fixed phase of
        # the scan clock against the frame clock: not comparable across rows.
        dagger += " " + LOCKED
        vals[2] = vals[3] = "*locked*"
    return "| %s%s | %s | %s |" % (s, dagger, " | ".join(vals), misses)


def workload_table(run, w):
    rows = [r for r in _in("matrix", run["rows"]) if r["workload"] == w and r["rep"] == 1]
    a = next(iter(_ok(rows)), {})
    out = ["### " + w, "",
           "%d strategies; the guest asks for %s frames/s (%s in the window) and damages %s of the "
           "%s tiles per frame on average." % (
               len(rows), num(a.get("fps_asked")), num(a.get("frames_asked")), pct(a.get("damage_frac")),
               s_(alt(a.get("tiles_total"), DASH))),
           "",
           "| strategy | scan p50 \u00b5s | scan p99 \u00b5s | latency p50 ms | latency p99 ms | guest fps | "
           "guest draw \u00b5s/frame | guest slowdown \u00d7 | KVM exits/frame | faults/frame | "
           "exits to user/frame | precision | misses |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for st in run["strategies"]:
        r = next((r for r in rows if r["strategy"] == st["name"]), None)
        if r is not None:
            out.append(_matrix_row(st["name"], r))
    if any(alt(r.get("concurrent"), 0) > 0 for r in rows):
        out += ["", "\u2020 the rest of the host was busy during this run." if _has_others_cpu(rows)
                else "\u2020 another benchmark process was running when this run started."]
    if any(r.get("phase_locked") for r in _ok(rows)):
        out += ["", LOCKED + " locked clocks (`--phase-sweep 0`, `scan.phase_locked`): its latency is that of one "
                "fixed phase between the scan clock and the guest\u2019s frame clock, not comparable with the other "
                "rows, so it is not shown."]
    return out + [""]


def noise_table(run):
    rows = _ok(_in("noise", run["rows"]))
    if not rows:
        return []
    out = ["### Run-to-run spread (video, repeated)", "",
           "Median over the repeats, and the coefficient of variation (stddev \u00f7 mean) between them.", "",
           "| strategy | runs | scan p50 \u00b5s (CV) | latency p50 ms (CV) | latency p99 ms (CV) | "
           "draw Mcycles/frame (CV) |",
           "|---|--:|--:|--:|--:|--:|"]
    for st in run["strategies"]:
        mine = [r for r in rows if r["strategy"] == st["name"]]
        if not mine:
            continue
        mc = lambda k, mine=mine: _median_cv([r[k] for r in mine if r.get(k) is not None])
        draw = [r["draw_cycles"] / 1e6 for r in mine if alt(r.get("draw_cycles"), None) is not None]
        out.append("| %s | %d | %s | %s | %s | %s |" % (st["name"], len(mine), mc("scan_p50"), mc("lat_p50"),
                                                     mc("lat_p99"), _median_cv(draw)))
    return out + [""]


def _med(rows, flags, k):
    return median([r[k] for r in rows if r["flags"] == flags and alt(r.get(k), None) is not None])


def overhead_table(run):
    rows = _ok(_in("overhead", run["rows"]))
    if not rows:
        return []
    out = ["### What the collectors cost", "",
           "`none` with the collectors off (`--no-counters`: no perf_event_open counters, no kvm:* "
           "tracepoints) against the finest setting (every counter and tracepoint, plus `--perf-record`), "
           "the two alternated; median over the runs (CV between them). The ratio is finest \u00f7 off "
           "of the medians.", "",
           "| workload | setting | runs | draw Mcycles/frame (CV) | fps achieved | KVM exits/frame | "
           "scan-thread CPU |",
           "|---|---|--:|--:|--:|--:|--:|"]
    workloads = sorted({r["workload"] for r in rows})
    for w in workloads:
        wr = [r for r in rows if r["workload"] == w]
        for flags, setting in (("--no-counters", "off"), ("--perf-record", "finest")):
            mine = [r for r in wr if r["flags"] == flags]
            if not mine:
                continue
            draw = [r["draw_cycles"] / 1e6 for r in mine if alt(r.get("draw_cycles"), None) is not None]
            out.append("| %s | %s | %d | %s | %s | %s | %s |" % (
                w, setting, len(mine), _median_cv(draw), num(_med(wr, flags, "fps_achieved")),
                num(_med(wr, flags, "kvm_exits_pf")), pct(_med(wr, flags, "cpu_fraction"))))
    out.append("")
    for w in workloads:
        wr = [r for r in rows if r["workload"] == w]
        fine, off = _med(wr, "--perf-record", "draw_cycles"), _med(wr, "--no-counters", "draw_cycles")
        if fine is not None and off is not None:
            out.append("- %s: draw cycles per frame, finest \u00f7 off = **%s**; KVM exits per frame %s vs %s." % (
                w, num(fine / off), num(_med(wr, "--perf-record", "kvm_exits_pf")),
                num(_med(wr, "--no-counters", "kvm_exits_pf"))))
    return out + [""]


def vnc_table(run):
    rows = _in("vnc", run["rows"])
    if not rows:
        return []
    out = ["### Over VNC (`--vnc`, measuring client)", "",
           "Bytes the server sent per second of the window, updates per second, encoded \u00f7 raw bytes, "
           "end-to-end latency (guest commit to pixels decoded at the client, one clock), stale frames "
           "(frames the client never showed: a later frame came in the same update) and the pixel check "
           "(updates compared with the surface they were encoded from; the last one with VRAM).", "",
           "| workload | strategy | MB/s on the wire | updates/s | encoded \u00f7 raw | e2e p50 ms | "
           "e2e p90 ms | e2e p99 ms | stale frames | pixel check |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for w in run["workloads"]:
        for st in run["strategies"]:
            r = next((r for r in rows if r["strategy"] == st["name"] and r["workload"] == w), None)
            if r is None:
                continue
            if r["status"] != "ok":
                out.append("| %s | %s | *%s* |%s" % (w, st["name"], r["status"], " \u2014 |" * 7))
                continue
            d = lambda k, r=r: dash(r.get(k))
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s of %s | %s (%s checked) |" % (
                w, st["name"], num(r.get("vnc_mbytes_per_s")), num(r.get("vnc_updates_per_s")),
                num(r.get("vnc_compression")), num(r.get("vnc_e2e_p50")), num(r.get("vnc_e2e_p90")),
                num(r.get("vnc_e2e_p99")), d("vnc_stale"), d("vnc_frames"), d("vnc_pixel"), d("vnc_checked")))
    return out + [""]


def tables(run):
    ws = {r["workload"] for r in _in("matrix", run["rows"])}
    out = [] if ws else ["No matrix runs in this run."]
    for w in run["workloads"]:
        if w in ws:
            out += workload_table(run, w)
    return out + noise_table(run) + overhead_table(run) + policies_md.tables(run)
