"""The report's figures: data extracted into data/STEM.tsv, drawn by gnuplot.

Each figure is drawn by a script of report/plot/ into figures/STEM.png and
.svg; figures/figures.tsv lists the figures drawn (section, stem, caption)
for REPORT.md. gnuplot stays: its scripts take explicit arguments and the
data files, never labels from file names.
"""

import os
import subprocess

from . import extract, glance, summary
from .text import dump_json, tostring

P50_P1_P99 = "point: median (p50) within the run; whiskers: p1 to p99"
SLOWDOWN_NOTE = "point: mean draw cycles \u00f7 none's; whiskers: p1 and p99 draw time \u00f7 none's mean"
VNC_ENCODING = "zrle"  # run-bench's default for the measuring client
# stem, caption, metric, low, high, yscale, title (before " (RES at RATE Hz)"), ylabel, note
MATRIX = [
    ("latency", "Update latency per strategy and workload.", "lat_p50", "lat_p1", "lat_p99", "log",
     "Update latency: frame commit to the end of the round reporting it", "update latency (ms)", P50_P1_P99),
    ("slowdown", "Guest slowdown: draw cycles per frame relative to `none`.", "slowdown", "slowdown_p1",
     "slowdown_p99", "log", "Guest slowdown: draw cycles per frame \u00f7 those under none", "slowdown (\u00d7)",
     "point: mean draw cycles \u00f7 none's; whiskers: p1 and p99 draw time \u00f7 none's mean; dashed: no slowdown"),
    ("kvm-exits", "VM exits per frame (KVM's vCPU exit counter).", "kvm_exits_pf", "-", "-", "log",
     "VM exits per frame (kvm_stats vcpu.exits)", "exits per frame",
     "mean over the measured window; includes exits handled inside KVM"),
    ("faults", "Page faults taken by KVM per frame.", "pf_taken_pf", "-", "-", "log",
     "Page faults taken by KVM per frame (kvm_stats vcpu.pf_taken)", "faults per frame",
     "mean over the measured window"),
    ("user-exits", "Exits to user space per frame.", "user_exits_pf", "-", "-", "log",
     "Exits to user space per frame (KVM_RUN returns)", "exits per frame", "mean over the measured window"),
    ("precision", "Precision: bytes changed \u00f7 bytes reported.", "precision", "-", "-", "log",
     "Precision: bytes the guest changed \u00f7 bytes reported", "precision (changed \u00f7 reported)",
     "1 is exact; lower is over-reporting (whole tiles, pages, or the whole screen)"),
    ("scan-cpu", "Host CPU used by the scan thread.", "cpu_fraction", "-", "-", "log",
     "Host CPU of the scan thread, share of one core", "CPU share of the scan thread",
     "CLOCK_THREAD_CPUTIME_ID over the window; includes the oracle's bookkeeping"),
]
REF = {"slowdown": "1", "precision": "1"}  # the dashed reference line


class Figures:
    def __init__(self, top, directory, log):
        self.top, self.dir, self.log = top, directory, log
        self.drawn, self.failed = [], 0
        self.gplog = os.path.join(directory, "figures", "gnuplot.log")

    def draw(self, stem, section, caption, script, args):
        ok = True
        for ext in ("png", "svg"):
            with open(self.gplog, "a") as log:
                p = subprocess.run(["gnuplot", "-c", os.path.join(self.top, "report", "plot", script),
                                    os.path.join(self.dir, "data", stem + ".tsv"),
                                    os.path.join(self.dir, "figures", "%s.%s" % (stem, ext))] + list(args),
                                   stdout=log, stderr=log, check=False)
            ok = ok and p.returncode == 0
        png = os.path.join(self.dir, "figures", stem + ".png")
        if ok and os.path.isfile(png) and os.path.getsize(png) > 0:
            self.drawn.append((section, stem, caption))
        else:
            self.log("figure %s failed" % stem)
            self.failed += 1

    def extract(self, stem, make):
        """Write data/STEM.tsv from make(); False (logged) if it cannot."""
        try:
            data = make()
        except (KeyError, TypeError, ValueError, OSError, ZeroDivisionError) as e:
            self.log("extracting %s failed: %s" % (stem, e))
            self.failed += 1
            return False
        with open(os.path.join(self.dir, "data", stem + ".tsv"), "w") as f:
            f.write(data)
        return True

    def grouped(self, runs, section, stem, caption, args, group, metric, lo="-", hi="-"):
        if self.extract(stem, lambda: extract.grouped(runs, group, metric, lo, hi)):
            self.draw(stem, section, caption, "grouped.gp", args)

    def lines(self, runs, stem, section, caption, args, group, workload, x, y, lo, hi, xtics):
        if self.extract(stem, lambda: extract.lines(runs, group, workload, x, y, lo, hi, xtics)):
            self.draw(stem, section, caption, "lines.gp", args)


def _has(runs, group):
    return any(group in r["groups"] for r in runs["rows"])


def membw_floor(runs, res):
    """The median (upper middle) memory-bandwidth floor of the matrix runs at res."""
    v = sorted(r["membw_floor_us"] for r in runs["rows"] if "matrix" in r["groups"]
               and r["res"] == res and r.get("membw_floor_us") is not None)
    return v[len(v) // 2] if v else None


def matrix_figures(fig, runs):
    meta = runs["meta"]
    m = "%s at %s Hz" % (tostring(meta.get("resolution")), tostring(meta.get("rate_hz")))
    floor = membw_floor(runs, meta.get("resolution"))
    note = P50_P1_P99 + ("" if floor is None else
                         "; dashed: memory-bandwidth floor of a full compare (%.0f \u00b5s, median of the runs)" % floor)
    fig.grouped(runs, "matrix", "scan-time", "Scan time per round, per strategy and workload.",
                ["Scan time per round (%s)" % m, "workload", "scan time per round (\u00b5s)", "log",
                 "-" if floor is None else tostring(floor), note], "matrix", "scan_p50", "scan_p1", "scan_p99")
    for stem, caption, metric, lo, hi, yscale, title, ylabel, note in MATRIX:
        fig.grouped(runs, "matrix", stem, caption,
                    ["%s (%s)" % (title, m), "workload", ylabel, yscale, REF.get(stem, "-"), note],
                    "matrix", metric, lo, hi)
    in_matrix = {r["workload"] for r in runs["rows"] if "matrix" in r["groups"]}
    for w in [w for w in runs["workloads"] if w in in_matrix]:
        stem, unkeyed = "latency-cdf-" + w, []
        if fig.extract(stem, lambda w=w, unkeyed=unkeyed: extract.cdf(fig.dir, runs, "matrix", w, unkeyed=unkeyed)):
            fig.draw(stem, "cdf", "Update-latency CDF, %s." % w, "cdf.gp",
                     ["Update latency, %s (%s)" % (w, m), "update latency (ms)", "fraction of frames", "log",
                      "decoded from the latency histogram bins (bucket error \u22640.8 %)"])
        if unkeyed:
            fig.log("%s: %d results have no bins_by_value (older run-bench): shown as no data"
                    % (stem, len(unkeyed)))


def sweep_figures(fig, runs):
    at = tostring(runs["meta"].get("resolution"))
    for w in ("video", "idle"):
        if not _has(runs, "res"):
            break
        fig.lines(runs, "scaling-scan-" + w, "scaling", "Scan time against framebuffer size, %s." % w,
                  ["Scan time against framebuffer size: " + w, "framebuffer (32 bpp)",
                   "scan time per round (\u00b5s)", "log", "log",
                   P50_P1_P99 + ("; video window 2/3 of the screen" if w == "video" else "")],
                  "res", w, "megapixels", "scan_p50", "scan_p1", "scan_p99", "res")
        fig.lines(runs, "scaling-slowdown-" + w, "scaling", "Guest slowdown against framebuffer size, %s." % w,
                  ["Guest slowdown against framebuffer size: " + w, "framebuffer (32 bpp)", "slowdown (\u00d7 none)",
                   "log", "log", "point: mean draw cycles \u00f7 none's at the same size; whiskers: p1 and p99 "
                   "draw time \u00f7 none's mean"],
                  "res", w, "megapixels", "slowdown", "slowdown_p1", "slowdown_p99", "res")
    xlabel = "tiles damaged per frame \u00f7 tiles on screen (measured)"
    for w in ("sparse", "video"):
        if not _has(runs, "frac-" + w):
            continue
        fig.lines(runs, "fraction-scan-" + w, "fraction",
                  "Scan time against the share of the screen changed, %s." % w,
                  ["Scan time against the share of the screen changed: %s (%s)" % (w, at), xlabel,
                   "scan time per round (\u00b5s)", "log", "log", P50_P1_P99],
                  "frac-" + w, w, "damage_frac", "scan_p50", "scan_p1", "scan_p99", "-")
        fig.lines(runs, "fraction-slowdown-" + w, "fraction",
                  "Guest slowdown against the share of the screen changed, %s." % w,
                  ["Guest slowdown against the share of the screen changed: %s (%s)" % (w, at), xlabel,
                   "slowdown (\u00d7 none)", "log", "log", SLOWDOWN_NOTE],
                  "frac-" + w, w, "damage_frac", "slowdown", "slowdown_p1", "slowdown_p99", "-")
    if _has(runs, "rate"):
        fig.lines(runs, "rate-latency", "rate", "Update latency against the scan rate, video.",
                  ["Update latency against the scan rate: video (%s)" % at, "scan rate (rounds per second)",
                   "update latency (ms)", "log", "log", P50_P1_P99],
                  "rate", "video", "rate", "lat_p50", "lat_p1", "lat_p99", "rate")
        fig.lines(runs, "rate-cpu", "rate", "Scan-thread CPU against the scan rate, video.",
                  ["Host CPU of the scan thread against the scan rate: video (%s)" % at,
                   "scan rate (rounds per second)", "CPU share of the scan thread", "log", "log",
                   "share of one core over the window"],
                  "rate", "video", "rate", "cpu_fraction", "-", "-", "rate")


def vnc_figures(fig, runs):
    if not _has(runs, "vnc"):
        return
    m = "%s at %s Hz" % (tostring(runs["meta"].get("resolution")), tostring(runs["meta"].get("rate_hz")))
    fig.grouped(runs, "vnc", "vnc-bytes", "VNC: bytes on the wire per second, per strategy and workload.",
                ["VNC bytes on the wire (%s, measuring client, %s)" % (m, VNC_ENCODING), "workload",
                 "MB per second on the wire (log)", "log", "-",
                 "encoded bytes the server sent per second of the measured window "
                 "(FramebufferUpdate messages, headers included)"], "vnc", "vnc_mbytes_per_s")
    fig.grouped(runs, "vnc", "vnc-e2e", "VNC: end-to-end latency, guest commit to pixels at the client.",
                ["VNC end-to-end latency: guest commit to pixels decoded at the client (%s)" % m, "workload",
                 "end-to-end latency (ms, log)", "log", "-",
                 P50_P1_P99 + "; one TSC clock for guest commit and client arrival"],
                "vnc", "vnc_e2e_p50", "vnc_e2e_p1", "vnc_e2e_p99")


def _clean_dir(path, exts):
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.rsplit(".", 1)[-1] in exts:
            os.remove(os.path.join(path, name))


def _tidy_gnuplot_log(path):
    """gnuplot warns of every series without a point: expected, not kept."""
    with open(path) as f:
        keep = [l for l in f if l.strip() and "Skipping data file with no valid points" not in l]
    if keep:
        with open(path, "w") as f:
            f.writelines(keep)
    else:
        os.remove(path)


def render(top, directory, log):
    """runs.json, data/ and figures/ of a report run; (runs, [(section, stem, caption)])."""
    _clean_dir(os.path.join(directory, "figures"), ("png", "svg"))
    _clean_dir(os.path.join(directory, "data"), ("tsv",))
    runs = summary.build(directory)
    path = os.path.join(directory, "runs.json")
    with open(path + ".tmp", "w") as f:
        f.write(dump_json(runs) + "\n")
    os.replace(path + ".tmp", path)
    fig = Figures(top, directory, log)
    open(fig.gplog, "w").close()
    if _has(runs, "matrix"):
        matrix_figures(fig, runs)
    sweep_figures(fig, runs)
    if _has(runs, "matrix"):
        glance.glance_figures(fig, runs)
    vnc_figures(fig, runs)
    _tidy_gnuplot_log(fig.gplog)
    with open(os.path.join(directory, "figures", "figures.tsv"), "w") as f:
        f.writelines("\t".join(d) + "\n" for d in fig.drawn)
    log("%d figures in %s, %d failed" % (len(fig.drawn), os.path.join(directory, "figures"), fig.failed))
    return runs, fig.drawn
