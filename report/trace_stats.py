#!/usr/bin/env python3
"""How real damage differs from our generators (issue 20, REPORT.md "Real programs").

  report/trace_stats.py [--generators BUILD] [--results DIR] TRACE...

For each trace (docs/TRACE.md; read here with the standard library: the C
reader core/trace_file.c is the one run-bench trusts, this one only counts)
and, with --generators, for each generator workload drawn by BUILD/bin/db-workload
at the traces' resolution (its exact damage records, workloads/linux/main.c),
per frame that changed anything: rectangles, declared area, 4 KiB pages of a
32 bpp framebuffer touched, and for traces with pixels the share of the
written pixels that were rewritten with the value already on screen (what a
content-comparing strategy skips and a write-tracking one pays for). With
--results, a table of the runs scripts/figures-traces wrote: per trace and
strategy, frames checked, missed, pages reported per frame and precision
(no timings: those are read from the JSON on the machine that ran them).
Markdown on stdout.
"""

import argparse
import array
import glob
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib

HEADER = 1024
GENERATORS = ["idle", "typing", "scrolling", "video", "drag", "fullscreen", "sparse"]
GENERATOR_FRAMES = 300
PAGE = 4096


def read_trace(path):
    """(info dict, [(t_us, [(x, y, w, h)], pixels or None)]) of a trace file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"DBTRACE\0":
        raise ValueError(f"{path}: not a dirtybench trace")
    version, _hb, width, height, tick, flags, nframes, duration = struct.unpack_from("<8I", data, 8)
    nrects, raw, zlen = struct.unpack_from("<3Q", data, 40)
    program = data[72:128].split(b"\0")[0].decode()
    command = data[128:1024].split(b"\0")[0].decode()
    payload = zlib.decompress(data[HEADER:HEADER + zlen])
    if len(payload) != raw:
        raise ValueError(f"{path}: payload size mismatch")
    frames, off = [], 0
    for _ in range(nframes):
        t, n = struct.unpack_from("<2I", payload, off)
        off += 8
        rects = [struct.unpack_from("<4H", payload, off + 8 * k) for k in range(n)]
        off += 8 * n
        pixels = None
        if flags & 1:
            count = sum(w * h for _, _, w, h in rects)
            pixels = array.array("I", payload[off:off + 4 * count])
            off += 4 * count
        frames.append((t, rects, pixels))
    info = {"name": os.path.basename(path), "width": width, "height": height, "tick_hz": tick,
            "pixels": bool(flags & 1), "frames": nframes, "duration_s": duration / 1e6,
            "program": program, "command": command, "bytes": len(data), "version": version}
    return info, frames


def pages_of(rects, width):
    pages = set()
    for x, y, w, h in rects:
        for row in range(y, y + h):
            start = (row * width + x) * 4
            pages.update(range(start // PAGE, (start + 4 * w - 1) // PAGE + 1))
    return len(pages)


def identical_rewrites(frames, width, height):
    """(pixels written after frame 0, of which equal to what was on screen)."""
    screen = array.array("I", bytes(4 * width * height))
    written = same = 0
    for i, (_, rects, pixels) in enumerate(frames):
        at = 0
        for x, y, w, h in rects:
            for row in range(h):
                new = pixels[at + row * w:at + (row + 1) * w]
                base = (y + row) * width + x
                old = screen[base:base + w]
                if i:
                    written += w
                    same += sum(1 for a, b in zip(old, new) if a == b)
                screen[base:base + w] = new
            at += w * h
    return written, same


def summarise(name, source, frames, width, height, seconds):
    """One row from [(rects)] of the frames that changed anything, frame 0 left out."""
    changed = [rects for rects in frames[1:] if rects]
    screen = width * height
    rects_per = [len(r) for r in changed] or [0]
    area = [sum(w * h for _, _, w, h in r) for r in changed] or [0]
    pages = [pages_of(r, width) for r in changed] or [0]
    return {"name": name, "source": source, "changed_frames": len(changed),
            "changed_per_s": len(changed) / seconds if seconds else 0,
            "rects_mean": statistics.mean(rects_per), "rects_max": max(rects_per),
            "area_mean": statistics.mean(area), "area_pct": 100.0 * statistics.mean(area) / screen,
            "pages_mean": statistics.mean(pages), "pages_max": max(pages),
            "screen_pages": (screen * 4 + PAGE - 1) // PAGE}


def trace_rows(paths):
    rows = []
    for path in paths:
        info, frames = read_trace(path)
        row = summarise(info["name"], f"{info['program']} ({'pixels' if info['pixels'] else 'rects'})",
                        [r for _, r, _ in frames], info["width"], info["height"], info["duration_s"])
        row["res"] = (info["width"], info["height"])
        row["bytes"] = info["bytes"]
        if info["pixels"]:
            written, same = identical_rewrites(frames, info["width"], info["height"])
            row["identical_pct"] = 100.0 * same / written if written else 0.0
        rows.append(row)
    return rows


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    header_bytes, frame_bytes, rect_bytes = struct.unpack_from("<3I", data, 12)
    width, height = struct.unpack_from("<2I", data, 24)
    fps_milli = struct.unpack_from("<I", data, 56)[0]
    frames, off = [], header_bytes
    while off + frame_bytes <= len(data):
        count = struct.unpack_from("<I", data, off + 40)[0]
        off += frame_bytes
        frames.append([struct.unpack_from("<4H", data, off + rect_bytes * k) for k in range(count)])
        off += rect_bytes * count
    return frames, width, height, fps_milli / 1000.0


def generator_rows(build, width, height):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in GENERATORS:
            rec = os.path.join(tmp, name + ".rec")
            subprocess.run([os.path.join(build, "bin", "db-workload"), name, "--res", f"{width}x{height}",
                            "--frames", str(GENERATOR_FRAMES), "--file", os.path.join(tmp, "fb"),
                            "--records", rec], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            frames, w, h, fps = read_records(rec)
            row = summarise(name, "generator", frames, w, h, len(frames) / fps)
            row["identical_note"] = "0 (declared = changed, test_workload_damage)"
            rows.append(row)
    return rows


def print_damage(rows):
    print("| screen | source | changed frames/s | rects/frame (mean, max) | area/frame (px, % of screen) "
          "| pages/frame (mean, max; screen) | identical rewrites |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        same = f"{r['identical_pct']:.1f} %" if "identical_pct" in r else r.get("identical_note", "n/a (rects only)")
        print(f"| {r['name']} | {r['source']} | {r['changed_per_s']:.1f} | {r['rects_mean']:.1f}, {r['rects_max']} "
              f"| {r['area_mean']:.0f}, {r['area_pct']:.2f} % | {r['pages_mean']:.1f}, {r['pages_max']}; "
              f"{r['screen_pages']} | {same} |")


def print_results(results_dir):
    runs = {}
    for path in sorted(glob.glob(os.path.join(results_dir, "**", "*.json"), recursive=True)):
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        opts = r.get("run", {}).get("options", {}) if isinstance(r.get("run"), dict) else {}
        wopt = str(opts.get("workload_options", ""))
        if "file=" not in wopt or "dirty" not in r:
            continue
        trace = os.path.basename(wopt.split("file=", 1)[1].split(",", 1)[0])
        runs[(trace, r["strategy"]["name"] if isinstance(r.get("strategy"), dict) else r.get("strategy"))] = r
    if not runs:
        print(f"\n(no trace runs in {results_dir})")
        return
    print("\n| trace | strategy | frames checked | missed | pages reported/frame | precision |")
    print("|---|---|---|---|---|---|")
    for (trace, strategy), r in sorted(runs.items()):
        d = r["dirty"]
        pages = d.get("reported_pages_per_frame")
        prec = d.get("precision")
        print(f"| {trace} | {strategy} | {d.get('frames_checked')} | {d.get('frames_missed')} | "
              f"{'n/a' if pages is None else f'{pages:.1f}'} | {'n/a' if prec is None else f'{prec:.3f}'} |")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generators", metavar="BUILD", help="also draw the generators with BUILD/bin/db-workload")
    ap.add_argument("--results", metavar="DIR", help="scripts/figures-traces' results")
    ap.add_argument("traces", nargs="+")
    a = ap.parse_args(argv)
    rows = trace_rows(a.traces)
    print("## Damage per changed frame: recorded programs" + (" and our generators" if a.generators else ""))
    print()
    for r in rows:
        print(f"- {r['name']}: {r['res'][0]}x{r['res'][1]}, {r['changed_frames']} changed frames, "
              f"{r['bytes']} bytes")
    print()
    if a.generators:
        rows += generator_rows(a.generators, *rows[0]["res"])
    print_damage(rows)
    if a.results:
        print_results(a.results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
