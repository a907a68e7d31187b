"""REPORT.md's generated sections: the tables as the jq pipeline rendered
them, unsupported and failed runs shown as such, and the section rewrite."""

import unittest

import support
from dirtybench_report import markdown, reportmd, summary


def md(lines):
    return "\n".join(lines) + "\n"


class SectionsTest(unittest.TestCase):
    def setUp(self):
        self.s = support.Scratch()
        self.addCleanup(self.s.cleanup)

    def runs(self, **kw):
        return summary.build(support.run_copy(self.s, keyed=False, **kw))

    def test_as_before(self):
        runs = self.runs(columns=16)
        self.assertEqual(md(markdown.method(runs)), support.expected("method.md"))
        self.assertEqual(md(markdown.tables(runs)), support.expected("tables.md"))
        self.assertEqual(md(markdown.vnc_table(runs)), support.expected("vnc.md"))

    def test_busy_host_from_the_detector(self):
        runs = self.runs()
        self.assertIn("the rest of the host used at most 0.3 of a CPU during every run", md(markdown.method(runs)))
        runs["rows"][1]["concurrent"] = 1
        self.assertIn("and 1 runs were taken while the rest of the host used more than 0.3 of a CPU",
                      md(markdown.method(runs)))
        tables = md(markdown.tables(runs))
        self.assertIn("| none \u2020 | 3.38 |", tables)
        self.assertIn("\u2020 the rest of the host was busy during this run.", tables)

    def test_locked_phase_is_marked_and_its_latency_not_shown(self):
        runs = self.runs()
        tables = md(markdown.tables(runs))
        self.assertNotIn("\u2021", tables)
        runs["rows"][1]["phase_locked"] = True
        tables = md(markdown.tables(runs))
        name = runs["rows"][1]["strategy"]
        self.assertIn("| %s \u2021 | " % name, tables)
        self.assertIn(" | *locked* | *locked* | ", tables)
        self.assertIn("\u2021 locked clocks (`--phase-sweep 0`", tables)

    def test_unsupported_and_failed_runs(self):
        runs = self.runs(name="bad", extra_rows=[
            support.index_row(10, "dirtyring", "idle", "unsupported", 4,
                              "dirtyring idle: strategy dirtyring is not supported here: no | ring"),
            support.index_row(11, "dirtyring", "video", "failed", 1, "dirtyring video: the guest stopped"),
            support.index_row(12, "ptebits", "idle", "unsupported", 4, "-", groups="vnc")])
        method = md(markdown.method(runs))
        self.assertIn("12 configurations, 9 with a result, 3 without (2 unsupported on this host);", method)
        self.assertIn("| 10 | dirtyring | idle | 1920x1080 | 60 Hz |   | unsupported | "
                      "dirtyring idle: strategy dirtyring is not supported here: no \\| ring |", method)
        self.assertIn("| 11 | dirtyring | video | 1920x1080 | 60 Hz |   | failed | dirtyring video: the guest stopped |",
                      method)
        self.assertIn("| 12 | ptebits | idle | 1920x1080 | 60 Hz |   | unsupported | \u2014 |", method)
        tables = md(markdown.tables(runs))
        self.assertIn("| dirtyring | *unsupported* |" + " \u2014 |" * 11 + "\n", tables)
        self.assertIn("| dirtyring | *failed* |" + " \u2014 |" * 11 + "\n", tables)
        self.assertIn("3 strategies; the guest asks for 2 frames/s", tables)
        self.assertIn("| idle | ptebits | *unsupported* |" + " \u2014 |" * 7 + "\n", md(markdown.vnc_table(runs)))


class RewriteTest(unittest.TestCase):
    TEXT = ("# R\n\nhand\n\n<!-- BEGIN GENERATED: tables -->\nold\nold\n<!-- END GENERATED -->\n\n"
            "more hand\n<!-- BEGIN GENERATED: vnc -->\n<!-- END GENERATED -->\n")

    def test_replace_section(self):
        out = reportmd.replace_section(self.TEXT, "tables", ["new", ""])
        self.assertEqual(out, self.TEXT.replace("old\nold\n", "new\n\n"))
        with self.assertRaises(reportmd.MarkerError):
            reportmd.replace_section(self.TEXT, "method", ["x"])

    def test_figures_md(self):
        figs = [("matrix", "scan-time", "Scan."), ("matrix", "latency", "Lat."), ("cdf", "latency-cdf-idle", "C.")]
        self.assertEqual(md(reportmd.figures_md(figs, "results/r/figures")),
                         "\n### All strategies on every workload\n\n"
                         "**Scan.** ([SVG](results/r/figures/scan-time.svg))\n\n"
                         "![Scan.](results/r/figures/scan-time.png)\n\n"
                         "**Lat.** ([SVG](results/r/figures/latency.svg))\n\n![Lat.](results/r/figures/latency.png)\n\n"
                         "\n### Update-latency distributions\n\n"
                         "**C.** ([SVG](results/r/figures/latency-cdf-idle.svg))\n\n"
                         "![C.](results/r/figures/latency-cdf-idle.png)\n\n")

    def test_write_new_report(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        d = support.run_copy(s, keyed=False)
        path = s.join("REPORT.md")
        runs = summary.build(d)
        reportmd.write(path, runs, d, [("matrix", "scan-time", "Scan."), ("vnc", "vnc-e2e", "E2E.")])
        text = support.read(path)
        self.assertIn("<!-- BEGIN GENERATED: method -->\n*Generated by `make report` from run "
                      "`fast-20261202T075136Z-ece641b17d74`; do not edit by hand.*\n", text)
        self.assertIn("[`results/fast-20261202T075136Z-ece641b17d74/`](run/)", text)
        self.assertIn("### idle\n", text)
        self.assertIn("![Scan.](run/figures/scan-time.png)", text)
        self.assertIn("![E2E.](run/figures/vnc-e2e.png)\n\n<!-- END GENERATED -->", text)
        self.assertIn("*To be written from the generated sections below.*", text)

    def test_vnc_only_run_leaves_the_rest(self):
        s = support.Scratch()
        self.addCleanup(s.cleanup)
        runs = summary.build(support.run_copy(s, keyed=False))
        runs["rows"] = [r for r in runs["rows"] if r["groups"] == ["vnc"]]
        self.assertEqual(set(reportmd.sections(runs, [], "rel")), {"vnc"})


if __name__ == "__main__":
    unittest.main()
