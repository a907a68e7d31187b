# The look shared by the report's figures, loaded by the other scripts after
# they set OUT (the output file) and SIZE_W, SIZE_H (pixels).
# The terminal follows OUT's extension (.png or .svg). Every data file gives
# each row a style column: the strategy's place in run-bench --list, so one
# strategy has one colour and one point type in every figure. Point types 2
# (cross: no run) and 11 (down triangle: zero on a log axis) are kept for
# the markers. Titles, labels and the key take text as it is (noenhanced):
# names like pf_taken are not subscripts.
if (OUT[strlen(OUT)-3:] eq ".svg") {
	set terminal svg size SIZE_W,SIZE_H dynamic enhanced font "DejaVu Sans,12" background "white"
} else {
	set terminal pngcairo size SIZE_W,SIZE_H enhanced font "DejaVu Sans,11" background "white"
}
set output OUT
set datafile separator "\t"
set encoding utf8
set border 3 lw 1
set tics nomirror out
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set key outside right top vertical Left reverse noautotitle samplen 2 spacing 1.2 noenhanced
set linetype 1  lc rgb "#000000" pt 5  ps 1.1 lw 1.6
set linetype 2  lc rgb "#1f77b4" pt 7  ps 1.1 lw 1.6
set linetype 3  lc rgb "#17becf" pt 9  ps 1.2 lw 1.6
set linetype 4  lc rgb "#d62728" pt 13 ps 1.2 lw 1.6
set linetype 5  lc rgb "#ff7f0e" pt 15 ps 1.2 lw 1.6
set linetype 6  lc rgb "#8c564b" pt 4  ps 1.1 lw 1.6
set linetype 7  lc rgb "#2ca02c" pt 6  ps 1.1 lw 1.6
set linetype 8  lc rgb "#bcbd22" pt 8  ps 1.2 lw 1.6
set linetype 9  lc rgb "#9467bd" pt 12 ps 1.2 lw 1.6
set linetype 10 lc rgb "#e377c2" pt 14 ps 1.2 lw 1.6
set linetype 11 lc rgb "#7f7f7f" pt 1 ps 1.2 lw 1.6
set linetype 12 lc rgb "#aec7e8" pt 3 ps 1.1 lw 1.6
set linetype 13 lc rgb "#c49c94" pt 10 ps 1.2 lw 1.6
set linetype 14 lc rgb "#393b79" pt 5  ps 1.1 lw 1.6
set linetype 15 lc rgb "#e6ab02" pt 7  ps 1.1 lw 1.6
set linetype cycle 15

# Reads the style and title of every block of DATA from 1 to NB into st[], tt[];
# the range of the values in columns COL_Y, COL_LO, COL_HI into ymin (least
# positive), ymax, with nvalid values (0: nothing to draw) and nzero of them
# not above zero; with COL_P > 0, nmiss rows whose column COL_P is 0 (no run).
array st[NB > 0 ? NB : 1]
array tt[NB > 0 ? NB : 1]
ymin = 1e300; ymax = -1e300; nvalid = 0; nzero = 0; nmiss = 0
see(v) = (v == v) ? (nvalid = nvalid + 1, \
	(v > 0 && v < ymin) ? ymin = v : 0, (v > ymax) ? ymax = v : 0, (v <= 0) ? nzero = nzero + 1 : 0) : 0
do for [b=1:NB] {
	stats DATA index b using (st[b] = int($1), tt[b] = strcol(2), \
		see(column(COL_LO)), see(column(COL_HI)), see(column(COL_Y)), \
		(COL_P > 0 && column(COL_P) == 0) ? nmiss = nmiss + 1 : 0, $1) nooutput
}
