"""The matrix runner: a run's status from run-bench's exit code, the
busy-host detector's arithmetic, retries within their budget, and the
"regress" annotation."""

import json
import unittest
from unittest import mock

import support
from dirtybench_report import runner

STAT = """cpu  1000 20 300 50000 40 5 6 7 0 0
cpu0 500 10 150 25000 20 2 3 3 0 0
intr 12345
"""


class StatusTest(unittest.TestCase):
    def test_status_from_exit_code(self):
        self.assertEqual([runner.status_of(rc) for rc in (0, 1, 2, 4, 124, 134, 3)],
                         ["ok", "failed", "bad input", "unsupported", "timeout", "failed", "failed"])

    def test_reason_is_the_last_message_line(self):
        self.assertEqual(runner.reason_of("warming up\nrun-bench: dirtyring idle: no\tdirty ring\n\n"),
                         "dirtyring idle: no dirty ring")
        self.assertEqual(runner.reason_of("==1==ERROR: AddressSanitizer\n"), "==1==ERROR: AddressSanitizer")
        self.assertIsNone(runner.reason_of(""))

    def test_run_once_by_exit_code(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        bench = support.fake_bench(s, 'echo "run-bench: $1 idle: $2" >&2\nexit "$1"\n')
        for rc, status in ((0, "ok"), (1, "failed"), (2, "bad input"), (4, "unsupported")):
            o = runner.run_once([bench, str(rc), "a reason"])
            self.assertEqual((o.rc, o.status, o.reason), (rc, status, "%d idle: a reason" % rc))
            self.assertGreater(o.wall_s, 0)

    def test_run_once_timeout_and_missing_binary(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        o = runner.run_once([support.fake_bench(s, "exec sleep 5\n")], timeout_s=0.2)
        self.assertEqual((o.rc, o.status), (124, "timeout"))
        o = runner.run_once([s.join("no-such-run-bench")])
        self.assertEqual(o.status, "failed")
        self.assertIn("cannot run", o.reason)


class BusyTest(unittest.TestCase):
    def test_busy_jiffies(self):
        # user + nice + system + irq + softirq; idle, iowait and steal are not busy
        self.assertEqual(runner.busy_jiffies(STAT), 1000 + 20 + 300 + 5 + 6)
        with self.assertRaises(ValueError):
            runner.busy_jiffies("intr 1\n")

    def test_others_cpu(self):
        # 300 jiffies busy over 2 s at 100 Hz, 1.5 s of them ours: 0.75 of a CPU
        self.assertAlmostEqual(runner.others_cpu(300, 1.5, 2.0, hz=100), 0.75)
        self.assertAlmostEqual(runner.others_cpu(100, 1.0, 4.0, hz=100), 0.0)
        self.assertAlmostEqual(runner.others_cpu(10, 0, 0, hz=100), 100.0)  # no division by zero

    def test_busy_is_judged_as_logged(self):
        r = runner.Retries(0.30, 2, 90)
        self.assertFalse(r.is_busy(0.304))
        self.assertTrue(r.is_busy(0.306))

    def test_meter_measures_something(self):
        m = runner.BusyMeter()
        m.start()
        wall, others = m.stop()
        self.assertGreaterEqual(wall, 0)
        self.assertIsInstance(others, float)


def outcomes(*others, rc=0):
    seq = iter(others)

    def fake(argv, cwd=None, timeout_s=None):
        return runner.Outcome(rc, "", 2.0, next(seq))
    return fake


class RetryTest(unittest.TestCase):
    def run_tries(self, retries, budget, *others, rc=0):
        seen = []
        r = runner.Retries(0.30, retries, budget)
        with mock.patch.object(runner, "run_once", outcomes(*others, rc=rc)), \
                mock.patch.object(runner.time, "sleep"):
            last = r.run(["x"], seen.append)
        return r, last, [(o.tries, o.busy) for o in seen]

    def test_quiet_run_once(self):
        _, last, tries = self.run_tries(2, 90, 0.1)
        self.assertEqual(tries, [(0, False)])

    def test_busy_runs_again_up_to_retries(self):
        r, last, tries = self.run_tries(2, 90, 0.9, 0.9, 0.9, 0.9)
        self.assertEqual(tries, [(0, True), (1, True), (2, True)])
        self.assertEqual(r.spent_s, 2 * (2.0 + 1))
        _, last, tries = self.run_tries(2, 90, 0.9, 0.1)
        self.assertEqual(tries, [(0, True), (1, False)])

    def test_budget_is_shared(self):
        r, _, tries = self.run_tries(5, 4, 0.9, 0.9, 0.9, 0.9)
        self.assertEqual(len(tries), 3)  # 3 s spent after one retry, 6 s after two: stop
        seen = []  # the budget is spent: the next busy run is kept as it is
        with mock.patch.object(runner, "run_once", outcomes(0.9, 0.9)):
            self.assertTrue(r.run(["x"], seen.append).busy)
        self.assertEqual(len(seen), 1)

    def test_failed_run_is_not_retried(self):
        _, last, tries = self.run_tries(2, 90, 0.9, rc=1)
        self.assertEqual(tries, [(0, False)])
        self.assertEqual(last.status, "failed")


class AnnotateTest(unittest.TestCase):
    def test_regress_member_and_compact_file(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        path = s.join("memcmp-idle-p1.json")
        with open(path, "w") as f:
            f.write('{\n  "run": {"strategy": "memcmp"},\n  "scan": {"rounds": 3.0, "big": 18446744073709551615}\n}\n')
        runner.annotate_regress(path, 0.004, 0.3, False, 0)
        self.assertEqual(support.read(path),
                         '{"run":{"strategy":"memcmp"},"scan":{"rounds":3,"big":18446744073709551615},'
                         '"regress":{"others_cpu":0,"busy_max":0.3,"busy":false,"try":0}}\n')
        runner.annotate_regress(path, 0.456, 0.3, True, 2)
        self.assertEqual(json.loads(support.read(path))["regress"],
                         {"others_cpu": 0.46, "busy_max": 0.3, "busy": True, "try": 2})


if __name__ == "__main__":
    unittest.main()
