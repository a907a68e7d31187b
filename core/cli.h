/* Command-line parsing for run-bench. */
#ifndef DIRTYBENCH_CLI_H
#define DIRTYBENCH_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "core/options.h"

enum cli_action { CLI_RUN, CLI_LIST, CLI_HELP };

struct cli {
	enum cli_action action;
	bool list_json;         /* --list --json */
	bool json_dash;         /* --json - was given */
	struct run_options run;
};

/* 0, or EXIT_BAD_INPUT with one line in err. */
int cli_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen);
void cli_usage(FILE *to);

#endif
