/* Helpers for end-to-end tests: run the real run-bench binary, parse its JSON. */
#ifndef DIRTYBENCH_TESTS_E2E_H
#define DIRTYBENCH_TESTS_E2E_H

#include <jansson.h>
#include <stdbool.h>

struct e2e_run {
	int status;             /* exit status, or -1 if it did not exit */
	json_t *result;         /* parsed stdout when --json - was given, else NULL */
	char stderr_text[8192];
};

/* The binary under test: $DIRTYBENCH_BIN, else build/bin/run-bench. */
const char *e2e_binary(void);
/* True when the binary under test is the ASan/UBSan build (run-bench-asan). */
bool e2e_asan(void);
/* NULL when /dev/kvm is usable, else the reason (tests skip with it). */
const char *e2e_kvm_unusable(void);
/* Run the binary with a NULL-terminated argument list. */
void e2e_run(struct e2e_run *r, const char *const *args);
/* The reason line when the run exited EXIT_UNSUPPORTED (the host cannot run
 * it: tests skip with it), else NULL. */
const char *e2e_unsupported(const struct e2e_run *r);
void e2e_run_free(struct e2e_run *r);
double e2e_num(const json_t *root, const char *path);
/* Lines in s (a trailing newline does not start a new one). */
int e2e_lines(const char *s);

#endif
