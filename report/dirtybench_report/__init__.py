"""dirtybench's report pipeline and matrix runner (entry point: report/dbreport.py).

Modules: text (number formatting and JSON output), listing (run-bench --list
--json), runner (one run-bench run, its status, the busy-host detector),
quick (the regression gate's quick matrix), plan and execute (the report's
configurations and their runs), summary (runs.json), extract (the figures'
data), figures (gnuplot), markdown and reportmd (REPORT.md's sections),
report (the report's command line).
"""
