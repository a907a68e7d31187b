# Cumulative distribution, one step curve per strategy.
#   gnuplot -c cdf.gp DATA OUT TITLE XLABEL YLABEL XSCALE NOTE
# DATA from report/dirtybench_report/extract.py (cdf) (block 0 unused; blocks 1..n: style, title,
# x, cumulative fraction); OUT .png or .svg; XSCALE log or linear.
if (ARGC < 7) { print "usage: gnuplot -c cdf.gp DATA OUT TITLE XLABEL YLABEL XSCALE NOTE"; exit status 2 }
DATA = ARG1; OUT = ARG2; XLOG = (ARG6 eq "log")
SIZE_W = 1100; SIZE_H = 600
COL_Y = 3; COL_LO = 3; COL_HI = 3; COL_P = 0
set datafile separator "\t"
stats DATA using 1 nooutput
NB = STATS_blocks - 1
here = system("dirname '" . ARG0 . "'")
load here . "/style.gp"

set title ARG3 font ",14" noenhanced
set xlabel ARG4 noenhanced
set ylabel ARG5 noenhanced
set grid xtics ytics mxtics lc rgb "#dddddd"
set yrange [0 : 1.02]
set ytics 0, 0.1, 1
if (nvalid == 0) { ymin = 1; ymax = 10; set label "no data" at graph 0.5, graph 0.5 center font ",16" }
if (ymin > ymax) { ymin = (ymax > 0 ? ymax : 0.1); ymax = ymin * 10 }
# On a log axis a latency of 0 is drawn at the left edge (and said so).
if (XLOG) {
	set logscale x
	xlo = 10 ** floor(log10(ymin)); xhi = 10 ** ceil(log10(ymax))
	if (xhi <= xlo) { xhi = xlo * 10 }
	set xrange [xlo : xhi]
	set format x "%g"
	if (nzero > 0) { set label sprintf("latency 0 drawn at %g", xlo) at graph 0.01, graph 0.97 left font ",10" tc rgb "#444444" }
} else {
	xlo = 0
	set xrange [0 : ymax * 1.05]
}
set label ARG7 at screen 0.01, screen 0.02 left font ",10" tc rgb "#444444" noenhanced
set bmargin 5
plot \
	for [b=1:NB] keyentry with lines lt st[b] lw 2 title tt[b], \
	for [b=1:NB] DATA index b using ($3 <= xlo ? xlo : $3):4 with steps lt st[b] lw 2
