"""Running the report's plan: one run-bench per configuration, into index.tsv.

index.tsv has a row per configuration, failed and unsupported ones too, with
the status from run-bench's exit code and its one-line reason; "concurrent"
is 1 when the rest of the host was busy during the run (runner.py's
detector; others_cpu has the measure) and its timings are suspect.
"""

import os
import sys
import time

from . import runner

INDEX_HEADER = ("seq", "groups", "strategy", "workload", "resolution", "rate_hz", "wopt", "sopt",
                "rep", "status", "exit", "wall_s", "result", "reason", "concurrent", "flags",
                "others_cpu", "retries")


def hms(s):
    s = int(s)
    return "%d:%02d" % (s // 60, s % 60)


def run_name(seq, c):
    """The result's file stem: what the configuration is, readable in a listing."""
    name = "%03d-%s-%s-%s-%shz" % (seq, c["strategy"], c["workload"], c["res"], c["rate"])
    for opt in ("wopt", "sopt"):
        if c[opt] != "-":
            name += "-" + c[opt].replace(",", "_").replace("=", "-").replace("/", "_")
    if c["flags"] != "-":  # the run's length is not what it is
        words = c["flags"].split()
        for opt in ("--duration", "--warmup"):
            if opt in words:
                del words[words.index(opt):words.index(opt) + 2]
        name += "".join(words)
    if c["rep"] != "1":
        name += "-rep" + c["rep"]
    return name


class Executor:
    """Runs a plan for one report run (dir = results/RUN_ID under top)."""

    def __init__(self, top, run_id, bench, knobs):
        self.top, self.run_id, self.bench, self.k = top, run_id, bench, knobs
        self.dir = os.path.join(top, "results", run_id)
        self.retries = runner.Retries(knobs["BUSY_MAX"], knobs["RETRIES"], knobs["QUIET_BUDGET"])
        self.waited_s = 0.0

    def argv(self, c, out):
        flags = c["flags"].split() if c["flags"] != "-" else []
        dur = self.k["IDLE_DURATION"] if c["workload"] == "idle" else self.k["DURATION"]
        warmup = self.k["WARMUP"]
        # A configuration that needs its own length says so in its flags
        # (mixed: one cycle of its phases; burst: the idle spell and the burst).
        for opt in ("--duration", "--warmup"):
            if opt in flags:
                i = flags.index(opt)
                if opt == "--duration":
                    dur = flags[i + 1]
                else:
                    warmup = flags[i + 1]
                del flags[i:i + 2]
        a = [self.bench, "--duration", dur, "--warmup", warmup, "--res", c["res"],
             "--rate", c["rate"], "--quiet", "--out", "results/%s/%s" % (self.run_id, out)]
        if c["wopt"] != "-":
            a += ["--wopt", c["wopt"]]
        if c["sopt"] != "-":
            a += ["--sopt", c["sopt"]]
        if self.k["ALLOW_MISSES"] == "1":
            a.append("--allow-misses")
        a += flags
        return a + [c["strategy"], c["workload"]], int(float(dur) + float(warmup) + 120)

    def wait_quiet(self):
        """Up to QUIET_WAIT s now, QUIET_BUDGET s over the whole run, while the
        rest of the host is busy (one-second samples of the same detector)."""
        waited = 0
        while waited < self.k["QUIET_WAIT"] and self.waited_s < self.k["QUIET_BUDGET"]:
            meter = runner.BusyMeter()
            meter.start()
            time.sleep(1)
            if not self.retries.is_busy(meter.stop()[1]):
                return
            waited += 1
            self.waited_s += 1

    def run_one(self, seq, c):
        """Run configuration c; its index.tsv row (a list of strings)."""
        name = run_name(seq, c)
        out = "runs/%s.json" % name
        argv, timeout_s = self.argv(c, out)
        o = self.retries.run(argv, lambda o: None, cwd=self.top, timeout_s=timeout_s)
        errf = os.path.join(self.dir, "logs", name + ".stderr")
        if o.stderr:
            with open(errf, "w") as f:
                f.write(o.stderr)
        status, reason = o.status, o.reason
        path = os.path.join(self.dir, out)
        if status == "ok" and not (os.path.isfile(path) and os.path.getsize(path) > 0):
            status, reason = "failed", "exit 0 but no result file"
        busy = self.retries.is_busy(o.others_cpu)
        return [str(seq), ",".join(c["groups"]), c["strategy"], c["workload"], c["res"], c["rate"],
                c["wopt"], c["sopt"], c["rep"], status, str(o.rc), "%.1f" % o.wall_s,
                out if status == "ok" else "-", reason or "-", "1" if busy else "0", c["flags"],
                "%.2f" % o.others_cpu, str(o.tries)]

    def progress(self, done, total, c, elapsed):
        extra = (c["wopt"] + " " if c["wopt"] != "-" else "") + \
            ("rep %s " % c["rep"] if c["rep"] != "1" else "") + \
            (c["flags"] + " " if c["flags"] != "-" else "")
        eta = ", ~%s to go" % hms(elapsed * (total - done + 1) / (done - 1)) if done > 1 else ""
        sys.stderr.write("[%3d/%d] %-11s %-15s %-10s %-9s %3sHz %s| %d left, %s elapsed%s ... " % (
            done, total, c["groups"][0], c["strategy"], c["workload"], c["res"], c["rate"], extra,
            total - done, hms(elapsed), eta))
        sys.stderr.flush()

    def run(self, plan_rows):
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        index = os.path.join(self.dir, "index.tsv")
        with open(index, "w") as f:
            f.write("\t".join(INDEX_HEADER) + "\n")
        t0, nbad = time.monotonic(), 0
        for done, c in enumerate(plan_rows, 1):
            self.progress(done, len(plan_rows), c, time.monotonic() - t0)
            self.wait_quiet()
            row = self.run_one(done, c)
            with open(index, "a") as f:
                f.write("\t".join(row) + "\n")
            nbad += row[9] != "ok"
            print("ok" if row[9] == "ok" else "%s: %s" % (row[9], row[13]), file=sys.stderr)
            if row[14] != "0":
                print("    (the rest of the host was busy meanwhile: %s of a CPU)" % row[16],
                      file=sys.stderr)
        waited = ", %ds of it waiting for a quiet host" % self.waited_s if self.waited_s else ""
        print("report: %d runs, %d not ok, %s%s" % (len(plan_rows), nbad,
                                                    hms(time.monotonic() - t0), waited),
              file=sys.stderr)
