"""The quick matrix against a fake run-bench: file naming, the "regress"
member, the log, idle's long first pass, and the exit status."""

import contextlib
import io
import json
import os
import unittest

import support
from dirtybench_report import quick

FAKE = r'''s=$1 w=$2 out= dur=
if [ "$1" = --list ]; then exec cat "%s"; fi
while [ $# -gt 0 ]; do
	case $1 in --out) out=$2; shift ;; --duration) dur=$2; shift ;; esac
	shift
done
case $s in
broken) echo "run-bench: $s $w: the guest stopped answering" >&2; exit 1 ;;
unsup) echo "run-bench: $s $w: strategy unsup is not supported here: no dirty ring" >&2; exit 4 ;;
esac
printf '{"run": {"strategy": "%%s", "workload": "%%s"}, "duration": %%s}\n' "$s" "$w" "$dur" > "$out"
'''


class QuickMatrixTest(unittest.TestCase):
    def setUp(self):
        self.s = support.Scratch()
        self.addCleanup(self.s.cleanup)
        bench = support.fake_bench(self.s, FAKE % os.path.join(support.TESTDATA, "list.json"))
        self.env = {"RUN_BENCH": bench, "QUICK_PASSES": "2", "QUICK_WORKLOADS": "idle video",
                    "QUICK_BUSY_MAX": "100", "QUICK_STRATEGIES": "none memcmp"}
        self.out = self.s.join("m")

    def run_matrix(self, **env):
        with contextlib.redirect_stderr(io.StringIO()):
            return quick.main([self.out], dict(self.env, **env), support.TOP)

    def result(self, name):
        return json.loads(support.read(os.path.join(self.out, name)))

    def test_every_run_a_file_with_its_regress_member(self):
        self.assertEqual(self.run_matrix(), 0)
        names = sorted(n for n in os.listdir(self.out) if n.endswith(".json"))
        self.assertEqual(names, sorted("%s-%s-p%d.json" % (s, w, p) for s in ("none", "memcmp")
                                       for w in ("idle", "video") for p in (1, 2)))
        r = self.result("memcmp-video-p2.json")
        self.assertEqual(list(r), ["run", "duration", "regress"])
        self.assertEqual(set(r["regress"]), {"others_cpu", "busy_max", "busy", "try"})
        self.assertEqual((r["regress"]["busy_max"], r["regress"]["busy"], r["regress"]["try"]), (100, False, 0))
        # idle runs long in the first pass only, so its per-frame counts are judged
        self.assertEqual(self.result("none-idle-p1.json")["duration"], 6)
        self.assertEqual(self.result("none-idle-p2.json")["duration"], 1.5)
        self.assertEqual(self.result("none-video-p1.json")["duration"], 1.5)

    def test_log(self):
        self.run_matrix(QUICK_PASSES="1", QUICK_WORKLOADS="video")
        lines = support.read(os.path.join(self.out, "quick-matrix.log")).splitlines()
        self.assertEqual(lines[0], "pass\tstrategy\tworkload\ttry\twall_s\tothers_cpu\tstatus")
        self.assertEqual([l.split("\t")[:4] + l.split("\t")[6:] for l in lines[1:]],
                         [["1", "none", "video", "0", "ok"], ["1", "memcmp", "video", "0", "ok"]])

    def test_failed_run_fails_the_matrix(self):
        self.assertEqual(self.run_matrix(QUICK_STRATEGIES="none broken"), 1)
        self.assertIn("the guest stopped answering", support.read(os.path.join(self.out, "run-bench.stderr")))
        self.assertFalse(os.path.exists(os.path.join(self.out, "broken-idle-p1.json")))

    def test_unsupported_is_recorded_not_failed(self):
        self.assertEqual(self.run_matrix(QUICK_STRATEGIES="none unsup", QUICK_PASSES="1"), 0)
        log = support.read(os.path.join(self.out, "quick-matrix.log"))
        self.assertIn("\tunsup\tidle\t0\t", log)
        self.assertEqual(log.count("\tunsupported\n"), 2)

    def test_strategies_from_the_listing(self):
        self.assertEqual(self.run_matrix(QUICK_STRATEGIES="", QUICK_PASSES="1", QUICK_WORKLOADS="idle"), 0)
        self.assertEqual(len([n for n in os.listdir(self.out) if n.endswith(".json")]), 10)
        self.assertTrue(os.path.exists(os.path.join(self.out, "memcmp-qemu-idle-p1.json")))

    def test_usage(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            self.assertEqual(quick.main([], self.env, support.TOP), 2)
            self.assertEqual(quick.main(["a", "b"], self.env, support.TOP), 2)
            self.assertEqual(quick.main([self.out], dict(self.env, QUICK_PASSES="x"), support.TOP), 2)
        self.assertIn("usage: scripts/quick-matrix DIR", err.getvalue())
        self.assertIn("bad setting", err.getvalue())


if __name__ == "__main__":
    unittest.main()
