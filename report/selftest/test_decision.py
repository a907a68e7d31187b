"""The decision table (issue 24) and the policies' tables (issue 17) on a
small synthetic run: which design wins each constraint, the margins and
ties, the fault cost fitted from the trackers, the Xen lab's fallback cost."""

import json
import os
import unittest

import support
from dirtybench_report import decision, policies_md

NEEDS = {"none": [], "memcmp": [], "memhash": [], "logdirty": ["dirty_log"],
         "dirtyring": ["dirty_log", "dirty_ring"], "pvbitmap": ["pv_page", "guest_events"],
         "uffd-wp": ["vram_host_ptes"]}


def row(strategy, workload, cost, lat, pages=None, guest=None, host=0.0, groups=("matrix",),
        policy="fixed", flags="-", missed=0, wopt="-", after_idle=None):
    return {"strategy": strategy, "workload": workload, "groups": list(groups), "rep": 1, "flags": flags,
            "status": "ok", "cost_total": cost, "cost_guest": cost - host if guest is None else guest,
            "cost_host": host, "lat_p50": lat, "pages_per_s": pages, "policy": policy,
            "frames_missed": missed, "wopt": wopt, "after_idle_ms": after_idle}


class DecisionTest(unittest.TestCase):
    def setUp(self):
        self.s = support.Scratch()
        self.addCleanup(self.s.cleanup)
        with open(self.s.join("list.json"), "w") as f:
            json.dump({"strategies": [{"name": n, "needs": v} for n, v in NEEDS.items()]}, f)
        # video: none draws 10 ms/s; a tracker pays 2 µs a page on 10 000
        # pages/s (20 ms/s) plus 1 ms/s of rounds; memcmp 30 ms/s of rounds.
        self.runs = {"workloads": ["video", "typing"], "rows": [
            row("none", "video", 10, 5.0, guest=10),
            row("memcmp", "video", 40, 8.0, guest=10, host=30),
            row("memhash", "video", 42, 8.1, guest=10, host=32),
            row("logdirty", "video", 31, 9.0, pages=10000, guest=30, host=1),
            row("dirtyring", "video", 31.5, 9.5, pages=10000, guest=30, host=1.5),
            row("pvbitmap", "video", 12, 6.0, guest=11.5, host=0.5),
            row("uffd-wp", "video", 70, 7.0, guest=60, host=10),
            row("none", "typing", 1, 5.0, guest=1),
            row("memcmp", "typing", 31, 8.0, guest=1, host=30),
            row("logdirty", "typing", 1.2, 9.0, pages=50, guest=1.1, host=0.1),
            row("memcmp", "video", 1, 1, groups=("policies",), policy="qemu", flags="--policy qemu"),
        ]}

    def test_constraints_by_needs(self):
        needs = decision.load_needs(self.s.path)
        ok = {s: decision.constraint_ok(needs, s) for s in NEEDS}
        self.assertEqual([s for s in NEEDS if ok[s]["none"]], ["none", "memcmp", "memhash", "logdirty", "dirtyring"])
        self.assertEqual([s for s in NEEDS if ok[s]["pv"]],
                         ["none", "memcmp", "memhash", "logdirty", "dirtyring", "pvbitmap"])
        self.assertEqual([s for s in NEEDS if ok[s]["separate"]], ["memcmp", "memhash", "uffd-wp"])

    def test_policy_runs_are_not_screens(self):
        self.assertEqual(sorted(decision.screens(self.runs)["video"]),
                         ["dirtyring", "logdirty", "memcmp", "memhash", "none", "pvbitmap", "uffd-wp"])

    def test_cheapest_with_margin_and_ties(self):
        rows = decision.screens(self.runs)["video"]
        r = decision.ranked(rows, ["memcmp", "logdirty", "dirtyring"], decision.cost_over_none)
        self.assertEqual(decision.pick(r, " ms/s", "%.3g"), "**logdirty** 21 ms/s (tie: dirtyring 21.5 ms/s)")
        r = decision.ranked(rows, ["memcmp", "memhash", "uffd-wp"], decision.cost_over_none)
        self.assertEqual(decision.pick(r, " ms/s", "%.3g"), "**memcmp** 30 ms/s (tie: memhash 32 ms/s)")
        r = decision.ranked(rows, ["memcmp", "pvbitmap"], decision.cost_over_none)
        self.assertEqual(decision.pick(r, " ms/s", "%.3g"), "**pvbitmap** 2 ms/s (next memcmp ×15)")
        self.assertEqual(decision.pick([], "", "%g"), "-")

    def test_fault_cost_and_the_cheap_fault_column(self):
        by_screen = decision.screens(self.runs)
        # (20*10000 + 20*10000 + 0.1*50) / (2 * 10000^2 + 50^2): 2 µs a page
        self.assertAlmostEqual(decision._fault_cost_us(self.runs, by_screen), 2.0, places=3)
        needs = decision.load_needs(self.s.path)
        self.assertEqual(decision.cheap_fault_cell(by_screen["typing"], needs, 2.0), "logdirty already")
        video = dict(by_screen["video"], logdirty=row("logdirty", "video", 51, 9.0, pages=10000, guest=50, host=1))
        video.pop("dirtyring")
        # memcmp's 30 ms/s less logdirty's 1 ms/s of rounds over 10 000 pages/s: 2.9 µs
        self.assertEqual(decision.cheap_fault_cell(video, needs, 4.0), "logdirty below 2.9 µs/fault (10000 pages/s)")

    def test_table_has_both_tables_and_every_screen(self):
        lines = decision.table(self.runs, self.s.path, self.s.path)
        text = "\n".join(lines)
        self.assertIn("**Costs least**", text)
        self.assertIn("**Delivers fastest**", text)
        self.assertEqual(len([l for l in lines if l.startswith("| video |")]), 2)
        self.assertIn("Xen: no lab result found.", text)

    def test_lab_cost_from_a_result_before_policy_cost(self):
        r = {"guest": {"draw_time_us": {"mean": 5000}, "fps_achieved": 30},
             "scan": {"time_us": {"mean": 2000}}, "run": {"options": {"rate_hz": 60}}}
        self.assertAlmostEqual(decision.lab_cost(r), (5000 * 30 + 2000 * 60) / 1000)
        self.assertEqual(decision.lab_cost({"policy": {"cost": {"total_ms_per_s": 7}}}), 7)
        self.assertIsNone(decision.lab_cost({}))


class PoliciesTablesTest(unittest.TestCase):
    def test_mixed_single_and_burst(self):
        rows = [row("memcmp", "video", 40, 8, groups=("matrix",)),
                row("logdirty", "video", 30, 9, groups=("matrix",)),
                row("pvbitmap", "video", 5, 6, groups=("matrix",)),  # not host-only: not the bar
                row("dirtyring", "video", 33, 9, groups=("policies",), policy="auto", flags="--policy auto"),
                row("dirtyring", "mixed", 50, 9, groups=("policies-mixed",), policy="auto"),
                row("memcmp-qemu", "mixed", 45, 9, groups=("policies-mixed",), policy="qemu"),
                row("dirtyring", "burst", 5, 9, groups=("policies-burst",), policy="auto", after_idle=12),
                row("memcmp-qemu", "burst", 5, 9, groups=("policies-burst",), policy="qemu", after_idle=688)]
        text = "\n".join(policies_md.tables({"rows": rows}))
        self.assertLess(text.index("| qemu | memcmp-qemu | 45 |"), text.index("| auto | dirtyring | 50 |"))
        self.assertIn("| auto (dirtyring) | 1.10 |", text)
        self.assertIn("| *best fixed* | logdirty 30 |", text)
        self.assertLess(text.index("| auto | dirtyring | 12 |"), text.index("| qemu | memcmp-qemu | 688 |"))
        self.assertEqual(policies_md.tables({"rows": rows[:3]}), [])


if __name__ == "__main__":
    unittest.main()
