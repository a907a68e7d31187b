"""The "at a glance" figures' data (issue 24) from a small synthetic run: the
cheapest and fastest marks, costs over none floored, the fault cost fitted
on exact data and the crossover it gives. gnuplot is not called."""

import json
import os
import unittest

import support
from dirtybench_report import glance

NEEDS = {"none": [], "memcmp": [], "logdirty": ["dirty_log"], "ptebits": ["guest_pagetables"],
         "pvbitmap": ["pv_page", "guest_events"], "uffd-wp": ["vram_host_ptes"]}
TRACE = "file=traces/vim-typing.dbt"


def row(strategy, workload, groups, status="ok", wopt="-", res="1920x1080", **fields):
    r = {"strategy": strategy, "workload": workload, "groups": groups, "status": status, "res": res,
         "rate": 60, "wopt": wopt, "rep": 1, "flags": "-", "policy": "fixed"}
    r.update(fields)
    return r


def cost(total, guest=None, lat=10.0, pages=None):
    return {"cost_total": total, "cost_guest": total if guest is None else guest, "lat_p50": lat,
            "pages_per_s": pages}


def runs_of(rows, needs=True):
    names = ["none", "memcmp", "logdirty", "ptebits", "pvbitmap", "uffd-wp"]
    return {"meta": {"resolution": "1920x1080", "rate_hz": "60"},
            "strategies": [dict({"name": n}, **({"needs": NEEDS[n]} if needs else {})) for n in names],
            "workloads": ["idle", "video", "sparse", "trace"], "rows": rows}


def decision_runs():
    m = ["matrix"]
    return runs_of([
        row("none", "idle", m, **cost(1.0)),
        row("memcmp", "idle", m, **cost(31.0, lat=12)),
        row("logdirty", "idle", m, **cost(3.0, lat=4)),
        row("ptebits", "idle", m, **cost(3.0, lat=4)),   # tied fastest with logdirty
        row("pvbitmap", "idle", m, **cost(2.0, lat=9)),  # cheapest: 1 ms/s over none
        row("uffd-wp", "idle", m, "failed"),
        row("none", "video", m, **cost(50.0)),
        row("memcmp", "video", m, **cost(49.0, lat=12)),    # below none: noise, floored
        row("logdirty", "video", m, **cost(150.0, lat=3)),
        row("pvbitmap", "video", m, **cost(50.5, lat=11)),
        row("uffd-wp", "video", m, **cost(60.0, lat=5)),
        row("memcmp", "trace", ["traces"], wopt=TRACE, res="640x480", **cost(5.0, lat=8)),
        row("logdirty", "trace", ["traces"], wopt=TRACE, res="640x480", **cost(2.0, lat=7)),
        # not plain runs: another repeat, a policy
        dict(row("pvbitmap", "video", ["noise"], **cost(0.1, lat=0.1)), rep=2),
        dict(row("memcmp", "video", ["policies"], **cost(0.1, lat=0.1)), flags="--policy qemu", policy="qemu"),
    ])


class DecisionTest(unittest.TestCase):
    def setUp(self):
        self.designs, self.screens, self.cells = glance.decision_cells(decision_runs(), NEEDS)

    def test_designs_by_kind_and_screens_in_order(self):
        self.assertEqual(self.designs, [("memcmp", "compare"), ("logdirty", "tracker"), ("ptebits", "PTE bits"),
                                        ("pvbitmap", "paravirtual"), ("uffd-wp", "separate process")])
        self.assertEqual(self.screens, [("idle", True), ("video", True), ("vim-typing", False)])

    def marks(self, screen, mark):
        return [d for d, _ in self.designs if self.cells[(screen, d)][mark]]

    def test_cheapest_and_fastest(self):
        self.assertEqual(self.marks("idle", "cheapest"), ["pvbitmap"])
        self.assertEqual(self.marks("idle", "fastest"), ["logdirty", "ptebits"])
        self.assertEqual(self.cells[("idle", "memcmp")]["ratio"], 30.0)
        self.assertIsNone(self.cells[("idle", "uffd-wp")]["ratio"])  # failed: no result

    def test_cost_below_none_is_floored(self):
        c = self.cells[("video", "memcmp")]
        self.assertEqual((c["over"], c["ratio"], c["cheapest"]), (-1.0, 1.0, True))
        self.assertEqual(self.cells[("video", "pvbitmap")]["ratio"], 0.5 / glance.FLOOR)
        self.assertEqual(self.marks("video", "fastest"), ["logdirty"])

    def test_screen_without_none_has_latency_but_no_cost(self):
        self.assertEqual(self.marks("vim-typing", "fastest"), ["logdirty"])
        self.assertEqual(self.marks("vim-typing", "cheapest"), [])
        self.assertIsNone(self.cells[("vim-typing", "memcmp")]["ratio"])

    def test_data_file(self):
        text = glance.decision(decision_runs(), NEEDS)
        blocks = text.split("\n\n\n")
        self.assertEqual(blocks[1].split("\n")[2], "3\tvim-typing (no none)")
        self.assertEqual(blocks[2].split("\n")[:2], ["1\t1\tcompare", "2\t2\ttracker"])
        cells = [l.split("\t") for l in blocks[3].strip().split("\n")]
        self.assertEqual(cells[3][:2] + cells[3][6:], ["4", "1", "C", "1"])  # idle, pvbitmap
        self.assertEqual(cells[5][:2] + cells[5][6:], ["1", "2", "C", "1"])  # video, memcmp
        self.assertEqual(cells[10][6:], ["-", "0"])                          # vim-typing, memcmp

    def test_needs_from_list_json_when_runs_json_lacks_them(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        with open(s.join("list.json"), "w") as f:
            json.dump({"strategies": [{"name": n, "needs": v} for n, v in NEEDS.items()]}, f)
        runs = runs_of([], needs=False)
        self.assertEqual(glance.strategy_needs(runs, s.path), NEEDS)
        self.assertEqual(glance.strategy_needs(runs, os.path.join(s.path, "nosuch")), {})

    def test_kind(self):
        self.assertEqual([glance.kind(NEEDS[n]) for n in ("memcmp", "logdirty", "ptebits", "pvbitmap", "uffd-wp")],
                         list(glance.KINDS))
        self.assertEqual(glance.kind(["guest_pagetables", "vram_write_trap"]), "PTE bits")


def crossover_runs():
    """logdirty's guest cost over none exactly 2 ms/s per page written per s;
    memcmp 10, 20, 40 ms/s over none."""
    rows = []
    for groups, w, wopt, pages, extra in ((["matrix"], "idle", "-", 10, 10.0), (["matrix"], "video", "-", 1000, 40.0),
                                          (["frac-sparse"], "sparse", "n=16", 100, 20.0)):
        rows += [row("none", w, groups, wopt=wopt, **cost(5.0, guest=4.0)),
                 row("logdirty", w, groups, wopt=wopt, **cost(4.0 + 2.0 * pages + 1, guest=4.0 + 2.0 * pages,
                                                              pages=pages)),
                 row("memcmp", w, groups, wopt=wopt, **cost(5.0 + extra, guest=4.0))]
    rows += [
        # no none on the trace: left out and counted
        row("logdirty", "trace", ["traces"], wopt=TRACE, res="640x480", **cost(9.0, pages=5)),
        # res at another resolution: not the matrix's
        row("none", "video", ["res"], res="640x480", **cost(1.0)),
        row("logdirty", "video", ["res"], res="640x480", **cost(1000.0, pages=1)),
    ]
    return runs_of(rows)


class CrossoverTest(unittest.TestCase):
    def test_fit_and_crossover(self):
        tracker, compare, c, med, x, alone = glance.crossover_numbers(crossover_runs())
        self.assertEqual(sorted(p[1:] for p in tracker), [(10, 20.0), (100, 200.0), (1000, 2000.0)])
        self.assertEqual(sorted(p[1:] for p in compare), [(10, 10.0), (100, 20.0), (1000, 40.0)])
        self.assertAlmostEqual(c, 2.0, places=12)
        self.assertEqual(med, 20.0)
        self.assertAlmostEqual(x, 10.0, places=10)
        self.assertEqual(alone, 1)

    def test_header_lines(self):
        head = glance.crossover(crossover_runs()).split("\n")[:2]
        self.assertEqual([l.split("\t")[0] for l in head], ["# c_ms_per_page", "# crossover_pages_per_s"])
        self.assertAlmostEqual(float(head[0].split("\t")[1]), 2.0, places=12)
        self.assertAlmostEqual(float(head[1].split("\t")[1]), 10.0, places=10)

    def test_no_points_is_no_fit(self):
        self.assertIsNone(glance.fit_through_origin([]))
        text = glance.crossover(runs_of([]))
        self.assertTrue(text.startswith("# c_ms_per_page\tNaN\n# crossover_pages_per_s\tNaN\n"))
        self.assertIn("logdirty (no data)", text)

    def test_median(self):
        self.assertEqual((glance.median([3, 1, 2]), glance.median([4, 1, 3, 2]), glance.median([])), (2, 2.5, None))


class LatencyCostTest(unittest.TestCase):
    def test_a_panel_per_matrix_workload(self):
        blocks = glance.latency_cost(decision_runs(), NEEDS).split("\n\n\n")
        self.assertEqual(blocks[0], "1\tidle\n2\tvideo")
        self.assertEqual([b.split("\t")[1] for b in blocks[1:]],
                         ["memcmp", "logdirty", "ptebits", "pvbitmap", "uffd-wp"])
        memcmp = [l.split("\t") for l in blocks[1].strip().split("\n")]
        self.assertEqual(memcmp[1][2:], ["2", "-1", "0.05", "12"])


if __name__ == "__main__":
    unittest.main()
