"""One run of run-bench for a matrix: its status, and whether the host was busy.

Shared by the report and the regression gate's quick matrix.

Status comes from run-bench's exit code, never from its English: 0 ok, 1 the
run failed, 2 bad input, 4 this host cannot run it (recorded as unsupported,
with run-bench's one-line message as the reason, not as a failure); a run we
had to stop is a timeout.

The busy-host detector: every run-bench pins its scan thread to CPU 0 and its
vCPU to CPU 1, so on a small host any other program distorts its times. Each
run measures the CPU time the rest of the machine used meanwhile (/proc/stat's
busy jiffies minus this process's and its children's CPU time), as a fraction
of one CPU; above BUSY_MAX the run is "busy" and may be done again, within a
number of retries and a budget of seconds shared by the whole matrix, so a
matrix still ends on a busy host.
"""

import json
import os
import signal
import subprocess
import time

from . import text

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNSUPPORTED = 0, 1, 2, 4
EXIT_TIMEOUT = 124  # what timeout(1) returns, as the report recorded before
STATUS = {EXIT_OK: "ok", EXIT_FAILED: "failed", EXIT_BAD_INPUT: "bad input",
          EXIT_UNSUPPORTED: "unsupported", EXIT_TIMEOUT: "timeout"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def status_of(rc):
    """A run's status from run-bench's exit code (a signal's death is a failure)."""
    return STATUS.get(rc, "failed")


def reason_of(stderr_text):
    """run-bench's last message line, without its "run-bench: " prefix."""
    lines = [l for l in stderr_text.splitlines() if l.strip()]
    if not lines:
        return None
    line = lines[-1].replace("\t", " ")
    return line[len("run-bench: "):] if line.startswith("run-bench: ") else line


def busy_jiffies(stat_text):
    """CPU time spent busy by the whole machine, from /proc/stat's "cpu" line:
    user + nice + system + irq + softirq (idle, iowait and steal are not)."""
    for line in stat_text.splitlines():
        f = line.split()
        if f and f[0] == "cpu":
            return sum(int(f[i]) for i in (1, 2, 3, 6, 7))
    raise ValueError("no cpu line in /proc/stat")


def others_cpu(jiffies, own_cpu_s, wall_s, hz=CLK_TCK):
    """The share of one CPU used by everything but us over wall_s seconds."""
    return (jiffies / hz - own_cpu_s) / (wall_s if wall_s > 0 else 0.001)


def _read_stat():
    with open("/proc/stat") as f:
        return busy_jiffies(f.read())


def _own_cpu_s():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class BusyMeter:
    """Measures how busy the rest of the host is between start() and stop()."""

    def start(self):
        self.j0, self.c0, self.t0 = _read_stat(), _own_cpu_s(), time.monotonic()

    def stop(self):
        """(wall seconds, share of a CPU others used) since start()."""
        wall = time.monotonic() - self.t0
        return wall, others_cpu(_read_stat() - self.j0, _own_cpu_s() - self.c0, wall)


class Outcome:
    """One try of one run: exit code, status, reason, wall time, others' CPU."""

    def __init__(self, rc, stderr_text, wall_s, others):
        self.rc, self.status = rc, status_of(rc)
        self.reason = reason_of(stderr_text)
        self.stderr = stderr_text
        self.wall_s, self.others_cpu = wall_s, others
        self.busy, self.tries = False, 0


def _communicate(proc, timeout_s):
    """stderr of proc; on timeout SIGTERM, then SIGKILL 10 s later (timeout -k 10)."""
    try:
        return proc.communicate(timeout=timeout_s)[1], None
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            err = proc.communicate(timeout=10)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            err = proc.communicate()[1]
        return err, EXIT_TIMEOUT


def run_once(argv, cwd=None, timeout_s=None):
    """Run run-bench once; its Outcome (stderr captured)."""
    meter = BusyMeter()
    meter.start()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as e:
        wall, others = meter.stop()
        return Outcome(EXIT_FAILED, "run-bench: cannot run %s: %s\n" % (argv[0], e), wall, others)
    err, forced = _communicate(proc, timeout_s)
    wall, others = meter.stop()
    rc = forced if forced is not None else proc.returncode
    if rc < 0:
        rc = 128 - rc  # as a shell reports a signal's death
    return Outcome(rc, err.decode("utf-8", "replace"), wall, others)


class Retries:
    """Runs done again on a busy host: at most `retries` per run and
    `budget_s` seconds of them over the whole matrix."""

    def __init__(self, busy_max, retries, budget_s):
        self.busy_max, self.retries, self.budget_s = busy_max, retries, budget_s
        self.spent_s = 0.0

    def is_busy(self, others):
        # Judged on the value as logged (two decimals), as the log reads.
        return round(others, 2) > self.busy_max

    def again(self, tries):
        return tries < self.retries and self.spent_s < self.budget_s

    def run(self, argv, on_try, cwd=None, timeout_s=None):
        """Run argv until it is quiet, fails, or retries run out; on_try(outcome)
        after each try (it may write the log or annotate the result). The last
        Outcome."""
        tries = 0
        while True:
            o = run_once(argv, cwd, timeout_s)
            o.busy, o.tries = o.rc == EXIT_OK and self.is_busy(o.others_cpu), tries
            on_try(o)
            if not o.busy or not self.again(tries):
                return o
            time.sleep(1)
            self.spent_s += o.wall_s + 1
            tries += 1


def annotate_regress(path, others, busy_max, busy, tries):
    """Add the gate's "regress" member to a result: {others_cpu, busy_max, busy,
    try}. db-compare sets busy runs aside; the file is rewritten compact (the
    baseline is committed)."""
    with open(path) as f:
        doc = json.load(f)
    doc["regress"] = {"others_cpu": float("%.2f" % others), "busy_max": busy_max,
                      "busy": busy, "try": tries}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text.dump_json(doc, compact=True) + "\n")
    os.replace(tmp, path)
