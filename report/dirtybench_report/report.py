"""make report: run the benchmark matrix and the sweeps, keep every result under
results/RUN_ID/, draw the figures with gnuplot and regenerate the generated
sections of REPORT.md from that run's JSON.

  scripts/report               the full run (about 21 minutes of runs on 2 cores)
  FAST=1 scripts/report        short runs and two points per sweep: checks the
                               pipeline in a few minutes (results/fast-*, not kept)
  scripts/report --from DIR    extraction, figures and REPORT.md again from DIR

Environment: DURATION, WARMUP (seconds per run), IDLE_DURATION (idle draws
2 frames a second, so it runs longer), STRATEGIES, WORKLOADS (the matrix;
default: everything run-bench --list --json names), REPORT_GROUPS (matrix
traces policies res frac rate noise overhead vnc), the sweeps' lists (SWEEP_STRATEGIES, RES_LIST,
SPARSE_N, VIDEO_SCALES, RATE_STRATEGIES, RATE_LIST, NOISE_STRATEGIES,
NOISE_REPS, OVERHEAD_REPS, OVERHEAD_WORKLOADS, VNC_STRATEGIES, VNC_WORKLOADS),
ALLOW_MISSES (1, the default: record missed updates instead of failing the
run), REPORT_MD (default REPORT.md; empty: leave it alone), QUIET_WAIT
(seconds a run waits for a quiet host, default 0), QUIET_BUDGET (the most all
runs wait, and retry, together, default 600), REPORT_BUSY_MAX (the share of
a CPU the rest of the host may use during a run before it counts as busy,
default 0.30), REPORT_RETRIES (times a busy run is done again, default 0) and
RUN_BENCH (the binary, default build/bin/run-bench; copied for the run).

A run that fails or is unsupported is recorded in index.tsv with its status
(from run-bench's exit code) and reason, and shows as missing in the figures
and as such in the tables. index.tsv also says, per run, whether the rest of
the host was busy meanwhile (columns concurrent and others_cpu): on 2 cores
that distorts the timings.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

from . import execute, figures, listing, plan, reportmd


def log(msg):
    print("report: " + msg, file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def pairs(text):
    """"policy:strategy ..." as [(policy, strategy), ...]."""
    out = []
    for word in text.split():
        pol, sep, strat = word.partition(":")
        if not sep or not pol or not strat:
            raise ValueError("want POLICY:STRATEGY, got %r" % word)
        out.append((pol, strat))
    return out


def knobs(env, top="."):
    """The environment's settings, with the defaults of a full or a FAST run.

    The full run's defaults fit its 30 minutes on this 2-core host (README
    "make report" has the budget): 2 s measured after 0.5 s (at 30 fps, 60
    frames for the oracle; idle 4 s, 8 frames and its blinks), three points per
    sweep where five drew the same line, three repeats where the spread was
    measured, the VNC group on one design of each kind."""
    fast = env.get("FAST", "0") == "1"
    e = lambda name, full, quick=None: env.get(name) or (quick if fast and quick is not None else full)
    words = lambda name, full, quick=None: e(name, full, quick).split()
    return {
        "FAST": fast, "TOP": top, "DURATION": e("DURATION", "2", "0.5"), "WARMUP": e("WARMUP", "0.5", "0.25"),
        "IDLE_DURATION": e("IDLE_DURATION", "4", "1"),
        "REPORT_GROUPS": words("REPORT_GROUPS", "matrix traces policies res frac rate noise overhead vnc"),
        "ALLOW_MISSES": e("ALLOW_MISSES", "1"),
        "QUIET_WAIT": float(e("QUIET_WAIT", "0")), "QUIET_BUDGET": float(e("QUIET_BUDGET", "600")),
        "BUSY_MAX": float(e("REPORT_BUSY_MAX", "0.30")), "RETRIES": int(e("REPORT_RETRIES", "0")),
        "RATE": "60", "RES": "1920x1080",
        "STRATEGIES": words("STRATEGIES", ""), "WORKLOADS": words("WORKLOADS", ""),
        "SWEEP_STRATEGIES": words("SWEEP_STRATEGIES", "memcmp logdirty ptebits pvbitmap dirtyring none"),
        "RATE_STRATEGIES": words("RATE_STRATEGIES", "memcmp logdirty dirtyring ptebits pvbitmap"),
        "NOISE_STRATEGIES": words("NOISE_STRATEGIES", "none memcmp logdirty dirtyring ptebits pvbitmap"),
        "RES_LIST": words("RES_LIST", "640x480 1920x1080 3840x2160", "640x480 1920x1080"),
        "SPARSE_N": words("SPARSE_N", "16 1024 65536", "16 4096"),
        "VIDEO_SCALES": words("VIDEO_SCALES", "0.1 0.5 1", "0.25 1"),
        "RATE_LIST": words("RATE_LIST", "30 60 240", "30 120"),
        "NOISE_REPS": int(e("NOISE_REPS", "3", "2")), "OVERHEAD_REPS": int(e("OVERHEAD_REPS", "3", "1")),
        # The suite's own cost: `none` with the collectors off (--no-counters)
        # against the finest setting (every counter and tracepoint plus --perf-record).
        "OVERHEAD_WORKLOADS": words("OVERHEAD_WORKLOADS", "video fullscreen"),
        "VNC_STRATEGIES": words("VNC_STRATEGIES", "memcmp logdirty dirtyring pvbitmap pvrects virtio-gpu uffd-wp",
                                "memcmp logdirty"),
        # The anchors with the mechanism each was written for (QEMU's VNC
        # compares, Xen's shadow tracks with log-dirty, vmwgfx scans PTE
        # dirty bits) and auto over the dirty ring; on mixed also the fixed
        # mechanisms they choose among.
        "POLICY_RUNS": pairs(e("POLICY_RUNS", "auto:dirtyring qemu:memcmp-qemu xen:logdirty vmwgfx:ptebits")),
        "POLICY_FIXED": pairs(e("POLICY_FIXED", "fixed:memcmp fixed:memhash fixed:dirtyring fixed:logdirty",
                                "fixed:memcmp")),
        "MIXED_PHASE_MS": e("MIXED_PHASE_MS", "3000", "500"),
        # mixed's six phases, once (workloads/mixed.c)
        "MIXED_DURATION": e("MIXED_DURATION", "18", "3"),
        "BURST_RUNS": pairs(e("BURST_RUNS", "auto:dirtyring qemu:memcmp-qemu xen:logdirty", "auto:dirtyring")),
        # QEMU's interval reaches its 3 s ceiling after about 60 empty
        # refreshes from 30 ms in 50 ms steps: 10 s of idle shows it.
        "BURST_IDLE_MS": e("BURST_IDLE_MS", "10000", "1000"),
        "TRACE_STRATEGIES": words("TRACE_STRATEGIES", "", "none memcmp logdirty pvrects"),
        "VNC_WORKLOADS": words("VNC_WORKLOADS", "idle scrolling video"),
        "REPORT_MD": env.get("REPORT_MD", None), "RUN_BENCH": env.get("RUN_BENCH", ""),
    }


def render(top, directory, md):
    runs, figs = figures.render(top, directory, log)
    if not md:
        return
    try:
        reportmd.write(md, runs, directory, figs)
    except (reportmd.MarkerError, OSError) as e:
        raise Failure("%s not written (are its GENERATED markers intact?): %s" % (md, e)) from e
    log("wrote %s from run %s" % (md, runs["run_id"]))


def revision(top):
    """The binary's own revision (scripts/revision: -dirty only when the sources
    differ; results being written meanwhile do not count)."""
    try:
        with open(os.path.join(top, "build", "gen", "revision.h")) as f:
            for line in f:
                if line.startswith('#define DB_GIT_REVISION "'):
                    return line.split('"')[1]
    except OSError:
        pass
    return "unknown"


def _meta(directory, pairs):
    with open(os.path.join(directory, "meta.tsv"), "a") as f:
        f.writelines("%s\t%s\n" % kv for kv in pairs)


def prepare(top, k):
    """The run's id, directory and a private copy of run-bench."""
    if not shutil.which("gnuplot"):
        raise Failure("needs gnuplot: scripts/install-deps")
    source = k["RUN_BENCH"] or os.path.join(top, "build", "bin", "run-bench")
    if not os.access(source, os.X_OK):
        if k["RUN_BENCH"] or subprocess.run(["make", "-s", "-C", top], check=False).returncode:
            raise Failure("no run-bench: %s" % source if k["RUN_BENCH"] else "build failed")
    rev = revision(top)
    # results/report-* is kept in git; a FAST run is a check, not a result.
    run_id = "%s-%s-%s" % ("fast" if k["FAST"] else "report", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), rev)
    directory = os.path.join(top, "results", run_id)
    # One binary for the whole run, whatever is rebuilt meanwhile; it stays under
    # build/ so run-bench still finds the source tree for its git revision.
    bench = os.path.join(top, "build", "report", "run-bench-" + run_id)
    try:
        os.makedirs(os.path.join(directory, "runs"))
        os.makedirs(os.path.join(directory, "logs"))
        os.makedirs(os.path.dirname(bench), exist_ok=True)
        shutil.copy2(source, bench)
    except OSError as e:
        raise Failure("cannot set up %s: %s" % (directory, e)) from e
    return run_id, directory, bench, rev


def run_matrix(top, k, run_id, directory, bench, rev):
    _meta(directory, [("run_id", run_id), ("mode", "fast" if k["FAST"] else "full"),
                      ("duration_s", k["DURATION"]), ("idle_duration_s", k["IDLE_DURATION"]),
                      ("warmup_s", k["WARMUP"]), ("rate_hz", k["RATE"]), ("resolution", k["RES"]),
                      ("allow_misses", k["ALLOW_MISSES"]), ("groups", " ".join(k["REPORT_GROUPS"])),
                      ("quiet_wait_s", "%g" % k["QUIET_WAIT"]), ("busy_max", "%g" % k["BUSY_MAX"]),
                      ("git_revision", rev), ("started_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))])
    start = time.monotonic()
    try:
        lst = listing.load(bench, save_to=os.path.join(directory, "list.json"))
    except listing.ListingError as e:
        raise Failure(str(e)) from e
    lst.write_tsv(directory)
    try:
        rows = plan.Plan(lst, k, log).build(k["REPORT_GROUPS"])
    except ValueError as e:
        raise Failure(str(e)) from e
    plan.write_tsv(rows, os.path.join(directory, "plan.tsv"))
    log("run %s: %d configurations into results/%s" % (run_id, len(rows), run_id))
    execute.Executor(top, run_id, bench, k).run(rows)
    _meta(directory, [("finished_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                      ("runs_wall_s", "%d" % (time.monotonic() - start))])
    return start


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(args, env, top):
    try:
        k = knobs(env, top)
    except ValueError as e:
        log("bad setting: %s" % e)
        return 2
    md = k["REPORT_MD"] if k["REPORT_MD"] is not None else os.path.join(top, "REPORT.md")
    if args[:1] == ["--from"]:
        if len(args) != 2 or not os.path.isdir(args[1]):
            log("usage: scripts/report [--from DIR]")
            return 2
        try:
            render(top, os.path.abspath(args[1]), md)
        except Failure as e:
            log(str(e))
            return 1
        return 0
    if args:
        log("usage: scripts/report [--from DIR]")
        return 2
    signal.signal(signal.SIGTERM, _interrupted)
    directory, bench = None, None
    try:
        run_id, directory, bench, rev = prepare(top, k)
        start = run_matrix(top, k, run_id, directory, bench, rev)
        render(top, directory, md)
        log("run %s done in %s" % (run_id, execute.hms(time.monotonic() - start)))
        return 0
    except Failure as e:
        log(str(e))
        return 1
    except KeyboardInterrupt:
        log("interrupted; results so far in %s" % directory)
        return 130
    finally:
        if bench and os.path.exists(bench):
            os.remove(bench)
