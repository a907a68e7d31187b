/* A lab's output folder made by hand, for the tests of the labs' judges
 * (test_xen_lab_check, test_kvm_lab_check): a fresh temporary folder with
 * results/ in it, files appended to, removed after each test. */
#ifndef DIRTYBENCH_TESTS_LAB_FIXTURE_H
#define DIRTYBENCH_TESTS_LAB_FIXTURE_H

struct lab {
	char dir[64];
	char output[8192];
};

/* cmocka setup and teardown: *state is the struct lab. */
int lab_setup(void **state);
int lab_teardown(void **state);
/* Append printf-style text to the file at l->dir/file. */
void lab_append(const struct lab *l, const char *file, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
