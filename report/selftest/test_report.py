"""The report's plan, and the whole report run against a fake run-bench
(no VM): index.tsv with each run's status from its exit code, runs.json,
the data files and REPORT.md."""

import contextlib
import io
import os
import unittest
from unittest import mock

import support
from dirtybench_report import execute, figures, listing, plan, report, runner

FAKE = r'''if [ "$1" = --list ]; then exec cat "%s"; fi
out=
for a; do [ "$prev" = --out ] && out=$a; prev=$a; done
for s; do w=$last; last=$s; done
case $w in
dirtyring) echo "run-bench: $w $last: strategy dirtyring is not supported here: no dirty ring" >&2; exit 4 ;;
ptebits) echo "run-bench: $w $last: the guest stopped answering" >&2; exit 1 ;;
esac
cp "%s" "$out"
'''


def load_listing():
    return listing.parse(support.read(os.path.join(support.TESTDATA, "list.json")))


class PlanTest(unittest.TestCase):
    def test_even(self):
        self.assertEqual([plan.even(v) for v in (1280.0, 853.33, 10, 1281)], [1280, 854, 16, 1282])

    def test_same_plan_as_the_committed_report(self):
        d = os.path.join(support.TOP, "results", "report-20261122T055914Z-bc77dda255a5")
        # That run's lists (before the 30-minute budget of issue 24)
        k = report.knobs({"REPORT_GROUPS": "matrix res frac rate noise overhead",
                          "RES_LIST": "640x480 1280x720 1920x1080 2560x1440 3840x2160",
                          "SPARSE_N": "1 16 256 4096 65536", "VIDEO_SCALES": "0.1 0.25 0.5 0.667 1",
                          "RATE_LIST": "10 30 60 120 240", "OVERHEAD_REPS": "5"})
        rows = plan.Plan(load_listing(), k).build(k["REPORT_GROUPS"])
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        plan.write_tsv(rows, s.join("plan.tsv"))
        self.assertEqual(support.read(s.join("plan.tsv")), support.read(os.path.join(d, "plan.tsv")))

    def test_groups_merge_and_unknown_names_are_left_out(self):
        k = report.knobs({"FAST": "1", "STRATEGIES": "none nosuch", "WORKLOADS": "video",
                          "NOISE_STRATEGIES": "none", "REPORT_GROUPS": "matrix noise"})
        said = []
        rows = plan.Plan(load_listing(), k, said.append).build(k["REPORT_GROUPS"])
        self.assertEqual([(r["groups"], r["strategy"], r["rep"]) for r in rows],
                         [(["matrix", "noise"], "none", "1"), (["noise"], "none", "2")])
        self.assertEqual(said, ["plan: no strategy nosuch in this build, left out of matrix"])
        with self.assertRaises(ValueError):
            plan.Plan(load_listing(), k).build(["nosuch"])


class NewGroupsTest(unittest.TestCase):
    """Issue 24: the policies and the shipped traces in the same run."""

    def test_traces_at_their_own_size(self):
        k = report.knobs({"REPORT_GROUPS": "traces", "TRACE_STRATEGIES": "memcmp"}, support.TOP)
        lst = load_listing()
        lst.workloads.append({"name": "trace", "options": [{"name": "file", "type": "string", "default": ""}]})
        rows = plan.Plan(lst, k).build(k["REPORT_GROUPS"])
        traces = sorted(f for f in os.listdir(os.path.join(support.TOP, "traces")) if f.endswith(".dbt"))
        self.assertEqual([r["wopt"] for r in rows], ["file=traces/" + t for t in traces])
        self.assertEqual({r["res"] for r in rows}, {plan.trace_resolution(os.path.join(support.TOP, "traces", t))
                                                    for t in traces})
        self.assertNotIn("/", execute.run_name(1, rows[0]))

    def test_policy_runs_carry_their_length_apart_from_the_name(self):
        k = report.knobs({"REPORT_GROUPS": "policies", "POLICY_RUNS": "auto:dirtyring",
                          "POLICY_FIXED": "fixed:memcmp", "BURST_RUNS": "auto:dirtyring"})
        lst = load_listing()
        lst.workloads += [{"name": "mixed", "options": []}, {"name": "burst", "options": []}]
        rows = plan.Plan(lst, k).build(k["REPORT_GROUPS"])
        mixed = [r for r in rows if r["workload"] == "mixed"]
        self.assertEqual([(r["strategy"], r["flags"]) for r in mixed],
                         [("dirtyring", "--policy auto --duration 18 --warmup 1"),
                          ("memcmp", "--policy fixed --duration 18 --warmup 1")])
        ex = execute.Executor(support.TOP, "x", "run-bench", k)
        argv, _ = ex.argv(mixed[0], "runs/a.json")
        self.assertEqual(argv[1:5], ["--duration", "18", "--warmup", "1"])
        self.assertEqual(argv.count("--duration"), 1)
        self.assertEqual(execute.run_name(1, mixed[0]),
                         "001-dirtyring-mixed-1920x1080-60hz-phase_ms-3000--policyauto")
        self.assertFalse(any(r["workload"] in plan.POLICY_WORKLOADS for r in rows if "matrix" in r["groups"]))
        with self.assertRaises(ValueError):
            report.knobs({"POLICY_RUNS": "auto"})


class QuietWaitTest(unittest.TestCase):
    """QUIET_WAIT: before a run, wait while the rest of the host is busy
    (the runner's detector over one-second samples), within QUIET_BUDGET."""

    def wait(self, samples, **knobs):
        k = dict(report.knobs({}), **knobs)
        ex = execute.Executor("/nonexistent", "r", "run-bench", k)
        seq = iter(samples)
        with mock.patch.object(runner.BusyMeter, "start"), \
                mock.patch.object(runner.BusyMeter, "stop", lambda self: (1.0, next(seq))), \
                mock.patch.object(execute.time, "sleep"):
            ex.wait_quiet()
            ex.wait_quiet()
        return ex.waited_s

    def test_waits_while_busy(self):
        self.assertEqual(self.wait([0.9, 0.9, 0.1, 0.1], QUIET_WAIT=5), 2)
        self.assertEqual(self.wait([0.9] * 10, QUIET_WAIT=3), 6)  # at most QUIET_WAIT s per run
        self.assertEqual(self.wait([0.9] * 10, QUIET_WAIT=3, QUIET_BUDGET=4), 4)
        self.assertEqual(self.wait([], QUIET_WAIT=0), 0)


class ReportRunTest(unittest.TestCase):
    def setUp(self):
        self.s = support.Scratch()
        self.addCleanup(self.s.cleanup)
        self.top = self.s.join("top")
        os.makedirs(self.top)
        os.symlink(os.path.join(support.TOP, "report"), os.path.join(self.top, "report"))
        result = os.path.join(support.TESTDATA, "run", "runs", "002-none-video-1920x1080-60hz.json")
        self.env = {"RUN_BENCH": support.fake_bench(self.s, FAKE % (
            os.path.join(support.TESTDATA, "list.json"), result)),
            "FAST": "1", "REPORT_GROUPS": "matrix", "STRATEGIES": "none dirtyring ptebits",
            "WORKLOADS": "video", "REPORT_MD": self.s.join("REPORT.md"), "REPORT_BUSY_MAX": "100"}

    def run_report(self, args=()):
        drawn = []
        with mock.patch.object(figures.Figures, "draw",
                               lambda self, stem, section, caption, script, a: drawn.append(stem)), \
                contextlib.redirect_stderr(io.StringIO()) as err:
            status = report.main(list(args), self.env, self.top)
        return status, drawn, err.getvalue()

    def test_statuses_from_exit_codes(self):
        status, drawn, err = self.run_report()
        self.assertEqual(status, 0, err)
        (run_id,) = os.listdir(os.path.join(self.top, "results"))
        d = os.path.join(self.top, "results", run_id)
        index = [l.split("\t") for l in support.read(os.path.join(d, "index.tsv")).splitlines()]
        self.assertEqual(index[0][-2:], ["others_cpu", "retries"])
        self.assertEqual([(r[2], r[9], r[10], r[12], r[13]) for r in index[1:]],
                         [("none", "ok", "0", "runs/001-none-video-1920x1080-60hz.json", "-"),
                          ("dirtyring", "unsupported", "4", "-",
                           "dirtyring video: strategy dirtyring is not supported here: no dirty ring"),
                          ("ptebits", "failed", "1", "-", "ptebits video: the guest stopped answering")])
        self.assertIn("scan-time", drawn)
        self.assertIn("latency-cdf-video", drawn)
        self.assertTrue(os.path.exists(os.path.join(d, "list.json")))
        self.assertTrue(os.path.exists(os.path.join(d, "logs", "002-dirtyring-video-1920x1080-60hz.stderr")))
        self.assertIn("6\tdirtyring (no data)\t1\tNaN\tNaN\tNaN\t0",  # style: place in the list
                      support.read(os.path.join(d, "data", "scan-time.tsv")))
        text = support.read(self.env["REPORT_MD"])
        self.assertIn("| dirtyring | *unsupported* |", text)
        self.assertIn("3 configurations, 1 with a result, 2 without (1 unsupported on this host)", text)
        self.assertFalse(os.listdir(os.path.join(self.top, "build", "report")))  # the binary's copy is gone

        # --from DIR again, REPORT.md left alone when REPORT_MD is empty
        self.env["REPORT_MD"] = ""
        os.remove(os.path.join(d, "runs.json"))
        self.assertEqual(self.run_report(["--from", d])[0], 0)
        self.assertTrue(os.path.exists(os.path.join(d, "runs.json")))

    def test_usage(self):
        self.assertEqual(self.run_report(["--from"])[0], 2)
        self.assertEqual(self.run_report(["extra"])[0], 2)


if __name__ == "__main__":
    unittest.main()
