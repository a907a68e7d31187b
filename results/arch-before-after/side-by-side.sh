#!/bin/sh
# side-by-side.sh OLD1 NEW1 NEW2 OLD2: the architecture change's 20 runs, four times
# each (old binary, new, new, old: ABBA against drift), as one markdown row per
# (strategy, workload): counts old | new (each "run 1 / run 2" when they differ), then
# times. Reads run-bench result JSON with jq.
set -eu
row() {  # $1 file: counts and times, tab-separated
	jq -r '[.dirty.frames_checked, .dirty.frames_missed,
		(.dirty.damage_tiles_per_frame*10|round/10), (.dirty.reported_tiles_per_round*10|round/10),
		(.dirty.precision*1000|round/1000), (.exits.exits_per_frame*100|round/100),
		((.dirty.reported_pages_per_frame // null) | if . == null then "-" else (.*10|round/10) end),
		((.kvm_stats.vcpu.counters.pf_fixed.per_frame // null) | if . == null then "-" else (.*10|round/10) end),
		(.scan.time_us.p50*10|round/10), (.latency_us.p50/100|round/10)] | @tsv' "$1"
}
pair() {  # $1 $2: "a" when equal, else "a / b"
	[ "$1" = "$2" ] && printf '%s' "$1" || printf '%s / %s' "$1" "$2"
}
echo "| strategy | workload | frames checked | missed | damage tiles/frame | tiles/round | precision | exits/frame | pages/frame | pf_fixed/frame | scan p50 µs | latency p50 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for f in "$1"/*.json; do
	b=$(basename "$f")
	s=$(jq -r .run.strategy "$f") w=$(jq -r .run.workload "$f")
	o1=$(row "$1/$b") n1=$(row "$2/$b") n2=$(row "$3/$b") o2=$(row "$4/$b")
	line="| $s | $w"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		a=$(echo "$o1" | cut -f$i) b2=$(echo "$o2" | cut -f$i) c=$(echo "$n1" | cut -f$i) d=$(echo "$n2" | cut -f$i)
		line="$line | $(pair "$a" "$b2") → $(pair "$c" "$d")"
	done
	echo "$line |"
done
