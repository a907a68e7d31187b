#!/usr/bin/env python3
"""dirtybench's report pipeline and matrix runner: one program.

  report/dbreport.py report [--from DIR]   make report (scripts/report)
  report/dbreport.py quick-matrix DIR      the regression gate's quick matrix
                                           (scripts/quick-matrix)

Why Python (3, standard library only, Debian 12's python3): the pipeline was
bash driving awk and jq, about a thousand lines in three languages. In one
language the report and the quick matrix share one matrix runner and one
busy-host detector; the standard library reads the results' JSON, so no
awk or jq arithmetic is left (histograms are read from their bins_by_value,
never decoded by bucket); and it runs wherever the build does, with nothing
to install. gnuplot stays for the figures: report/plot/*.gp read the data
files this program writes.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from dirtybench_report import quick, report  # noqa: E402  (after the path is set)

COMMANDS = {"report": report.main, "quick-matrix": quick.main}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print("usage: report/dbreport.py report [--from DIR] | quick-matrix DIR", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:], os.environ, os.path.dirname(HERE))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
