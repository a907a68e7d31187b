/*
 * psf2c: turn a (gzipped) PSF1 or PSF2 Linux console font into the C header
 * the workloads draw text with: static const uint8_t font8x16[128][16], one
 * byte per row, top to bottom, most significant bit = leftmost pixel.
 *
 * The console fonts do not keep glyphs in ASCII order (Lat15 puts symbols in
 * the low slots), so the font's unicode table picks the glyph for each
 * printable ASCII code; without a table, glyph index = code. Codes outside
 * 0x20..0x7E are left blank.
 *
 *   psf2c FONT.psf[.gz] > font8x16.h
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PSF1_MAGIC0 0x36
#define PSF1_MAGIC1 0x04
#define PSF1_MODE512 0x01
#define PSF1_MODEHASTAB 0x02
#define PSF1_MODESEQ 0x04
#define PSF1_SEPARATOR 0xFFFF
#define PSF1_STARTSEQ 0xFFFE

#define PSF2_MAGIC 0x864ab572u
#define PSF2_HAS_UNICODE_TABLE 0x01
#define PSF2_SEPARATOR 0xFF
#define PSF2_STARTSEQ 0xFE

#define FONT_W 8
#define FONT_H 16
#define ASCII_FIRST 0x20
#define ASCII_LAST 0x7E

struct psf_font {
	const uint8_t *glyphs;
	uint32_t nglyphs, width, height, charsize;
	const uint8_t *utab;    /* unicode table, NULL when absent */
	size_t utab_len;
	bool psf2;
};

static const char *psf_path;

static _Noreturn void psf_die(const char *msg)
{
	fprintf(stderr, "psf2c: %s: %s\n", psf_path, msg);
	exit(1);
}

/* gzread reads plain files too, so an uncompressed .psf works as well. */
static uint8_t *psf_read_all(const char *path, size_t *len)
{
	errno = 0;
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		psf_die(errno ? strerror(errno) : "cannot open");
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf)
			psf_die("out of memory");
		int got = gzread(gz, buf + n, (unsigned)(cap - n));
		if (got < 0)
			psf_die("not a readable gzip or PSF file");
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(gz);
	*len = n;
	return buf;
}

static uint32_t psf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void psf_parse_psf1(struct psf_font *f, const uint8_t *buf, size_t len)
{
	uint8_t mode = buf[2];
	f->width = 8;
	f->height = f->charsize = buf[3];
	f->nglyphs = (mode & PSF1_MODE512) ? 512 : 256;
	f->glyphs = buf + 4;
	if (len < 4 + (size_t)f->nglyphs * f->charsize)
		psf_die("truncated PSF1 font");
	if (mode & (PSF1_MODEHASTAB | PSF1_MODESEQ)) {
		f->utab = f->glyphs + (size_t)f->nglyphs * f->charsize;
		f->utab_len = len - 4 - (size_t)f->nglyphs * f->charsize;
	}
}

static void psf_parse_psf2(struct psf_font *f, const uint8_t *buf, size_t len)
{
	if (len < 32)
		psf_die("truncated PSF2 header");
	uint32_t hdrsize = psf_le32(buf + 8), flags = psf_le32(buf + 12);
	f->psf2 = true;
	f->nglyphs = psf_le32(buf + 16);
	f->charsize = psf_le32(buf + 20);
	f->height = psf_le32(buf + 24);
	f->width = psf_le32(buf + 28);
	if (hdrsize > len || (uint64_t)f->nglyphs * f->charsize > len - hdrsize)
		psf_die("truncated PSF2 font");
	f->glyphs = buf + hdrsize;
	if (flags & PSF2_HAS_UNICODE_TABLE) {
		size_t glyph_bytes = (size_t)f->nglyphs * f->charsize;
		f->utab = f->glyphs + glyph_bytes;
		f->utab_len = len - hdrsize - glyph_bytes;
	}
}

static void psf_parse(struct psf_font *f, const uint8_t *buf, size_t len)
{
	memset(f, 0, sizeof(*f));
	if (len >= 4 && buf[0] == PSF1_MAGIC0 && buf[1] == PSF1_MAGIC1)
		psf_parse_psf1(f, buf, len);
	else if (len >= 4 && psf_le32(buf) == PSF2_MAGIC)
		psf_parse_psf2(f, buf, len);
	else
		psf_die("not a PSF1 or PSF2 font (bad magic)");
	if (f->width != FONT_W || f->height != FONT_H || f->charsize != FONT_H) {
		char msg[96];
		snprintf(msg, sizeof(msg), "font is %ux%u, only 8x16 fonts are supported",
			 f->width, f->height);
		psf_die(msg);
	}
}

/* Only a glyph's single code points count; sequences (after STARTSEQ) are
 * combining forms and never a plain ASCII character. */
static void psf_map_code(int map[128], uint32_t cp, uint32_t glyph, bool in_seq)
{
	if (!in_seq && cp >= ASCII_FIRST && cp <= ASCII_LAST && map[cp] < 0)
		map[cp] = (int)glyph;
}

static void psf_map_psf1(const struct psf_font *f, int map[128])
{
	uint32_t glyph = 0;
	bool in_seq = false;
	for (size_t i = 0; i + 1 < f->utab_len && glyph < f->nglyphs; i += 2) {
		uint32_t u = (uint32_t)f->utab[i] | (uint32_t)f->utab[i + 1] << 8;
		if (u == PSF1_SEPARATOR) {
			glyph++;
			in_seq = false;
		} else if (u == PSF1_STARTSEQ) {
			in_seq = true;
		} else {
			psf_map_code(map, u, glyph, in_seq);
		}
	}
}

/* PSF2 tables are UTF-8; ASCII is a single byte below 0x80, so multi-byte
 * characters are skipped byte by byte without decoding them. */
static void psf_map_psf2(const struct psf_font *f, int map[128])
{
	uint32_t glyph = 0;
	bool in_seq = false;
	for (size_t i = 0; i < f->utab_len && glyph < f->nglyphs; i++) {
		uint8_t b = f->utab[i];
		if (b == PSF2_SEPARATOR) {
			glyph++;
			in_seq = false;
		} else if (b == PSF2_STARTSEQ) {
			in_seq = true;
		} else if (b < 0x80) {
			psf_map_code(map, b, glyph, in_seq);
		}
	}
}

static void psf_build_map(const struct psf_font *f, int map[128])
{
	for (int c = 0; c < 128; c++)
		map[c] = -1;
	if (f->utab && f->psf2)
		psf_map_psf2(f, map);
	else if (f->utab)
		psf_map_psf1(f, map);
	for (int c = ASCII_FIRST; c <= ASCII_LAST; c++)
		if (map[c] < 0 && (uint32_t)c < f->nglyphs)
			map[c] = c;
}

/* The path goes into a comment, so a "*" never gets to close it early. */
static void psf_print_path(const char *path)
{
	for (; *path; path++)
		putchar(*path == '*' ? '?' : *path);
}

static void psf_print(const struct psf_font *f, const int map[128], const char *path)
{
	printf("/*\n * Generated by scripts/psf2c from ");
	psf_print_path(path);
	printf(": do not edit.\n"
	       " * font8x16[c] is the glyph of ASCII code c, one byte per row, top to\n"
	       " * bottom, most significant bit = leftmost pixel; non-printables are blank.\n"
	       " */\n#ifndef DIRTYBENCH_FONT8X16_H\n#define DIRTYBENCH_FONT8X16_H\n\n"
	       "#include <stdint.h>\n\nstatic const uint8_t font8x16[128][16] = {\n");
	for (int c = 0; c < 128; c++) {
		printf("\t[0x%02x] = {", c);
		for (int row = 0; row < FONT_H; row++) {
			uint8_t bits = map[c] < 0 ? 0 : f->glyphs[(size_t)map[c] * f->charsize + row];
			printf("%s0x%02x", row ? ", " : "", bits);
		}
		printf("},\n");
	}
	printf("};\n\n#endif\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: psf2c FONT.psf[.gz] > font8x16.h\n");
		return 1;
	}
	psf_path = argv[1];
	size_t len;
	uint8_t *buf = psf_read_all(psf_path, &len);
	struct psf_font font;
	int map[128];
	psf_parse(&font, buf, len);
	psf_build_map(&font, map);
	psf_print(&font, map, psf_path);
	free(buf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "psf2c: write error on standard output\n");
		return 1;
	}
	return 0;
}
