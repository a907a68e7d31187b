/* run-bench's options: parsed strictly, every bad value is one clear line. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cli.h"

static const char usage_text[] =
"usage: run-bench [options] STRATEGY WORKLOAD\n"
"       run-bench --list [--json] [--backend kvm|xen] | --help\n"
"\n"
"Boot the dirtybench micro-VM on /dev/kvm, run WORKLOAD inside the guest, find\n"
"the framebuffer's changes with STRATEGY at a fixed rate, check every round\n"
"against the workload's exact damage, and write one JSON result.\n"
"STRATEGY or WORKLOAD may be 'all' to run a matrix.\n"
"\n"
"  --duration S      measured seconds (default 5)\n"
"  --warmup S        seconds run before measuring (default 1)\n"
"  --rate HZ         scan rounds per second (default 60); duration x rate >= 2\n"
"  --phase-sweep S   the scan clock runs a little fast so its phase against the\n"
"                    guest's frame clock turns once every S seconds, like two\n"
"                    unsynchronised clocks (default 2; 0 locks them: a warning,\n"
"                    and the result says so)\n"
"  --wake W          what starts a round: timer, doorbell (the guest's; the timer\n"
"                    then only at the watchdog's pace) or both (default: both for\n"
"                    strategies with a doorbell, timer for the others)\n"
"  --max-event-rate HZ  doorbell rounds at most this often, kicks in between\n"
"                    coalesced (default 2000; 0: no bound)\n"
"  --replica-check N every N scan rounds (the first at a random one of the first\n"
"                    N) stop the guest between two frames and require the\n"
"                    consumer's replica to equal VRAM (default 0: only once the\n"
"                    run is over, which every run does)\n"
"  --res WxH         framebuffer size, 32 bpp (default 1920x1080)\n"
"  --tile WxH        tile size (default: the seed's 64x128 strips of the screen)\n"
"  --seed N          workload seed (default 1)\n"
"  --wopt K=V[,K=V]  workload options (see --list; at most 255 characters)\n"
"  --sopt K=V[,K=V]  strategy options (see --list)\n"
"  --policy P        when to scan and with which mechanism: fixed (default: a\n"
"                    round every --rate period), qemu, xen, vmwgfx, auto (see --list)\n"
"  --popt K=V[,K=V]  policy options (see --list)\n"
"  --ring-size BYTES dirty ring size per vCPU for dirty-ring strategies (default 65536)\n"
"  --out FILE        result file ('-' for stdout); default results/NAME.json\n"
"  --json -          same as --out -\n"
"  --results-dir D   where default result files go (default $DIRTYBENCH_RESULTS_DIR or results)\n"
"  --repeat N        run N times; one file with every run and the spread\n"
"  --allow-misses    record missed updates (and VNC pixel mismatches) instead of\n"
"                    failing the run\n"
"  --no-counters     leave out the perf_event_open counters and kvm:* tracepoints\n"
"                    (to measure what they cost; recorded as not collected)\n"
"  --perf-record     also run `perf record -g` on run-bench's threads over the\n"
"                    measured window; the data goes beside the result as\n"
"                    NAME.perf.data (NAME.runN.perf.data with --repeat)\n"
"  --vnc [PORT]      serve the guest's framebuffer over VNC (RFB) on 127.0.0.1,\n"
"                    PORT or the first free from 5900, marking exactly the tiles\n"
"                    the strategy reported; a measuring client of ours attaches\n"
"                    and the result gets wire bytes, end-to-end latency and a\n"
"                    pixel check (any --vnc-* option implies --vnc)\n"
"  --vnc-no-client   serve only, for watching live in any VNC viewer\n"
"  --vnc-listen ADDR listen on this IPv4 address instead of loopback\n"
"  --vnc-password PW VNC authentication, 1 to 8 characters (the measuring client\n"
"                    uses it too); \"***\" in the result, but other users see it\n"
"                    in ps until run-bench has started: prefer one of\n"
"  --vnc-password-file FILE  the password is FILE's first line\n"
"                    (or the environment: DIRTYBENCH_VNC_PASSWORD=PW)\n"
"  --vnc-encoding E  the measuring client's encoding: zrle (default), tight\n"
"                    (lossless: no JPEG), zlib, hextile, raw\n"
"  --vnc-dump DIR    test aid: every update sent to other clients, as DIR/*.ppm\n"
"  --quiet           no summary on stderr\n"
"  --backend kvm|xen kvm: the micro-VM (default); xen: from dom0, measure the\n"
"                    running domU --domain NAME in which db-workload --xen serves\n"
"  --domain NAME     the Xen domU to measure (--backend xen)\n"
"  --list            strategies and workloads with their options\n"
"  --list --json     the same as one JSON document (dirtybench-list/1), with\n"
"                    whether this host can run each strategy on --backend\n"
"  --help            this text\n"
"\n"
"Exit status: 0 ok, 1 the run failed (guest crash, missed update), 2 bad input,\n"
"4 this host cannot run it (no usable /dev/kvm, no dirty ring, not dom0, ...).\n";

void cli_usage(FILE *to)
{
	fputs(usage_text, to);
}

static int bad(char *err, size_t len, const char *fmt, const char *arg)
{
	snprintf(err, len, fmt, arg);
	return EXIT_BAD_INPUT;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s == '-' || !*s)
		return -1;
	v = strtoull(s, &end, 0);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Digits only: strtoul alone takes a sign, and "-18446744073709551552" is 64. */
static unsigned long parse_dim(const char *s, char **end)
{
	if (*s < '0' || *s > '9') {
		*end = (char *)s;
		return 0;
	}
	return strtoul(s, end, 10);
}

static int parse_dims(const char *s, uint32_t *w, uint32_t *h)
{
	unsigned long a, b;
	char *end;

	a = parse_dim(s, &end);
	if (end == s || (*end != 'x' && *end != 'X'))
		return -1;
	s = end + 1;
	b = parse_dim(s, &end);
	if (end == s || *end || a > 65535 || b > 65535)
		return -1;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 0;
}

enum { OPT_DURATION = 256, OPT_WARMUP, OPT_RATE, OPT_RES, OPT_TILE, OPT_SEED, OPT_WOPT,
       OPT_RING, OPT_SOPT, OPT_REPEAT, OPT_PHASE, OPT_OUT, OPT_JSON, OPT_RESULTS_DIR, OPT_ALLOW_MISSES,
       OPT_PERF_RECORD, OPT_NO_COUNTERS, OPT_QUIET, OPT_LIST, OPT_HELP,
       OPT_VNC, OPT_VNC_NO_CLIENT, OPT_VNC_LISTEN, OPT_VNC_PASSWORD, OPT_VNC_PASSWORD_FILE,
       OPT_VNC_ENCODING, OPT_VNC_DUMP,
       OPT_BACKEND, OPT_DOMAIN, OPT_WAKE, OPT_MAX_EVENT_RATE, OPT_REPLICA_CHECK, OPT_POLICY, OPT_POPT };

static const struct option long_options[] = {
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "res", required_argument, NULL, OPT_RES },
	{ "tile", required_argument, NULL, OPT_TILE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "wopt", required_argument, NULL, OPT_WOPT },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "sopt", required_argument, NULL, OPT_SOPT },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "popt", required_argument, NULL, OPT_POPT },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "phase-sweep", required_argument, NULL, OPT_PHASE },
	{ "replica-check", required_argument, NULL, OPT_REPLICA_CHECK },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "json", optional_argument, NULL, OPT_JSON },
	{ "results-dir", required_argument, NULL, OPT_RESULTS_DIR },
	{ "allow-misses", no_argument, NULL, OPT_ALLOW_MISSES },
	{ "perf-record", no_argument, NULL, OPT_PERF_RECORD },
	{ "no-counters", no_argument, NULL, OPT_NO_COUNTERS },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "vnc", optional_argument, NULL, OPT_VNC },
	{ "vnc-no-client", no_argument, NULL, OPT_VNC_NO_CLIENT },
	{ "vnc-listen", required_argument, NULL, OPT_VNC_LISTEN },
	{ "vnc-password", required_argument, NULL, OPT_VNC_PASSWORD },
	{ "vnc-password-file", required_argument, NULL, OPT_VNC_PASSWORD_FILE },
	{ "vnc-encoding", required_argument, NULL, OPT_VNC_ENCODING },
	{ "vnc-dump", required_argument, NULL, OPT_VNC_DUMP },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "wake", required_argument, NULL, OPT_WAKE },
	{ "max-event-rate", required_argument, NULL, OPT_MAX_EVENT_RATE },
	{ NULL, 0, NULL, 0 },
};

static void defaults(struct run_options *o, int argc, char **argv)
{
	const char *dir = getenv("DIRTYBENCH_RESULTS_DIR");

	memset(o, 0, sizeof(*o));
	o->duration_s = 5;
	o->warmup_s = 1;
	o->rate_hz = 60;
	o->phase_sweep_s = 2;
	o->max_event_rate_hz = 2000;    /* --rate's bound; the oracle's history: core/oracle.h ORACLE_HISTORY */
	o->width = 1920;
	o->height = 1080;
	o->seed = 1;
	o->repeat = 1;
	o->dirty_ring_bytes = 65536;
	o->vnc_encoding = "zrle";
	o->results_dir = dir && *dir ? dir : "results";
	o->argc = argc;
	o->argv = argv;
}

/* Lossless encodings only: the pixel check is exact. */
static int parse_encoding(const char *arg, const char **out)
{
	static const char *const ok[] = { "zrle", "tight", "zlib", "hextile", "raw", NULL };

	for (const char *const *e = ok; *e; e++)
		if (!strcmp(arg, *e))
			return *out = *e, 0;
	return -1;
}

/* VNC authentication uses 8 characters; the password never goes into a
 * message, a result or (once parsed) argv. */
#define VNC_PASSWORD_MAX 8
#define VNC_PASSWORD_ENV "DIRTYBENCH_VNC_PASSWORD"

static char vnc_secret[VNC_PASSWORD_MAX + 1];

static int vnc_keep_password(struct run_options *o, const char *pw, size_t n, char *err, size_t len,
			     const char *from)
{
	if (!n || n > VNC_PASSWORD_MAX)
		return bad(err, len, "%s: want a password of 1 to 8 characters (VNC authentication uses 8)", from);
	memcpy(vnc_secret, pw, n);
	vnc_secret[n] = 0;
	o->vnc_password = vnc_secret;
	return 0;
}

/* --vnc-password PW: the value is overwritten in place in argv (ps shows
 * '*'s once parsed) and run.argv records "***". argv must be writable. */
static int vnc_password_arg(struct run_options *o, char *arg, char *err, size_t len)
{
	int status = vnc_keep_password(o, arg, strlen(arg), err, len, "--vnc-password");

	for (int i = 0; i < o->argc; i++)
		if (arg >= o->argv[i] && arg <= o->argv[i] + strlen(o->argv[i])) {
			o->argv[i] = arg == o->argv[i] ? "***" : "--vnc-password=***";
			break;
		}
	memset(arg, '*', strlen(arg));
	return status;
}

/* --vnc-password-file FILE: its first line, without the line end. */
static int vnc_password_file(struct run_options *o, const char *path, char *err, size_t len)
{
	char line[64] = "", what[4200];
	FILE *f = fopen(path, "r");
	size_t n;
	int status;

	snprintf(what, sizeof(what), "--vnc-password-file %s", path);
	if (!f) {
		snprintf(err, len, "%s: %s", what, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	n = strcspn(line, "\r\n");
	status = vnc_keep_password(o, line, n, err, len, what);
	explicit_bzero(line, sizeof(line));
	return status;
}

/* The environment's password, when --vnc is on and no option gave one. */
static int vnc_password_env(struct run_options *o, char *err, size_t len)
{
	const char *pw = getenv(VNC_PASSWORD_ENV);

	if (!o->vnc || o->vnc_password || !pw || !*pw)
		return 0;
	return vnc_keep_password(o, pw, strlen(pw), err, len, VNC_PASSWORD_ENV);
}

static int parse_vnc(struct run_options *o, int opt, char *arg, char *err, size_t len)
{
	unsigned long long u;
	struct in_addr addr;

	o->vnc = true;
	switch (opt) {
	case OPT_VNC:
		return arg && (parse_u64(arg, 65535, &u) || !u) ?
		       bad(err, len, "--vnc %s: want a TCP port in 1..65535", arg) : (o->vnc_port = arg ? (int)u : 0, 0);
	case OPT_VNC_NO_CLIENT: o->vnc_no_client = true; return 0;
	case OPT_VNC_LISTEN:
		return inet_pton(AF_INET, arg, &addr) != 1 ?
		       bad(err, len, "--vnc-listen %s: want an IPv4 address (0.0.0.0 for every interface)", arg) :
		       (o->vnc_listen = arg, 0);
	case OPT_VNC_PASSWORD: return vnc_password_arg(o, arg, err, len);
	case OPT_VNC_PASSWORD_FILE: return vnc_password_file(o, arg, err, len);
	case OPT_VNC_ENCODING:
		return parse_encoding(arg, &o->vnc_encoding) ?
		       bad(err, len, "--vnc-encoding %s: want zrle, tight, zlib, hextile or raw", arg) : 0;
	case OPT_VNC_DUMP: o->vnc_dump = arg; return 0;
	}
	return bad(err, len, "%s", "unknown option (see --help)");
}

/* Whether this run-bench has Xen is checked for a run only (cli_parse):
 * --list --backend xen says what it cannot run. */
static int parse_backend(struct run_options *o, int opt, const char *arg, char *err, size_t len)
{
	if (opt == OPT_DOMAIN)
		return *arg ? (o->domain = arg, 0) : bad(err, len, "%s", "--domain wants a domain name");
	if (!strcmp(arg, "kvm"))
		return o->backend = RUN_BACKEND_KVM, 0;
	if (strcmp(arg, "xen"))
		return bad(err, len, "--backend %s: want kvm or xen", arg);
	return o->backend = RUN_BACKEND_XEN, 0;
}

static int parse_one(struct cli *cli, int opt, const char *arg, char *err, size_t len)
{
	struct run_options *o = &cli->run;
	unsigned long long u;

	switch (opt) {
	case OPT_DURATION:
		return parse_double(arg, 0.05, 3600, &o->duration_s) ?
		       bad(err, len, "--duration %s: want seconds in 0.05..3600", arg) : 0;
	case OPT_WARMUP:
		return parse_double(arg, 0, 600, &o->warmup_s) ?
		       bad(err, len, "--warmup %s: want seconds in 0..600", arg) : 0;
	case OPT_RATE:
		return parse_double(arg, 1, 2000, &o->rate_hz) ?
		       bad(err, len, "--rate %s: want a scan rate in 1..2000 Hz", arg) : 0;
	case OPT_RES:
		return parse_dims(arg, &o->width, &o->height) ?
		       bad(err, len, "--res %s: want WIDTHxHEIGHT in decimal digits", arg) : 0;
	case OPT_TILE:
		return parse_dims(arg, &o->tile_w, &o->tile_h) || !o->tile_w || !o->tile_h ?
		       bad(err, len, "--tile %s: want WIDTHxHEIGHT in pixels, both above 0", arg) : 0;
	case OPT_SEED:
		return parse_u64(arg, ~0ull, &u) ? bad(err, len, "--seed %s: want an unsigned integer", arg) :
		       (o->seed = u, 0);
	case OPT_RING:
		return parse_u64(arg, 1u << 20, &u) || u < 4096 || (u & (u - 1)) ?
		       bad(err, len, "--ring-size %s: want a power of two from 4096 to 1048576", arg) :
		       (o->dirty_ring_bytes = (uint32_t)u, 0);
	case OPT_WOPT: o->workload_options = arg; return 0;
	case OPT_SOPT: o->strategy_options = arg; return 0;
	case OPT_POLICY: o->policy = arg; return 0;
	case OPT_POPT: o->policy_options = arg; return 0;
	case OPT_PHASE:         /* against --rate: check_timing(), once both are known */
		return parse_double(arg, 0, 3600, &o->phase_sweep_s) ?
		       bad(err, len, "--phase-sweep %s: want 0 or seconds spanning at least 2 rounds", arg) : 0;
	case OPT_REPLICA_CHECK:
		return parse_u64(arg, 1000000, &u) ?
		       bad(err, len, "--replica-check %s: want 0 (only the final check) or rounds, up to 1000000", arg) :
		       (o->replica_check_rounds = (uint32_t)u, 0);
	case OPT_REPEAT:
		return parse_u64(arg, 1000, &u) || u < 1 ? bad(err, len, "--repeat %s: want 1..1000 runs", arg) :
		       (o->repeat = (int)u, 0);
	case OPT_OUT: o->out = arg; return 0;
	case OPT_JSON:         /* bare: --list's modifier; "-": the result on stdout */
		if (!arg)
			return cli->list_json = true, 0;
		return strcmp(arg, "-") ? bad(err, len, "--json %s: only '-' (stdout) is meaningful", arg) :
		       (o->out = "-", cli->json_dash = true, 0);
	case OPT_RESULTS_DIR: o->results_dir = arg; return 0;
	case OPT_ALLOW_MISSES: o->allow_misses = true; return 0;
	case OPT_PERF_RECORD: o->perf_record = true; return 0;
	case OPT_NO_COUNTERS: o->no_counters = true; return 0;
	case OPT_QUIET: o->quiet = true; return 0;
	case OPT_LIST: cli->action = CLI_LIST; return 0;
	case OPT_BACKEND: case OPT_DOMAIN:
		return parse_backend(o, opt, arg, err, len);
	case OPT_HELP: cli->action = CLI_HELP; return 0;
	case OPT_WAKE:
		if (!strcmp(arg, "timer"))
			return o->wake = RUN_WAKE_TIMER, 0;
		if (!strcmp(arg, "doorbell"))
			return o->wake = RUN_WAKE_DOORBELL, 0;
		if (!strcmp(arg, "both"))
			return o->wake = RUN_WAKE_BOTH, 0;
		return bad(err, len, "--wake %s: want timer, doorbell or both", arg);
	case OPT_MAX_EVENT_RATE:
		return parse_double(arg, 0, 100000, &o->max_event_rate_hz) ?
		       bad(err, len, "--max-event-rate %s: want 0 (no bound) or rounds per second up to 100000", arg) : 0;
	case OPT_VNC: case OPT_VNC_NO_CLIENT: case OPT_VNC_LISTEN: case OPT_VNC_PASSWORD:
	case OPT_VNC_PASSWORD_FILE: case OPT_VNC_ENCODING: case OPT_VNC_DUMP:
		return parse_vnc(o, opt, (char *)arg, err, len);
	default:
		return bad(err, len, "%s", "unknown option (see --help)");
	}
}

/* Rules between options, whatever their order. A window shorter than two
 * scan periods may hold no round at all (the first wake-up can fall after
 * its end): the result would have no scan figure, so it is refused. */
static int check_timing(const struct run_options *o, char *err, size_t len)
{
	if (o->duration_s * o->rate_hz < 2) {
		snprintf(err, len, "--duration %g at --rate %g: the measured window must span at least 2 scan "
			 "rounds (duration x rate >= 2)", o->duration_s, o->rate_hz);
		return EXIT_BAD_INPUT;
	}
	if (o->phase_sweep_s > 0 && o->phase_sweep_s * o->rate_hz < 2) {
		snprintf(err, len, "--phase-sweep %g at --rate %g: want 0 or seconds spanning at least 2 rounds",
			 o->phase_sweep_s, o->rate_hz);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

/* --vnc-dump writes while the run goes on: a folder it cannot write to is
 * bad input now, not a run that silently dumps nothing. */
static int check_vnc_dump(const char *dir, char *err, size_t len)
{
	const char *why = NULL;
	struct stat st;

	if (!dir)
		return 0;
	if (!*dir)
		why = "an empty name";
	else if (stat(dir, &st))
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a folder";
	else if (access(dir, W_OK | X_OK))
		why = strerror(errno);
	if (why)
		snprintf(err, len, "--vnc-dump %s: want a folder run-bench can write to: %s", dir, why);
	return why ? EXIT_BAD_INPUT : 0;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Messages quote names and values, and a message is one line: an argument
 * holding a control character (a newline above all) is refused whole, its
 * start shown escaped. No option, name or value takes one. */
static int check_arguments(int argc, char **argv, char *err, size_t len)
{
	char shown[64];
	size_t n = 0;
	const unsigned char *p, *c = NULL;
	int i;

	for (i = 1; i < argc && !c; i++)
		for (p = (const unsigned char *)argv[i]; *p && !c; p++)
			c = is_control(*p) ? p : NULL;
	if (!c)
		return 0;
	i--;                    /* the loop stepped past the argument it found */
	for (p = (const unsigned char *)argv[i]; *p && n + 8 < sizeof(shown); p++)
		n += (size_t)snprintf(shown + n, sizeof(shown) - n, is_control(*p) ? "\\x%02x" : "%c", *p);
	snprintf(err, len, "argument %d '%s%s' holds a control character (0x%02x): no option, name or value takes one",
		 i, shown, *p ? "..." : "", *c);
	return EXIT_BAD_INPUT;
}

/* Only the option's name: "--vnc-passwd=SECRET" must not echo a password. */
static int unknown_option(const char *arg, char *err, size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	return bad(err, len, "unknown or incomplete option '%s' (see --help)", name);
}

int cli_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	int opt, status;

	if ((status = check_arguments(argc, argv, err, errlen)))
		return status;
	defaults(&cli->run, argc, argv);
	cli->action = CLI_RUN;
	cli->list_json = cli->json_dash = false;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		if (opt == '?')
			return unknown_option(argv[optind - 1], err, errlen);
		/* "--vnc 5901": take a number after --vnc as its port (names never are). */
		if (opt == OPT_VNC && !optarg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
			optarg = argv[optind++];
		/* "--json -" as before; a bare --json is --list's. */
		if (opt == OPT_JSON && !optarg && optind < argc && !strcmp(argv[optind], "-"))
			optarg = argv[optind++];
		status = parse_one(cli, opt, optarg, err, errlen);
		if (status)
			return status;
	}
	if (cli->action == CLI_LIST)
		cli->list_json |= cli->json_dash;
	if (cli->action != CLI_RUN)
		return 0;
	if (vnc_password_env(&cli->run, err, errlen))
		return EXIT_BAD_INPUT;
	if (cli->list_json)
		return bad(err, errlen, "%s", "--json alone is for --list (--list --json); "
			   "--json - writes a run's result to stdout");
	if (argc - optind != 2)
		return bad(err, errlen, "%s", "need STRATEGY and WORKLOAD (see --help)");
	if ((status = check_timing(&cli->run, err, errlen)) || (status = check_vnc_dump(cli->run.vnc_dump, err, errlen)))
		return status;
	if (cli->run.perf_record && cli->run.out && !strcmp(cli->run.out, "-"))
		return bad(err, errlen, "%s", "--perf-record leaves its data beside the result file: not with --out -");
	if (cli->run.backend == RUN_BACKEND_XEN && !cli->run.domain)
		return bad(err, errlen, "%s", "--backend xen needs --domain NAME (the domU to measure)");
	if (cli->run.backend != RUN_BACKEND_XEN && cli->run.domain)
		return bad(err, errlen, "%s", "--domain is for --backend xen");
	/* Neither has run in the Xen lab: refused rather than claimed. */
	if (cli->run.backend == RUN_BACKEND_XEN && (cli->run.vnc || cli->run.perf_record))
		return bad(err, errlen, "%s", "--vnc and --perf-record are for the KVM back end only");
	cli->run.strategy = argv[optind];
	cli->run.workload = argv[optind + 1];
	/* Issue 23: with locked clocks every frame meets the rounds at one phase,
	 * and latency measures that phase, not the strategy. */
	if (cli->run.phase_sweep_s == 0)
		fputs("run-bench: warning: --phase-sweep 0 locks the scan clock to the guest's frame clock: "
		      "latency depends on their fixed phase (the result says scan.phase_locked)\n", stderr);
	return 0;
}
