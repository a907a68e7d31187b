/*
 * typing: a text editor with someone typing prose into it at about `cps`
 * characters per second, with the rhythm of a person: jittered keystrokes,
 * pauses at sentence and paragraph ends, the odd typo corrected with a
 * backspace. A bar cursor follows the text and blinks while the typist
 * pauses; words that reach the window edge wrap to the next row; the text
 * scrolls up a row when the cursor passes the bottom; the status line shows
 * line and column and is redrawn when they change.
 *
 * Each frame applies the keystroke due to a character grid, then draws each
 * text row whose content changed once, in one pass (after one copy when the
 * text scrolled), so every pixel is written at most once per frame. Keys are
 * at least two frames apart (at most fps/2 per second) and the blink
 * half-period is at least three frames, so no pixel goes back to what it
 * showed one frame earlier.
 */
#include "include/compiler.h"
#include "workloads/lib/fmt.h"
#include "workloads/lib/gfx.h"
#include "workloads/lib/rng.h"
#include "workloads/workload.h"

#define TYPING_TITLE_H 20
#define TYPING_STATUS_H 20
#define TYPING_PAD 8
#define TYPING_BAR_W 2                  /* the cursor's width in pixels */
#define TYPING_CHUNK_MAX 40             /* one word and what follows it */
#define TYPING_STATUS_MAX 512
#define TYPING_NONE UINT32_MAX

struct typing_theme {
	uint32_t bg, fg, cursor, title, title_fg, status, status_fg;
};

static const struct typing_theme typing_themes[] = {
	{ 0xfdf6e3, 0x586e75, 0x268bd2, 0xeee8d5, 0x657b83, 0x93a1a1, 0xfdf6e3 },
	{ 0x282c34, 0xabb2bf, 0x528bff, 0x21252b, 0x9da5b4, 0x3e4451, 0xd7dae0 },
	{ 0xffffff, 0x202020, 0x000000, 0xe8e8e8, 0x404040, 0x2b5797, 0xffffff },
};

static const char *const typing_words[] = {
	"the", "a", "frame", "buffer", "is", "only", "scanned", "when", "something", "changed",
	"and", "we", "want", "to", "know", "which", "parts", "of", "screen", "were", "written",
	"since", "last", "round", "dirty", "page", "tracking", "costs", "little", "on", "host",
	"but", "it", "tells", "us", "nothing", "about", "pixels", "that", "kept", "their",
	"value", "so", "a", "comparison", "with", "copy", "still", "matters", "for", "video",
	"while", "idle", "desktop", "needs", "almost", "no", "work", "at", "all", "this",
	"note", "keeps", "track", "numbers", "from", "yesterday", "run", "latency", "was",
	"lower", "than", "expected", "every", "strategy", "has", "its", "own", "cost",
};

/* A typo's wrong key: a neighbour on the keyboard row. */
static const char typing_row[] = "qwertyuiopasdfghjklzxcvbnm";

struct typing_state {
	const struct typing_theme *theme;
	struct rng rng;
	int32_t text_x, text_y, status_y;
	uint32_t cols, rows, status_cols;
	char *grid;                     /* rows x cols: what the screen shows */
	char *next;                     /* the same, with this frame's keys */
	char *word;                     /* cols: a word on its way to the next row */
	uint32_t crow, ccol;            /* cursor cell in next */
	uint32_t shown_row, shown_col;  /* cursor cell on screen */
	bool shown_on;
	uint32_t word_start;            /* column of the word being typed, or NONE */
	uint32_t scrolled;              /* rows next has scrolled this frame */
	uint32_t line, column;          /* 1-based, for the status line */
	char status[TYPING_STATUS_MAX + 1];
	/* The text and its timing. */
	char chunk[TYPING_CHUNK_MAX];
	uint32_t chunk_len, chunk_pos, sentence_words, paragraph_sentences;
	char queue[2];                  /* keys decided ahead: a typo's fix, popped from the end */
	uint32_t queued;
	uint64_t next_key_ms, blink_from_ms;
	uint64_t last_key_frame, blink_frame;   /* frames of the last key, last blink */
	bool typed;
	uint32_t cps, typo_pct, blink_ms;
};

/* --- the text: sentences and paragraphs of prose ------------------------ */

static void typing_append(struct typing_state *st, const char *s)
{
	while (*s && st->chunk_len < TYPING_CHUNK_MAX)
		st->chunk[st->chunk_len++] = *s++;
}

/* The next word with the separator after it. */
static void typing_next_chunk(struct typing_state *st)
{
	st->chunk_len = st->chunk_pos = 0;
	typing_append(st, typing_words[rng_below(&st->rng, ARRAY_SIZE(typing_words))]);
	if (st->sentence_words == 0 && st->chunk[0] >= 'a' && st->chunk[0] <= 'z')
		st->chunk[0] = (char)(st->chunk[0] - 'a' + 'A');
	st->sentence_words++;
	if (st->sentence_words < 4 || rng_below(&st->rng, 10) > 1) {
		typing_append(st, rng_below(&st->rng, 12) == 0 ? ", " : " ");
		return;
	}
	st->sentence_words = 0;
	if (++st->paragraph_sentences < 3 || rng_below(&st->rng, 4) > 0) {
		typing_append(st, ". ");
		return;
	}
	st->paragraph_sentences = 0;
	typing_append(st, ".\n\n");
}

static char typing_source(struct typing_state *st)
{
	if (st->chunk_pos == st->chunk_len)
		typing_next_chunk(st);
	return st->chunk[st->chunk_pos++];
}

static char typing_wrong_key(struct typing_state *st, char c)
{
	size_t n = sizeof(typing_row) - 1, i = 0;
	while (i < n && typing_row[i] != c)
		i++;
	size_t j = i < n ? (i + 1 + rng_below(&st->rng, 2) * (n - 2)) % n : rng_below(&st->rng, n);
	return typing_row[j] == c ? typing_row[(j + 1) % n] : typing_row[j];
}

/* The next keystroke: '\b' is backspace, '\n' Enter. A typo is queued as
 * wrong key, backspace, right key. */
static char typing_next_key(struct typing_state *st)
{
	if (st->queued)
		return st->queue[--st->queued];
	char c = typing_source(st);
	if (c >= 'a' && c <= 'z' && rng_below(&st->rng, 100) < st->typo_pct) {
		st->queue[0] = c;       /* popped last */
		st->queue[1] = '\b';
		st->queued = 2;
		return typing_wrong_key(st, c);
	}
	return c;
}

/* Milliseconds from key c to the next one. */
static uint64_t typing_delay(struct typing_state *st, char c, char next)
{
	uint64_t base = 1000 / st->cps;
	uint64_t ms = base / 2 + rng_below(&st->rng, base + 1);
	if (next == '\b')
		ms += 150 + rng_below(&st->rng, 250);   /* noticing the typo */
	if (c == '.' || c == ',')
		ms += 150 + rng_below(&st->rng, 900);
	if (c == '\n')
		ms += 400 + rng_below(&st->rng, 2000);
	if (rng_below(&st->rng, 100) == 0)
		ms += 1500 + rng_below(&st->rng, 3000); /* thinking: the cursor blinks */
	return ms;
}

/* --- applying keys to the grid ------------------------------------------- */

static char *typing_cell(struct typing_state *st, uint32_t row, uint32_t col)
{
	return st->next + (size_t)row * st->cols + col;
}

static void typing_new_row(struct typing_state *st)
{
	st->ccol = 0;
	if (st->crow + 1 < st->rows) {
		st->crow++;
		return;
	}
	size_t row = st->cols;
	rt_memmove(st->next, st->next + row, row * (st->rows - 1));
	rt_memset(st->next + row * (st->rows - 1), ' ', row);
	st->scrolled++;
}

/* A letter typed at the window edge: the word typed so far moves down to
 * the next row with it (unless it fills the row, then it breaks there). */
static void typing_wrap(struct typing_state *st)
{
	uint32_t from = st->word_start;
	if (from == TYPING_NONE || from == 0) {
		typing_new_row(st);
		st->word_start = 0;
		return;
	}
	uint32_t len = st->cols - from;
	rt_memcpy(st->word, typing_cell(st, st->crow, from), len);
	rt_memset(typing_cell(st, st->crow, from), ' ', len);
	typing_new_row(st);
	rt_memcpy(typing_cell(st, st->crow, 0), st->word, len);
	st->ccol = len;
	st->word_start = 0;
}

static void typing_put(struct typing_state *st, char c)
{
	if (st->ccol == st->cols) {
		if (c == ' ') {         /* the space a wrapped line ends with */
			typing_new_row(st);
			st->word_start = TYPING_NONE;
			st->column++;
			return;
		}
		typing_wrap(st);
	}
	*typing_cell(st, st->crow, st->ccol) = c;
	if (c == ' ')
		st->word_start = TYPING_NONE;
	else if (st->word_start == TYPING_NONE)
		st->word_start = st->ccol;
	st->ccol++;
	st->column++;
}

static void typing_apply(struct typing_state *st, char c)
{
	if (c == '\n') {
		typing_new_row(st);
		st->word_start = TYPING_NONE;
		st->line++;
		st->column = 1;
	} else if (c == '\b') {
		if (st->ccol == 0)
			return;
		*typing_cell(st, st->crow, --st->ccol) = ' ';
		st->column--;
		if (st->word_start != TYPING_NONE && st->ccol <= st->word_start)
			st->word_start = TYPING_NONE;
	} else {
		typing_put(st, c);
	}
}

/* --- drawing ----------------------------------------------------------------- */

static int32_t typing_row_y(const struct typing_state *st, uint32_t row)
{
	return st->text_y + (int32_t)(row * GFX_GLYPH_H);
}

static int32_t typing_col_x(const struct typing_state *st, uint32_t col)
{
	return st->text_x + (int32_t)(col * GFX_GLYPH_W);
}

/* One text row, every cell once: the text, and in the cursor's cell (if
 * any) the bar and the blank rest of the cell. */
static void typing_draw_row(struct fb *fb, struct typing_state *st, uint32_t row, uint32_t cursor)
{
	const struct typing_theme *t = st->theme;
	const char *text = typing_cell(st, row, 0);
	int32_t y = typing_row_y(st, row);
	if (cursor == TYPING_NONE) {
		gfx_draw_textn(fb, st->text_x, y, text, st->cols, t->fg, t->bg);
		return;
	}
	gfx_draw_textn(fb, st->text_x, y, text, cursor, t->fg, t->bg);
	int32_t x = typing_col_x(st, cursor);
	gfx_fill_rect(fb, x, y, TYPING_BAR_W, GFX_GLYPH_H, t->cursor);
	gfx_fill_rect(fb, x + TYPING_BAR_W, y, GFX_GLYPH_W - TYPING_BAR_W, GFX_GLYPH_H, t->bg);
	if (cursor + 1 < st->cols)
		gfx_draw_textn(fb, x + GFX_GLYPH_W, y, text + cursor + 1, st->cols - cursor - 1,
			       t->fg, t->bg);
}

/* Where the cursor is drawn in a row of next (on screen: of grid), or NONE. */
static uint32_t typing_cursor_in(const struct typing_state *st, uint32_t row, bool on, bool screen)
{
	if (!on || row != (screen ? st->shown_row : st->crow))
		return TYPING_NONE;
	uint32_t col = screen ? st->shown_col : st->ccol;
	return col < st->cols ? col : TYPING_NONE;  /* at the edge: until the next key */
}

/* Does next's row `row` look exactly like the screen's row `old`? */
static bool typing_row_same(const struct typing_state *st, uint32_t row, uint32_t old, bool on)
{
	const char *a = st->next + (size_t)row * st->cols, *b = st->grid + (size_t)old * st->cols;
	if (typing_cursor_in(st, row, on, false) != typing_cursor_in(st, old, st->shown_on, true))
		return false;
	for (uint32_t i = 0; i < st->cols; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Bring the screen from grid to next: after a scroll, the rows that only
 * moved are copied up in one block; every other changed row is redrawn. */
static void typing_render(struct fb *fb, struct typing_state *st, bool on)
{
	uint32_t k = st->scrolled < st->rows ? st->scrolled : st->rows, m = 0;
	if (k > 0) {
		while (m + k < st->rows && typing_row_same(st, m, m + k, on))
			m++;
		if (m > 0)
			gfx_copy_rect(fb, st->text_x, st->text_y, st->text_x, typing_row_y(st, k),
				      (int32_t)(st->cols * GFX_GLYPH_W), (int32_t)(m * GFX_GLYPH_H));
	}
	/* Rows from m on still show grid's rows at the same place. */
	for (uint32_t row = m; row < st->rows; row++)
		if (!typing_row_same(st, row, row, on))
			typing_draw_row(fb, st, row, typing_cursor_in(st, row, on, false));
	rt_memcpy(st->grid, st->next, (size_t)st->rows * st->cols);
	st->shown_row = st->crow;
	st->shown_col = st->ccol;
	st->shown_on = on;
	st->scrolled = 0;
}

/* --- status line ------------------------------------------------------------ */

static void typing_status_text(const struct typing_state *st, char *out, size_t size)
{
	char num[FMT_U64_LEN];
	size_t n = st->status_cols < size - 1 ? st->status_cols : size - 1;
	char right[64] = "Ln ";
	fmt_u64(num, st->line, 0, false);
	fmt_cat(right, sizeof(right), num);
	fmt_cat(right, sizeof(right), ", Col ");
	fmt_u64(num, st->column, 0, false);
	fmt_cat(right, sizeof(right), num);
	fmt_cat(right, sizeof(right), "    UTF-8  ");
	out[0] = '\0';
	fmt_cat(out, size, st->typed ? "  notes.txt [+]" : "  notes.txt");
	size_t len = rt_strlen(out), rlen = rt_strlen(right);
	while (len + rlen < n)
		out[len++] = ' ';
	out[len] = '\0';
	fmt_cat(out, n + 1, right);
}

/* Redraw the status line when its text changed; gfx draws only the cells
 * whose pixels differ. */
static void typing_draw_status(struct fb *fb, struct typing_state *st)
{
	char text[TYPING_STATUS_MAX + 1];
	typing_status_text(st, text, sizeof(text));
	if (rt_strcmp(text, st->status) == 0)
		return;
	gfx_draw_text(fb, 0, st->status_y + (TYPING_STATUS_H - GFX_GLYPH_H) / 2, text,
		      st->theme->status_fg, st->theme->status);
	st->status[0] = '\0';
	fmt_cat(st->status, sizeof(st->status), text);
}

/* --- frames ----------------------------------------------------------------- */

static uint64_t typing_ms(const struct workload_ctx *ctx, uint64_t n)
{
	return n * 1000000ull / ctx->fps_milli;
}

/* Apply the key due by frame n, if any. Keys are at least two frames apart
 * and two frames after the cursor blinked (a late one waits), so no cell
 * changes in two consecutive frames: a typed space, a backspace, a digit of
 * the status line or a glyph replacing a bar that just appeared never
 * reverts a pixel one frame later. */
static bool typing_keys(struct typing_state *st, uint64_t n, uint64_t now)
{
	if (st->next_key_ms > now || n < st->last_key_frame + 2 || n < st->blink_frame + 2)
		return false;
	char c = typing_next_key(st);
	typing_apply(st, c);
	st->typed = true;
	st->last_key_frame = n;
	st->blink_from_ms = now;
	char after = st->queued ? st->queue[st->queued - 1] : 0;
	st->next_key_ms += typing_delay(st, c, after);
	return true;
}

static bool typing_cursor_on(const struct typing_state *st, uint64_t now)
{
	return st->blink_ms == 0 || (now - st->blink_from_ms) / st->blink_ms % 2 == 0;
}

static void typing_frame(struct workload_ctx *ctx, uint64_t n)
{
	struct typing_state *st = ctx->state;
	uint64_t now = typing_ms(ctx, n);
	bool typed = typing_keys(st, n, now), on = typing_cursor_on(st, now);
	if (!typed && on != st->shown_on)
		st->blink_frame = n;
	typing_render(&ctx->fb, st, on);
	typing_draw_status(&ctx->fb, st);
}

/* --- frame 0 ----------------------------------------------------------------- */

static void typing_layout(const struct fb *fb, struct typing_state *st)
{
	uint32_t w = fb->width, h = fb->height;
	uint32_t text_h = h > TYPING_TITLE_H + TYPING_STATUS_H + 2 * TYPING_PAD
				  ? h - TYPING_TITLE_H - TYPING_STATUS_H - 2 * TYPING_PAD : 0;
	st->cols = w > 2 * TYPING_PAD + GFX_GLYPH_W ? (w - 2 * TYPING_PAD) / GFX_GLYPH_W : 1;
	st->rows = text_h >= GFX_GLYPH_H ? text_h / GFX_GLYPH_H : 1;
	st->status_cols = w / GFX_GLYPH_W < TYPING_STATUS_MAX ? w / GFX_GLYPH_W : TYPING_STATUS_MAX;
	st->text_x = TYPING_PAD;
	st->text_y = TYPING_TITLE_H + TYPING_PAD;
	st->status_y = (int32_t)h - TYPING_STATUS_H;
}

static void typing_paint_chrome(struct fb *fb, const struct typing_state *st)
{
	const struct typing_theme *t = st->theme;
	static const char title[] = "notes.txt - dirtyedit";
	int32_t w = (int32_t)fb->width;
	gfx_fill_rect(fb, 0, 0, w, TYPING_TITLE_H, t->title);
	gfx_draw_text(fb, (w - (int32_t)(sizeof(title) - 1) * GFX_GLYPH_W) / 2,
		      (TYPING_TITLE_H - GFX_GLYPH_H) / 2, title, t->title_fg, t->title);
	gfx_fill_rect(fb, 0, TYPING_TITLE_H, w, st->status_y - TYPING_TITLE_H, t->bg);
	gfx_fill_rect(fb, 0, st->status_y, w, TYPING_STATUS_H, t->status);
}

static int typing_alloc(struct typing_state *st)
{
	size_t cells = (size_t)st->rows * st->cols;
	st->grid = rt_alloc(cells);
	st->next = rt_alloc(cells);
	st->word = rt_alloc(st->cols);
	if (!st->grid || !st->next || !st->word)
		return -1;
	rt_memset(st->grid, ' ', cells);
	rt_memset(st->next, ' ', cells);
	return 0;
}

/* The document already holds some text: type it instantly, no typos. */
static void typing_prefill(struct typing_state *st)
{
	uint32_t typo = st->typo_pct;
	st->typo_pct = 0;
	while (st->crow < st->rows / 2)
		typing_apply(st, typing_next_key(st));
	st->typo_pct = typo;
}

static int typing_init(struct workload_ctx *ctx)
{
	struct typing_state *st = rt_alloc(sizeof(*st));
	if (!st)
		return -1;
	ctx->state = st;
	rng_seed(&st->rng, ctx->seed);
	st->theme = &typing_themes[rng_below(&st->rng, ARRAY_SIZE(typing_themes))];
	st->cps = (uint32_t)workload_opt(ctx, "cps");
	st->typo_pct = (uint32_t)workload_opt(ctx, "typo_pct");
	/* A blink half-period of at least three frames: the cursor is never
	 * shown for a single frame only. */
	uint64_t min_blink = 3000000ull / ctx->fps_milli + 1;
	st->blink_ms = (uint32_t)workload_opt(ctx, "blink_ms");
	if (st->blink_ms && st->blink_ms < min_blink)
		st->blink_ms = (uint32_t)min_blink;
	typing_layout(&ctx->fb, st);
	if (typing_alloc(st) < 0)
		return -1;
	st->word_start = TYPING_NONE;
	st->line = st->column = 1;
	typing_paint_chrome(&ctx->fb, st);
	typing_prefill(st);
	st->next_key_ms = 300 + rng_below(&st->rng, 700);
	typing_render(&ctx->fb, st, true);
	typing_draw_status(&ctx->fb, st);
	return 0;
}

extern const struct workload_info workload_typing;    /* workloads/catalog.c */

const struct workload_draw workload_typing_draw = {
	.info = &workload_typing,
	.init = typing_init,
	.frame = typing_frame,
};
