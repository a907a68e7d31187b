# A write tracker's guest cost against the pages written per second, with
# its fit through the origin (c, the cost of one fault), and a compare's
# cost at the same points with its median: where the line crosses the
# median, tracking costs as much as comparing.
#   gnuplot -c glance-crossover.gp DATA OUT TITLE XLABEL YLABEL NOTE
# DATA from report/dirtybench_report/glance.py (crossover): comment lines
# for readers, block 0 one row (0, c ms per page, compare median ms/s,
# crossover pages/s, points of each), blocks 1 (tracker) and 2 (compare)
# style, title, pages/s, cost over none, label. Costs at or below FLOOR are
# drawn at FLOOR.
if (ARGC < 6) { print "usage: gnuplot -c glance-crossover.gp DATA OUT TITLE XLABEL YLABEL NOTE"; exit status 2 }
DATA = ARG1; OUT = ARG2; FLOOR = 0.05
SIZE_W = 1100; SIZE_H = 640
COL_Y = 4; COL_LO = 4; COL_HI = 4; COL_P = 0
set datafile separator "\t"
NB = 2
here = system("dirname '" . ARG0 . "'")
load here . "/style.gp"

stats DATA index 0 using (c = $2, med = $3, cross = $4, $1) nooutput
xmin = 1e300; xmax = -1e300
seex(v) = (v == v && v > 0) ? ((v < xmin ? xmin = v : 0), (v > xmax ? xmax = v : 0)) : 0
stats DATA index 1:2 using (seex($3), $3) nooutput
if (cross == cross) { dummy = seex(cross) }
if (xmin > xmax) { xmin = 1; xmax = 1e5 }
ymin = (ymin < FLOOR ? FLOOR : ymin)
if (med == med && med > 0) { ymin = (med < ymin ? med : ymin); ymax = (med > ymax ? med : ymax) }
if (ymin > ymax) { ymin = 0.1; ymax = 100 }
xlo = 10 ** floor(log10(xmin)); xhi = 10 ** ceil(log10(xmax))
ylo = 10 ** floor(log10(ymin)); yhi = 10 ** ceil(log10(ymax))

set title ARG3 font ",14" noenhanced
set xlabel ARG4 noenhanced
set ylabel ARG5 noenhanced
set logscale xy
set xrange [xlo : xhi]
set yrange [ylo : yhi]
set format x "10^{%L}"; set format y "%g"
set grid xtics ytics lc rgb "#e4e4e4" lw 1 dt 1
set key inside left top vertical Left reverse noautotitle samplen 2 spacing 1.2 noenhanced box opaque
set label 9 ARG6 at screen 0.01, screen 0.045 left font ",10" tc rgb "#444444" noenhanced
set bmargin 6
if (nvalid == 0) { set label "no data" at graph 0.5, graph 0.5 center font ",16" }
# The crossover to two significant digits: the fit is not better than that.
sig2(x) = (e = 10 ** (floor(log10(x)) - 1), e * floor(x / e + 0.5))
if (cross == cross) {
	set arrow from cross, ylo to cross, yhi nohead lc rgb "#444444" dt 2 lw 1.4
	set label 1 sprintf("crossover ≈ %.0f pages/s", sig2(cross)) at cross, ylo left offset 0.6, 1.0 \
		font ",11" tc rgb "#222222" noenhanced front
}
shown(v) = v > FLOOR ? v : FLOOR
fit(x) = c * x
plot \
	DATA index 1 using 3:(shown($4)) with points lt st[1] ps 1.4 title tt[1] . ": guest cost over none", \
	(c == c ? fit(x) : NaN) with lines lt st[1] lw 1.6 title (c == c ? sprintf("fit: %.2f µs per page written", c * 1000) : ""), \
	DATA index 2 using 3:(shown($4)) with points lt st[2] ps 1.4 title tt[2] . ": total cost over none, at " . tt[1] . "'s pages/s", \
	(med == med ? med : NaN) with lines lt st[2] dt 2 lw 1.6 title (med == med ? sprintf("%s median: %.3g ms/s", tt[2], med) : "")
