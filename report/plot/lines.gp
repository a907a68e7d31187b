# One metric against a swept parameter, a line per strategy, points with
# whiskers.
#   gnuplot -c lines.gp DATA OUT TITLE XLABEL YLABEL XSCALE YSCALE NOTE
# DATA from report/dirtybench_report/extract.py (lines) (block 0: x tic labels, or "auto"); OUT
# .png or .svg; XSCALE, YSCALE log or linear; NOTE a line under the plot
# saying what the points and whiskers are. A failed or skipped run breaks its
# line and is a cross at the bottom; on a log scale a zero is a down triangle.
if (ARGC < 8) { print "usage: gnuplot -c lines.gp DATA OUT TITLE XLABEL YLABEL XSCALE YSCALE NOTE"; exit status 2 }
DATA = ARG1; OUT = ARG2; XLOG = (ARG6 eq "log"); YLOG = (ARG7 eq "log")
SIZE_W = 1100; SIZE_H = 600
COL_Y = 4; COL_LO = 5; COL_HI = 6; COL_P = 7
set datafile separator "\t"
stats DATA using 1 nooutput
NB = STATS_blocks - 1
here = system("dirname '" . ARG0 . "'")
load here . "/style.gp"

# x tics: labelled values from block 0, or gnuplot's own.
array xt[100]
array xv[100]
nxt = 0; xauto = 0
stats DATA index 0 using (strcol(2) eq "auto" ? xauto = 1 : (nxt = nxt + 1, xv[nxt] = $1, xt[nxt] = strcol(2)), $1) nooutput
xmin = 1e300; xmax = -1e300
seex(v) = (v == v) ? ((v < xmin ? xmin = v : 0), (v > xmax ? xmax = v : 0)) : 0
stats DATA index 1:NB using (seex($3), $3) nooutput

set title ARG3 font ",14" noenhanced
set xlabel ARG4 noenhanced
set ylabel ARG5 noenhanced
if (xmax <= xmin) { xmax = xmin * 2 + 1 }
if (XLOG) { set logscale x; set xrange [xmin / 1.25 : xmax * 1.25] } \
else { set xrange [xmin - 0.05 * (xmax - xmin) : xmax + 0.05 * (xmax - xmin)] }
if (!xauto) { set xtics (); do for [i=1:nxt] { set xtics add (xt[i] xv[i]) } }
if (XLOG && xauto) { set format x "%g" }
if (nvalid == 0) { ymin = 1; ymax = 10 }
# Nothing above zero: any range will do for the markers.
if (ymin > ymax) { ymin = (ymax > 0 ? ymax : 0.1); ymax = ymin * 10 }
if (YLOG) {
	set logscale y
	lo = 10 ** floor(log10(ymin)); hi = 10 ** ceil(log10(ymax))
	if (hi <= lo * 10) { hi = lo * 100 }
	set format y (hi / lo <= 1e4 ? "%g" : "10^{%L}")
	set yrange [lo : hi]
	bottom = lo * (hi / lo) ** 0.015
} else {
	lo = 0; hi = (ymax > 0 ? ymax * 1.1 : 1)
	set yrange [lo : hi]
	bottom = hi * 0.015
}
if (nvalid == 0) { set label "no data" at graph 0.5, graph 0.5 center font ",16" }
set label ARG8 at screen 0.01, screen 0.02 left font ",10" tc rgb "#444444" noenhanced
set bmargin 5

shown(v) = (YLOG && v <= 0) ? NaN : v
# Strategies side by side around each x, so whiskers at one x stay apart.
dodge(x, b) = XLOG ? x * (xmax / xmin) ** (0.006 * (b - (NB + 1) / 2.0)) \
	: x + (xmax - xmin) * 0.006 * (b - (NB + 1) / 2.0)
plot \
	for [b=1:NB] keyentry with yerrorlines lt st[b] title tt[b], \
	keyentry with points pt 2 ps 1.2 lc rgb "#444444" title (nmiss > 0 ? "run failed or skipped" : ""), \
	keyentry with points pt 11 ps 1.2 lc rgb "#444444" title (YLOG && nzero > 0 ? "zero (off the log scale)" : ""), \
	for [b=1:NB] DATA index b using (dodge($3, b)):(shown($4)):(shown($5)):(shown($6)) with yerrorlines lt st[b], \
	for [b=1:NB] DATA index b using (dodge($3, b)):($7 == 0 ? bottom : NaN) with points pt 2 ps 1.2 lt st[b], \
	for [b=1:NB] DATA index b using (dodge($3, b)):(YLOG && $7 == 1 && $4 <= 0 ? bottom : NaN) \
		with points pt 11 ps 1.2 lt st[b]
