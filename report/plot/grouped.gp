# One metric per strategy (series) and workload (category), points with
# whiskers, strategies side by side within each workload.
#   gnuplot -c grouped.gp DATA OUT TITLE XLABEL YLABEL YSCALE REF NOTE
# DATA from report/dirtybench_report/extract.py (grouped); OUT .png or .svg; YSCALE log or linear;
# REF a y value to draw a dashed reference line at ("-": none); NOTE a line
# under the plot saying what the points and whiskers are.
# A failed or skipped run is a cross at the bottom in the strategy's colour;
# on a log scale a zero is a down triangle at the bottom.
if (ARGC < 8) { print "usage: gnuplot -c grouped.gp DATA OUT TITLE XLABEL YLABEL YSCALE REF NOTE"; exit status 2 }
DATA = ARG1; OUT = ARG2; YLOG = (ARG6 eq "log")
SIZE_W = 1280; SIZE_H = 620
COL_Y = 4; COL_LO = 5; COL_HI = 6; COL_P = 7
set datafile separator "\t"
stats DATA using 1 nooutput
NB = STATS_blocks - 1
here = system("dirname '" . ARG0 . "'")
load here . "/style.gp"

array cat[100]
ncat = 0
stats DATA index 0 using (cat[int($1)] = strcol(2), ncat = ($1 > ncat ? int($1) : ncat), $1) nooutput

set title ARG3 font ",14" noenhanced
set xlabel ARG4 noenhanced
set ylabel ARG5 noenhanced
set xrange [0.5 : ncat + 0.5]
set xtics () scale 0
do for [i=1:ncat] { set xtics add (cat[i] i) }
do for [i=1:ncat-1] { set arrow from i + 0.5, graph 0 to i + 0.5, graph 1 nohead lc rgb "#bbbbbb" dt 3 }
if (nvalid == 0) { ymin = 1; ymax = 10 }
# Nothing above zero: any range will do for the markers.
if (ymin > ymax) { ymin = (ymax > 0 ? ymax : 0.1); ymax = ymin * 10 }
if (YLOG) {
	set logscale y
	set format y "10^{%L}"
	# A decade margin when a point would sit on the frame.
	lo = 10 ** floor(log10(ymin) - 0.05); hi = 10 ** ceil(log10(ymax) + 0.05)
	if (hi <= lo * 10) { hi = lo * 100 }
	if (hi / lo <= 1000) { set format y "%g" }
	set yrange [lo : hi]
	bottom = lo * (hi / lo) ** 0.015
} else {
	lo = 0; hi = (ymax > 0 ? ymax * 1.1 : 1)
	set yrange [lo : hi]
	bottom = hi * 0.015
}
if (ARG7 ne "-") { set arrow from graph 0, first ARG7 to graph 1, first ARG7 nohead lc rgb "#555555" dt 2 lw 1.2 }
if (nvalid == 0) { set label "no data" at graph 0.5, graph 0.5 center font ",16" }
set label ARG8 at screen 0.01, screen 0.02 left font ",10" tc rgb "#444444" noenhanced
set bmargin 5

off(b) = (b - (NB + 1) / 2.0) * (0.8 / NB)
# A zero cannot sit on a log axis; it is marked at the bottom.
shown(v) = (YLOG && v <= 0) ? NaN : v
plot \
	for [b=1:NB] keyentry with yerrorbars lt st[b] title tt[b], \
	keyentry with points pt 2 ps 1.2 lc rgb "#444444" title (nmiss > 0 ? "run failed or skipped" : ""), \
	keyentry with points pt 11 ps 1.2 lc rgb "#444444" title (YLOG && nzero > 0 ? "zero (off the log scale)" : ""), \
	for [b=1:NB] DATA index b using ($3 + off(b)):(shown($4)):(shown($5)):(shown($6)) \
		with yerrorbars lt st[b], \
	for [b=1:NB] DATA index b using ($3 + off(b)):($7 == 0 ? bottom : NaN) with points pt 2 ps 1.2 lt st[b], \
	for [b=1:NB] DATA index b using ($3 + off(b)):(YLOG && $7 == 1 && $4 <= 0 ? bottom : NaN) \
		with points pt 11 ps 1.2 lt st[b]
