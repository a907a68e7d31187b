"""The quick matrix of the regression check (scripts/quick-matrix DIR).

Every listed strategy on the idle, scrolling and video workloads, short runs,
one result file per run in DIR (DIR/STRATEGY-WORKLOAD-pPASS.json; db-compare
and the committed baseline depend on that naming), every try logged in
DIR/quick-matrix.log.

Why it is shaped like this:
- The whole matrix is run PASSES times over rather than --repeat back to
  back, so a burst of noise lands on one run of many configurations instead
  of on every run of one; db-compare takes the median of each configuration.
- A run on a busy host (runner.py's detector) is done again, at most
  QUICK_RETRIES times and QUICK_RETRY_BUDGET_S seconds of retries in all.
- Each result gets a member "regress": {others_cpu, busy_max, busy, try}
  (the quick matrix's, not run-bench's schema); db-compare judges a
  configuration on its undisturbed runs and does not call a change seen
  only on a busy host a regression.
- idle draws 2 frames a second: in the first QUICK_IDLE_LONG_PASSES passes
  it runs QUICK_IDLE_DURATION so that its per-frame counts (judged only on
  runs of 10 frames or more; they do not depend on the machine's speed, so
  one run is enough) are checked too; its times come from every pass.
- Runs use --allow-misses: a missed update is recorded in the result and
  fails the comparison instead of leaving a hole in the matrix.
- A strategy this host cannot run (run-bench exit 4) is logged as
  unsupported and is not a failure; db-compare then finds its
  configurations missing from the matrix and says so.

Exit status: 0 every supported run wrote a result; 1 some run failed (see
DIR/run-bench.stderr); 2 bad usage.
"""

import glob
import os
import sys
import time

from . import listing, runner

USAGE = "usage: scripts/quick-matrix DIR"
KNOBS = {  # environment variable: default
    "QUICK_PASSES": "3", "QUICK_DURATION": "1.5", "QUICK_IDLE_DURATION": "6",
    "QUICK_IDLE_LONG_PASSES": "1", "QUICK_WARMUP": "0.5",
    "QUICK_WORKLOADS": "idle scrolling video", "QUICK_BUSY_MAX": "0.30",
    "QUICK_RETRIES": "2", "QUICK_RETRY_BUDGET_S": "90",
}


def say(msg):
    print("quick-matrix: " + msg, file=sys.stderr, flush=True)


class QuickMatrix:
    def __init__(self, directory, env, top):
        k = {name: env.get(name) or default for name, default in KNOBS.items()}
        self.dir = directory
        self.passes = int(k["QUICK_PASSES"])
        self.duration, self.idle_duration = k["QUICK_DURATION"], k["QUICK_IDLE_DURATION"]
        self.idle_long_passes = int(k["QUICK_IDLE_LONG_PASSES"])
        self.warmup = k["QUICK_WARMUP"]
        self.workloads = k["QUICK_WORKLOADS"].split()
        self.retries = runner.Retries(float(k["QUICK_BUSY_MAX"]), int(k["QUICK_RETRIES"]),
                                      float(k["QUICK_RETRY_BUDGET_S"]))
        self.bench = env.get("RUN_BENCH") or os.path.join(top, "run-bench")
        self.strategies = (env.get("QUICK_STRATEGIES") or "").split()
        self.log = os.path.join(directory, "quick-matrix.log")
        self.failed = self.unsupported = self.disturbed = 0

    def log_try(self, pas, s, w, o):
        state = "ok" if o.rc == 0 else "unsupported" if o.status == "unsupported" else "exit %d" % o.rc
        with open(self.log, "a") as f:
            f.write("%d\t%s\t%s\t%d\t%.1f\t%.2f\t%s\n" % (pas, s, w, o.tries, o.wall_s, o.others_cpu, state))
        with open(os.path.join(self.dir, "run-bench.stderr"), "a") as f:
            f.write(o.stderr)
        self.disturbed += round(o.others_cpu, 2) > self.retries.busy_max

    def run_one(self, pas, s, w):
        out = os.path.join(self.dir, "%s-%s-p%d.json" % (s, w, pas))
        secs = self.idle_duration if w == "idle" and pas <= self.idle_long_passes else self.duration
        argv = [self.bench, s, w, "--duration", secs, "--warmup", self.warmup,
                "--allow-misses", "--quiet", "--out", out]

        def on_try(o):
            self.log_try(pas, s, w, o)
            if o.rc == 0:
                runner.annotate_regress(out, o.others_cpu, self.retries.busy_max, o.busy, o.tries)

        o = self.retries.run(argv, on_try)
        self.failed += o.rc != 0 and o.status != "unsupported"
        self.unsupported += o.status == "unsupported"

    def run(self):
        t0 = time.monotonic()
        with open(self.log, "w") as f:
            f.write("pass\tstrategy\tworkload\ttry\twall_s\tothers_cpu\tstatus\n")
        for pas in range(1, self.passes + 1):
            for w in self.workloads:
                say("pass %d/%d, %s (%ds elapsed)" % (pas, self.passes, w, time.monotonic() - t0))
                for s in self.strategies:
                    self.run_one(pas, s, w)
        say("%d results in %s, %ds, %d disturbed tries" % (
            len(glob.glob(os.path.join(self.dir, "*.json"))), self.dir, time.monotonic() - t0,
            self.disturbed))
        if self.unsupported:
            say("%d runs unsupported on this host; see %s" % (self.unsupported, self.log))
        if self.failed:
            say("some runs failed; see %s" % os.path.join(self.dir, "run-bench.stderr"))
        return 1 if self.failed else 0


def main(args, env, top):
    if len(args) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        os.makedirs(args[0], exist_ok=True)
        qm = QuickMatrix(args[0], env, top)
        if not qm.strategies:
            qm.strategies = listing.load(qm.bench).strategy_names()
    except ValueError as e:
        say("bad setting: %s" % e)
        return 2
    except (OSError, listing.ListingError) as e:
        say(str(e))
        return 2
    if not qm.strategies:
        say("%s --list --json named no strategy" % qm.bench)
        return 2
    return qm.run()
