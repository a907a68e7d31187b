/*
 * The workload catalog: every workload's name, description, frame rate and
 * options, in listing order. It is all run-bench links of the workloads
 * (with options.c and lib/fmt.c): --list, the option checks and the frame
 * rate need no drawing code. Each entry's drawing is workloads/NAME.c, whose
 * struct workload_draw points back here; a workload reads its options by
 * name (workload_opt), so an entry lists every option its file reads.
 * Freestanding: the guest links this too.
 */
#include "workloads/workload.h"

const struct workload_info workload_idle = {
	.name = "idle",
	.description = "idle desktop: a blinking text cursor and a clock ticking once a second",
	.default_fps_milli = 2000,
	.options = {
		{ .name = "blink_ms", .value = 500, .min = 0, .max = 60000,
		  .help = "cursor on/off half-period in ms (0: steady cursor)" },
		{ .name = "clock_start", .value = -1, .min = -1, .max = 86400 - 1,
		  .help = "clock's second of the day at frame 0 (-1: from the seed)" },
		{ .name = NULL },
	},
};

const struct workload_info workload_video = {
	.name = "video",
	.description = "video playback: a window whose every pixel changes each frame, "
		       "with a progress bar and clock that change once a second",
	.default_fps_milli = 30000,
	.options = {
		{ .name = "w", .value = 1280, .min = 16, .max = 8192,
		  .help = "picture width in pixels (clamped to the screen)" },
		{ .name = "h", .value = 720, .min = 16, .max = 8192,
		  .help = "picture height in pixels (clamped to the screen, less the controls)" },
		{ .name = "fps", .value = 30, .min = 24, .max = 60,
		  .values = (const int64_t[]){ 24, 30, 60 }, .nvalues = 3,
		  .help = "frames per second" },
		{ .name = NULL },
	},
};

const struct workload_info workload_fullscreen = {
	.name = "fullscreen",
	.description = "game-like full-screen redraw: scrolling background, sprites and "
		       "a HUD; every pixel changes every frame",
	.default_fps_milli = 60000,
	.options = {
		{ .name = "fps", .value = 60, .min = 1, .max = 240,
		  .help = "frames per second" },
		{ .name = NULL },
	},
};

const struct workload_info workload_drag = {
	.name = "drag",
	.description = "a window dragged across a patterned desktop, bouncing off the edges",
	.default_fps_milli = 60000,
	.options = {
		{ .name = "w", .value = 600, .min = 32, .max = 8192,
		  .help = "window width in pixels (clamped to the screen)" },
		{ .name = "h", .value = 400, .min = 32, .max = 8192,
		  .help = "window height in pixels (clamped to the screen)" },
		{ .name = "speed", .value = 4, .min = 1, .max = 256,
		  .help = "pixels per frame on each axis (at most half the window)" },
		{ .name = "fps", .value = 60, .min = 1, .max = 240,
		  .help = "frames per second" },
		{ .name = NULL },
	},
};

const struct workload_info workload_sparse = {
	.name = "sparse",
	.description = "n single pixels changed at random places each frame: one tiny "
		       "change in almost every page or tile touched",
	.default_fps_milli = 60000,
	.options = {
		{ .name = "n", .value = 256, .min = 1, .max = 100000,
		  .help = "pixels changed per frame (at most the pixels on screen)" },
		{ .name = "fps", .value = 60, .min = 1, .max = 240,
		  .help = "frames per second" },
		{ .name = NULL },
	},
};

const struct workload_info workload_scrolling = {
	.name = "scrolling",
	.description = "terminal output scrolling: the text area moves up in VRAM, one new line drawn",
	.default_fps_milli = 30000,
	.options = {
		{ .name = "lines_per_s", .value = 30, .min = 1, .max = 10000,
		  .help = "new lines per second (line mode); several per frame when above fps" },
		{ .name = "smooth", .value = 0, .min = 0, .max = 1,
		  .help = "1: scroll px pixels every frame instead of whole lines" },
		{ .name = "px", .value = 2, .min = 1, .max = 256,
		  .help = "pixels scrolled per frame with smooth=1" },
		{ .name = "fps", .value = 30, .min = 1, .max = 240,
		  .help = "frames per second" },
		{ .name = "panel", .value = 24, .min = 0, .max = 400,
		  .help = "height in pixels of the panel above the terminal" },
		{ .name = NULL },
	},
};

const struct workload_info workload_typing = {
	.name = "typing",
	.description = "text editor: prose typed at a human pace, a blinking cursor, a status line",
	.default_fps_milli = 30000,
	.options = {
		{ .name = "cps", .value = 8, .min = 1, .max = 100, .frames_apart = 2,
		  .help = "characters typed per second, on average (keys are at least two frames apart)" },
		{ .name = "blink_ms", .value = 530, .min = 0, .max = 10000,
		  .help = "cursor on/off half-period in ms while idle (0: steady; at least 3 frames)" },
		{ .name = "typo_pct", .value = 3, .min = 0, .max = 50,
		  .help = "percent of letters mistyped and corrected with a backspace" },
		{ .name = "fps", .value = 30, .min = 2, .max = 240,
		  .help = "frames per second" },
		{ .name = NULL },
	},
};

/* Two workloads whose activity changes, for scan policies (issue 17): each
 * tells the host its phase (rt_set_phase, db_control.phase). */
const struct workload_info workload_burst = {
	.name = "burst",
	.description = "true idle (not a pixel drawn) for idle_ms, then a burst of burst_ms: "
		       "a window opens and someone types into it; over and over",
	.default_fps_milli = 60000,
	.phase_names = (const char *const[]){ "idle", "burst", NULL },
	.options = {
		{ .name = "idle_ms", .value = 3000, .min = 100, .max = 600000,
		  .help = "idle spell in ms: frames with no damage at all" },
		{ .name = "burst_ms", .value = 1000, .min = 16, .max = 60000,
		  .help = "burst in ms after each idle spell" },
		{ .name = "window", .value = 1, .min = 0, .max = 1,
		  .help = "1: a burst opens a window (800x600, clamped) and types into it; "
			  "0: typing into a note only, its first key on the burst's first frame" },
		{ .name = "fps", .value = 60, .min = 1, .max = 240,
		  .help = "frames per second" },
		{ .name = NULL },
	},
};

const struct workload_info workload_mixed = {
	.name = "mixed",
	.description = "phase_ms each of idle, typing, scrolling, video, drag and idle again, "
		       "repeated; each drawn by its own workload at its own frame rate",
	.default_fps_milli = 60000,
	.phase_names = (const char *const[]){ "idle", "typing", "scrolling", "video", "drag",
					      "idle-end", NULL },
	.options = {
		{ .name = "phase_ms", .value = 3000, .min = 200, .max = 600000,
		  .help = "length of each phase in ms" },
		{ .name = "fps", .value = 60, .min = 1, .max = 240,
		  .help = "frames per second (a phase's workload draws at its own rate, up to this)" },
		{ .name = NULL },
	},
};

/* The replay runs at the recorder's tick rate (tools/record: 60 Hz) and
 * draws every trace frame whose time has come; the file is checked and
 * loaded by the host (core/trace_file.c, docs/TRACE.md). */
const struct workload_info workload_trace = {
	.name = "trace",
	.description = "a recorded real screen (docs/TRACE.md): each frame's rectangles redrawn "
		       "at their recorded times, with the recorded pixels when the trace has them",
	.default_fps_milli = 60000,
	.needs_file = true,
	.options = {
		{ .name = "file", .text = true,
		  .help = "the trace file, e.g. traces/xterm-ls.dbt (required; its resolution is --res)" },
		{ .name = NULL },
	},
};

const struct workload_info *const workload_catalog[] = {
	&workload_idle,
	&workload_video,
	&workload_fullscreen,
	&workload_drag,
	&workload_sparse,
	&workload_scrolling,
	&workload_typing,
	&workload_burst,
	&workload_mixed,
	&workload_trace,
	NULL,
};

static bool catalog_name_is(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

const struct workload_info *workload_find(const char *name)
{
	for (const struct workload_info *const *w = workload_catalog; *w; w++)
		if (catalog_name_is((*w)->name, name))
			return *w;
	return NULL;
}
