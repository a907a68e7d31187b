# Median update latency against CPU cost over none, a small panel per
# workload on shared log axes, a point per design, the key in the panel
# after the last.
#   gnuplot -c glance-latency-cost.gp DATA OUT TITLE XLABEL YLABEL NOTE
# DATA from report/dirtybench_report/glance.py (latency_cost): block 0 the
# panels (panel, workload), a block per design (style, title, panel, over,
# over floored, lat_p50). A zero latency is a down triangle at the bottom.
if (ARGC < 6) { print "usage: gnuplot -c glance-latency-cost.gp DATA OUT TITLE XLABEL YLABEL NOTE"; exit status 2 }
DATA = ARG1; OUT = ARG2
COL_Y = 6; COL_LO = 6; COL_HI = 6; COL_P = 0
set datafile separator "\t"
stats DATA using 1 nooutput
NB = STATS_blocks - 1
array pn[100]
np = 0
stats DATA index 0 using (np = np + 1, pn[np] = strcol(2), $1) nooutput
COLS = 4; ROWS = int((np + 1 + COLS - 1) / COLS); ROWS = (ROWS < 1 ? 1 : ROWS)
SIZE_W = 1280; SIZE_H = 120 + 300 * ROWS
here = system("dirname '" . ARG0 . "'")
load here . "/style.gp"

# One x range (floored cost) and one y range (latency above zero) for all
# panels, whole decades, so the panels compare at a glance.
xmin = 1e300; xmax = -1e300
seex(v) = (v == v && v > 0) ? ((v < xmin ? xmin = v : 0), (v > xmax ? xmax = v : 0)) : 0
if (NB > 0) { stats DATA index 1:NB using (seex($5), $5) nooutput }
if (xmin > xmax) { xmin = 0.05; xmax = 100 }
if (ymin > ymax) { ymin = 0.1; ymax = 10 }
# (a decade's margin where a point would sit on the frame)
xlo = 10 ** floor(log10(xmin) - 0.05); xhi = 10 ** ceil(log10(xmax) + 0.05)
ylo = 10 ** floor(log10(ymin) - 0.05); yhi = 10 ** ceil(log10(ymax) + 0.05)
if (xhi <= xlo * 10) { xhi = xlo * 100 }
if (yhi <= ylo * 10) { yhi = ylo * 100 }
bottom = ylo * (yhi / ylo) ** 0.03

set logscale xy
set xrange [xlo : xhi]
set yrange [ylo : yhi]
set format x "%g"; set format y "%g"
set grid xtics ytics lc rgb "#e4e4e4" lw 1 dt 1
# Costs over none at or below FLOOR are drawn on this line.
FLOOR = 0.05
set arrow 1 from FLOOR, ylo to FLOOR, yhi nohead lc rgb "#bbbbbb" dt 3 lw 1
unset key

# Room in pixels above (title) and below (x label, note), whatever the rows.
TOP = 1 - 70.0 / SIZE_H; BOTTOM = 95.0 / SIZE_H
set multiplot layout ROWS, COLS title ARG3 font ",14" noenhanced \
	margins 0.07, 0.985, BOTTOM, TOP spacing 0.045, 85.0 / SIZE_H
set label 1 ARG4 at screen 0.5, screen 45.0 / SIZE_H center noenhanced
set label 2 ARG5 at screen 0.015, screen (BOTTOM + TOP) / 2 center rotate by 90 noenhanced
set label 3 ARG6 at screen 0.01, screen 14.0 / SIZE_H left font ",10" tc rgb "#444444" noenhanced
shown(v) = v > 0 ? v : NaN
do for [p=1:np] {
	set title pn[p] font ",12" noenhanced offset 0, -0.6
	plot for [b=1:NB] DATA index b using ($3 == p ? $5 : NaN):(shown($6)) with points lt st[b], \
		for [b=1:NB] DATA index b using ($3 == p ? $5 : NaN):($6 == 0 ? bottom : NaN) with points pt 11 lt st[b]
	unset label 1; unset label 2; unset label 3
}
# The key in the next free slot: an empty plot whose only content is the key.
unset title
unset border; unset tics; unset grid
unset arrow 1
set key inside center center vertical Left reverse noautotitle samplen 1 spacing 1.1 width -2 noenhanced font ",10"
if (NB >= 10) { set key maxrows int((NB + 2) / 2) }
# (a plot of keyentries alone trips an assertion of gnuplot 5.4: one curve
# out of range keeps it company)
unset logscale xy
set xrange [0 : 1]; set yrange [0 : 1]
plot for [b=1:NB] keyentry with points lt st[b] title tt[b], \
	keyentry with points pt 11 ps 1.2 lc rgb "#444444" title "latency 0", \
	-1 with lines notitle
unset multiplot
