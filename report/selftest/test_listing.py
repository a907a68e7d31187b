"""run-bench --list --json: parsed into names, defaults and support; the
report's option canonicalisation."""

import json
import os
import unittest

import support
from dirtybench_report import listing


def doc():
    return json.loads(support.read(os.path.join(support.TESTDATA, "list.json")))


class ListingTest(unittest.TestCase):
    def test_names_in_registry_order(self):
        lst = listing.parse(json.dumps(doc()))
        self.assertEqual(lst.strategy_names()[:3], ["none", "memcmp", "memcmp-qemu"])
        self.assertEqual(len(lst.strategy_names()), 10)
        self.assertEqual(lst.workload_names(),
                         ["idle", "video", "fullscreen", "drag", "sparse", "scrolling", "typing"])
        self.assertEqual(lst.backend, "kvm")

    def test_required_option_leaves_a_workload_out(self):
        # trace's file: a string option with no default; no matrix can run it
        d = doc()
        d["workloads"].append({"name": "trace", "description": "a recorded screen", "fps": 60.0,
                               "options": [{"name": "file", "type": "string", "default": "",
                                            "help": "the trace file"}]})
        lst = listing.parse(json.dumps(d))
        self.assertNotIn("trace", lst.workload_names())
        self.assertIn("typing", lst.workload_names())

    def test_whole_names_only(self):
        # memcmp-qemu listed does not make memcmp listed
        d = doc()
        d["strategies"] = [s for s in d["strategies"] if s["name"] != "memcmp"]
        self.assertNotIn("memcmp", listing.parse(json.dumps(d)).strategy_names())

    def test_defaults_as_option_text(self):
        d = doc()
        d["workloads"][0]["options"].append({"name": "flag", "type": "bool", "default": True})
        d["workloads"][0]["options"].append({"name": "mode", "type": "enum", "default": "fast",
                                             "values": ["fast", "slow"]})
        defaults = listing.parse(json.dumps(d)).workload_defaults()
        self.assertEqual(defaults["idle"], {"blink_ms": "500", "clock_start": "-1", "flag": "1",
                                            "mode": "fast"})
        self.assertEqual(defaults["video"], {"w": "1280", "h": "720", "fps": "30"})

    def test_unsupported_with_reason(self):
        d = doc()
        d["strategies"][5].update(supported=False, reason="KVM_CAP_DIRTY_LOG_RING is not offered")
        lst = listing.parse(json.dumps(d))
        self.assertEqual(lst.unsupported(), {"dirtyring": "KVM_CAP_DIRTY_LOG_RING is not offered"})
        self.assertEqual(listing.parse(json.dumps(doc())).unsupported(), {})

    def test_rejects_what_is_not_a_listing(self):
        for bad in ("not json", "[]", json.dumps({"schema": "other/1"}),
                    json.dumps({"schema": listing.SCHEMA, "strategies": [{}], "workloads": []}),
                    json.dumps({"schema": listing.SCHEMA, "workloads": []})):
            with self.assertRaises(listing.ListingError, msg=bad):
                listing.parse(bad)

    def test_tsv_files(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        listing.parse(json.dumps(doc())).write_tsv(s.path)
        self.assertTrue(support.read(s.join("strategies.tsv")).startswith(
            "none\tno tracking: report the whole screen every round (baseline)\n"))
        self.assertIn("video\tw\t1280\n", support.read(s.join("wdefaults.tsv")))
        self.assertEqual(support.read(s.join("workloads.tsv")).count("\n"), 7)

    def test_load_runs_the_binary(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        good = support.fake_bench(s, 'cat "%s"\n' % os.path.join(support.TESTDATA, "list.json"))
        self.assertEqual(len(listing.load(good).strategy_names()), 10)
        bad = support.fake_bench(s, "echo \"run-bench: unknown or incomplete option '--json'\" >&2; exit 2\n")
        with self.assertRaisesRegex(listing.ListingError, "exited 2: .*--json"):
            listing.load(bad)

    def test_canon_options(self):
        defaults = {"w": "1280", "h": "720", "fps": "30"}
        self.assertEqual(listing.canon_options("-", defaults), "-")
        self.assertEqual(listing.canon_options("w=1280,h=720", defaults), "-")
        self.assertEqual(listing.canon_options("h=480,w=640,fps=30", defaults), "h=480,w=640")
        self.assertEqual(listing.canon_options("fps=30.0", defaults), "-")


if __name__ == "__main__":
    unittest.main()
