#!/bin/bash
# Issue 17's bars judged with repeats: every single workload with auto (dirtyring,
# as make report runs it) beside every fixed host-only mechanism, mixed with auto,
# the anchors and the fixed mechanisms, burst after 10 s idle; three passes, each
# pass runs every configuration once (alternated, so drift hits all alike).
# Run under the machine lock: flock /tmp/dirtybench-machine.lock run.sh OUT BIN
set -u
out=$1; bin=$2
mkdir -p "$out"
: > "$out/failed.txt"
run() { local name=$1; shift
	if ! "$bin" --res 1920x1080 --quiet --out "$out/$name.json" "$@" 2> "$out/$name.err"; then
		echo "$name: $(tail -n 1 "$out/$name.err")" >> "$out/failed.txt"; fi
	rm -f "$out/$name.err"; }
fixed="memcmp memcmp-qemu memhash logdirty logdirty-manual dirtyring"
for rep in 1 2 3; do
	echo "pass $rep $(date -u +%T)" >&2
	for w in idle video fullscreen drag sparse scrolling typing; do
		d=3; [ $w = idle ] && d=4
		run "single-$w-auto-dirtyring-r$rep" --policy auto --duration $d --warmup 0.5 dirtyring $w
		for s in $fixed; do run "single-$w-fixed-$s-r$rep" --duration $d --warmup 0.5 $s $w; done
	done
	for s in memcmp memhash dirtyring logdirty; do
		run "mixed-fixed-$s-r$rep" --duration 18 --warmup 1 $s mixed --wopt phase_ms=3000; done
	run "mixed-auto-dirtyring-r$rep" --policy auto --duration 18 --warmup 1 dirtyring mixed --wopt phase_ms=3000
	run "mixed-qemu-memcmp-qemu-r$rep" --policy qemu --duration 18 --warmup 1 memcmp-qemu mixed --wopt phase_ms=3000
	run "mixed-xen-logdirty-r$rep" --policy xen --duration 18 --warmup 1 logdirty mixed --wopt phase_ms=3000
	run "mixed-vmwgfx-ptebits-r$rep" --policy vmwgfx --duration 18 --warmup 1 ptebits mixed --wopt phase_ms=3000
	for p in "auto dirtyring" "qemu memcmp-qemu" "xen logdirty"; do set -- $p
		run "burst-$1-$2-r$rep" --policy $1 --duration 12 --warmup 0.5 $2 burst --wopt idle_ms=10000; done
done
echo "done $(date -u +%T)" >&2
