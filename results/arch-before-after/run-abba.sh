#!/bin/bash
# ABBA: old, new, new, old per configuration, same seed, so drift lands on both.
old=${OLD:?old run-bench binary} new=${NEW:?new run-bench binary} out=${OUT:?output directory}
mkdir -p $out/old1 $out/new1 $out/new2 $out/old2
for w in scrolling video; do for s in none memcmp memcmp-qemu logdirty logdirty-manual dirtyring ptebits ptebits-hybrid pvbitmap pvbitmap-fine; do
  for pair in "old1 $old" "new1 $new" "new2 $new" "old2 $old"; do set -- $pair
    "$2" "$s" "$w" --duration 2 --warmup 0.5 --seed 1 --quiet --out "$out/$1/$s-$w.json" 2>>"$out/stderr"; echo "$1 $s $w rc=$?" >> $out/status
  done
done; done
