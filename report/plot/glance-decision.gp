# Which design to pick per screen: a cell per screen (row) and design
# (column), coloured by the design's cost over none's as a multiple of the
# row's cheapest (log scale, saturated at SAT), the cost over none (ms/s)
# written in it, C on the cheapest, F on the lowest median latency.
#   gnuplot -c glance-decision.gp DATA OUT TITLE NOTE
# DATA from report/dirtybench_report/glance.py (decision): block 0 the
# designs (x, name, kind), 1 the screens (y, name), 2 the kinds' x spans,
# 3 the cells (x, y, over, over floored, ratio, lat_p50, mark, present).
if (ARGC < 4) { print "usage: gnuplot -c glance-decision.gp DATA OUT TITLE NOTE"; exit status 2 }
DATA = ARG1; OUT = ARG2; SAT = 30
set datafile separator "\t"
array dn[100]
array sn[100]
array kx0[10]
array kx1[10]
array kn[10]
nd = 0; ns = 0; nk = 0
stats DATA index 0 using (nd = nd + 1, dn[nd] = strcol(2), $1) nooutput
stats DATA index 1 using (ns = ns + 1, sn[ns] = strcol(2), $1) nooutput
stats DATA index 2 using ($1 > 0 ? (nk = nk + 1, kx0[nk] = $1, kx1[nk] = $2, kn[nk] = strcol(3)) : 0, $1) nooutput
SIZE_W = 1280; SIZE_H = 230 + 36 * (ns > 5 ? ns : 5)
NB = 0; COL_Y = 1; COL_LO = 1; COL_HI = 1; COL_P = 0
here = system("dirname '" . ARG0 . "'")
load here . "/style.gp"

set title ARG3 font ",14" noenhanced offset 0, 1.2
unset grid
set border 0
set tics scale 0
set xrange [0.5 : (nd > 0 ? nd : 1) + 0.5]
set yrange [(ns > 0 ? ns : 1) + 0.5 : 0.5]
set xtics () rotate by 30 right noenhanced
do for [i=1:nd] { set xtics add (dn[i] i) }
set ytics () noenhanced
do for [i=1:ns] { set ytics add (sn[i] i) }
# The kinds: a name over each run of columns, a gap between runs.
do for [k=1:nk] {
	set label kn[k] at (kx0[k] + kx1[k]) / 2.0, 0.5 center offset 0, 0.9 font ",11" tc rgb "#333333" noenhanced
	if (k > 1) { set arrow from kx0[k] - 0.5, 0.5 to kx0[k] - 0.5, ns + 0.5 nohead lc rgb "#ffffff" lw 10 front }
}
set logscale cb
set cbrange [1 : SAT]
set cbtics ("1" 1, "2" 2, "3" 3, "5" 5, "10" 10, "20" 20, "≥ 30" 30) scale 0.5
set cblabel "cost over none ÷ the row's cheapest" noenhanced
set palette defined (0 "#ffffd4", 0.35 "#fed98e", 0.65 "#fe9929", 0.85 "#d95f0e", 1 "#993404")
set colorbox user origin screen 0.9, screen 0.3 size screen 0.015, screen 0.5
set lmargin 24; set rmargin 16; set tmargin 5; set bmargin 8
if (nd == 0 || ns == 0) { set label "no data" at graph 0.5, graph 0.5 center font ",16" }
set label ARG4 at screen 0.01, screen 0.045 left font ",10" tc rgb "#444444" noenhanced

celltext(v) = v <= 0.05 ? "≈0" : (v < 10 ? sprintf("%.1f", v) : sprintf("%.0f", v))
# Column 8 says whether the cell has a cost: a NaN would poison any
# expression that reads it, so the others are read only when it does.
dark = 12  # ratios above it are dark cells: white text
ink(k) = (column(8) == 1 && column(5) > dark) ? 0xffffff : k
plot \
	DATA index 3 using 1:($8 == 0 ? $2 : NaN):(0.47):(0.47) with boxxyerror fs solid 1 noborder lc rgb "#e8e8e8", \
	DATA index 3 using 1:($8 == 1 ? $2 : NaN):(0.47):(0.47):($8 == 1 ? ($5 < SAT ? $5 : SAT) : 1) \
		with boxxyerror fs solid 1 noborder lc palette, \
	DATA index 3 using 1:($8 == 1 ? $2 - 0.14 : NaN):($8 == 1 ? celltext($3) : ""):(ink(0x222222)) \
		with labels font ",10" tc rgb variable, \
	DATA index 3 using 1:($2 + 0.2):(strcol(7) eq "-" ? "" : (strcol(7) eq "CF" ? "C F" : strcol(7))):(ink(0x000000)) \
		with labels font ",10:Bold" tc rgb variable
