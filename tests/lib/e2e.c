/* Run run-bench as a child process and capture what it says. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/kvm/kvm_vm.h"
#include "core/options.h"
#include "tests/lib/e2e.h"
#include "core/json_path.h"

const char *e2e_binary(void)
{
	const char *bin = getenv("DIRTYBENCH_BIN");

	return bin && *bin ? bin : "build/bin/run-bench";
}

bool e2e_asan(void)
{
	const char *bin = e2e_binary();
	size_t len = strlen(bin);

	return len >= 5 && !strcmp(bin + len - 5, "-asan");
}

const char *e2e_kvm_unusable(void)
{
	static char why[256];

	return kvm_probe(why, sizeof(why)) ? why : NULL;
}

static size_t drain(int fd, char **buf, size_t *len, size_t *cap)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0)
		return 0;
	if (*len + (size_t)n + 1 > *cap) {
		*cap = (*len + (size_t)n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = 0;
	return (size_t)n;
}

void e2e_run(struct e2e_run *r, const char *const *args)
{
	int out[2], err[2], wstatus;
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(out) || pipe(err) || (pid = fork()) < 0) {
		r->status = -1;
		return;
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	for (int open_fds = 2; open_fds;) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & (POLLIN | POLLHUP)) && p[0].fd >= 0 && !drain(out[0], &obuf, &olen, &ocap))
			open_fds--, out[0] = -1;
		if ((p[1].revents & (POLLIN | POLLHUP)) && p[1].fd >= 0 && !drain(err[0], &ebuf, &elen, &ecap))
			open_fds--, err[0] = -1;
	}
	waitpid(pid, &wstatus, 0);
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	snprintf(r->stderr_text, sizeof(r->stderr_text), "%s", ebuf ? ebuf : "");
	r->result = obuf ? json_loads(obuf, 0, NULL) : NULL;
	free(obuf);
	free(ebuf);
}

const char *e2e_unsupported(const struct e2e_run *r)
{
	return r->status == EXIT_UNSUPPORTED ? r->stderr_text : NULL;
}

void e2e_run_free(struct e2e_run *r)
{
	json_decref(r->result);
	r->result = NULL;
}

double e2e_num(const json_t *root, const char *path)
{
	return json_path_num(root, path, -1);
}

int e2e_lines(const char *s)
{
	int n = 0;
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}
