/* test-preload: libaio-posix serves a program built only against glibc's
 * <aio.h>, both when preloaded (LD_PRELOAD) and when linked; without either,
 * glibc serves it as before.  The same for a program that calls the oldest
 * symbol versions (tests/versioned-aio-program.c), whose lio_listio keeps
 * glibc 2.1 to 2.3's meaning on x86_64 and i386. */
#define _GNU_SOURCE
#include <config.h>
#include "io-util.h"

#include <sys/wait.h>

/* The version table of lib/abi.h. */
#define ABI_VERSIONS_ONLY 1
#include "abi.h"

#ifndef AIO_POSIX_SANITIZER
#define AIO_POSIX_SANITIZER ""
#endif

extern char **environ;

struct run {
	int status;		/* as from waitpid */
	char output[8192];
};

/* Run path with the current environment minus LD_PRELOAD, plus
 * LD_PRELOAD=preload when preload is not NULL; capture its stdout. */
static void
run_program(const char *path, const char *preload, struct run *run)
{
	size_t count = 0;
	while (environ[count])
		count++;
	char **env = calloc(count + 2, sizeof *env);
	ck_assert_ptr_nonnull(env);
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[n++] = environ[i];
	char *preload_entry = NULL;
	if (preload) {
		size_t size = strlen(preload) + sizeof "LD_PRELOAD=";
		preload_entry = malloc(size);
		ck_assert_ptr_nonnull(preload_entry);
		snprintf(preload_entry, size, "LD_PRELOAD=%s", preload);
		env[n++] = preload_entry;
	}
	env[n] = NULL;

	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		/* A cross build runs the program under its emulator (qemu-user
		 * passes LD_PRELOAD on to the emulated program's loader). */
		const char *emulator = getenv("AIO_POSIX_TEST_EMULATOR");
		if (emulator && *emulator) {
			char *argv[] = { (char *)emulator, (char *)path, NULL };
			execvpe(emulator, argv, env);
		} else {
			char *argv[] = { (char *)path, NULL };
			execve(path, argv, env);
		}
		_exit(127);
	}
	close(p[1]);
	size_t used = 0;
	for (;;) {
		ssize_t got = read(p[0], run->output + used, sizeof run->output - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		ck_assert_msg(got >= 0, "read: %s", strerror(errno));
		if (got == 0)
			break;
		used += (size_t)got;
		if (used == sizeof run->output - 1) {
			/* Too much: drain the rest so that the child can finish. */
			char sink[512];
			while (read(p[0], sink, sizeof sink) > 0)
				;
			break;
		}
	}
	run->output[used] = '\0';
	close(p[0]);
	pid_t waited;
	while ((waited = waitpid(pid, &run->status, 0)) < 0 && errno == EINTR)
		;
	ck_assert_int_eq(waited, pid);
	free(preload_entry);
	free(env);
}

/* The value of "key=" in the output, or "" when missing. */
static const char *
value_of(const struct run *run, const char *key, char *value, size_t size)
{
	size_t key_length = strlen(key);
	const char *line = run->output;
	while (line && *line) {
		if (strncmp(line, key, key_length) == 0 && line[key_length] == '=') {
			const char *start = line + key_length + 1;
			size_t length = strcspn(start, "\n");
			if (length >= size)
				length = size - 1;
			memcpy(value, start, length);
			value[length] = '\0';
			return value;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	value[0] = '\0';
	return value;
}

static void
assert_exit_ok(const struct run *run, const char *what)
{
	ck_assert_msg(WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0,
		      "%s: status %#x, output:\n%s", what, run->status, run->output);
}

static void
assert_served_by_library(const struct run *run, const char *what)
{
	char value[1024];
	assert_exit_ok(run, what);
	ck_assert_msg(strcmp(value_of(run, "roundtrip", value, sizeof value), "ok") == 0,
		      "%s: round trip failed:\n%s", what, run->output);
	ck_assert_msg(strstr(value_of(run, "aio_read", value, sizeof value), "libaio-posix"),
		      "%s: aio_read looked up in %s, not libaio-posix", what, value);
	ck_assert_msg(strstr(value_of(run, "aio_read_bound", value, sizeof value), "libaio-posix"),
		      "%s: the program's aio_read binds to %s, not libaio-posix", what, value);
	ck_assert_msg(strcmp(value_of(run, "aio_posix_version", value, sizeof value),
			     PACKAGE_VERSION) == 0,
		      "%s: aio_posix_version is \"%s\", expected \"%s\"", what, value,
		      PACKAGE_VERSION);
}

static char *
build_path(const char *relative)
{
	const char *builddir = getenv("AIO_POSIX_TEST_BUILDDIR");
	ck_assert_msg(builddir && *builddir,
		      "AIO_POSIX_TEST_BUILDDIR is not set (run through make check)");
	size_t size = strlen(builddir) + strlen(relative) + 2;
	char *path = malloc(size);
	ck_assert_ptr_nonnull(path);
	snprintf(path, size, "%s/%s", builddir, relative);
	ck_assert_msg(access(path, X_OK) == 0, "%s: %s", path, strerror(errno));
	return path;
}

/* The library to preload, or NULL in a sanitizer build: an instrumented
 * library cannot be preloaded into a program whose sanitizer runtime would
 * not come first. */
static const char *
library_to_preload(void)
{
	if (AIO_POSIX_SANITIZER[0] != '\0') {
		printf("note: preload case skipped in sanitizer build (%s)\n", AIO_POSIX_SANITIZER);
		return NULL;
	}
	const char *library = getenv("AIO_POSIX_TEST_LIBRARY");
	ck_assert_msg(library && *library,
		      "AIO_POSIX_TEST_LIBRARY is not set (run through make check)");
	ck_assert_msg(access(library, R_OK) == 0, "%s: %s", library, strerror(errno));
	return library;
}

START_TEST(test_preloaded_library_serves_plain_program)
{
	const char *library = library_to_preload();
	if (!library)
		return;

	char *path = build_path("tests/plain-aio-program");
	struct run run;
	run_program(path, library, &run);
	assert_served_by_library(&run, "plain-aio-program with LD_PRELOAD");
	free(path);
}
END_TEST

START_TEST(test_glibc_serves_plain_program_without_preload)
{
	char *path = build_path("tests/plain-aio-program");
	struct run run;
	char value[1024];
	run_program(path, NULL, &run);
	assert_exit_ok(&run, "plain-aio-program");
	ck_assert_msg(strcmp(value_of(&run, "roundtrip", value, sizeof value), "ok") == 0,
		      "round trip under glibc failed:\n%s", run.output);
	value_of(&run, "aio_read", value, sizeof value);
	ck_assert_msg(strstr(value, "libc.so") && !strstr(value, "libaio-posix"),
		      "aio_read served by \"%s\", expected glibc's libc.so", value);
	value_of(&run, "aio_read_bound", value, sizeof value);
	ck_assert_msg(strstr(value, "libc.so") && !strstr(value, "libaio-posix"),
		      "aio_read bound to \"%s\", expected glibc's libc.so", value);
	ck_assert_str_eq(value_of(&run, "aio_posix_version", value, sizeof value), "none");
	free(path);
}
END_TEST

START_TEST(test_linked_program_served_by_library)
{
	/* The libtool wrapper finds the uninstalled library. */
	char *path = build_path("tests/linked-aio-program");
	struct run run;
	run_program(path, NULL, &run);
	assert_served_by_library(&run, "linked-aio-program");
	free(path);
}
END_TEST

/* --- symbol versions ------------------------------------------------------- */

/* What versioned-aio-program saw of the two lio_listio. */
static void
listio_semantics(const struct run *run, const char *prefix, char *seen, size_t size)
{
	static const char *const keys[] = { "entry_signals", "list_signals", "wait" };
	seen[0] = '\0';
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char key[64], value[64];
		snprintf(key, sizeof key, "%s%s", prefix, keys[i]);
		size_t used = strlen(seen);
		snprintf(seen + used, size - used, "%s=%s ", keys[i],
			 value_of(run, key, value, sizeof value));
	}
}

/* Today's lio_listio: an entry's signal, the list's, and LIO_WAIT waits. */
#define TODAYS_LISTIO "entry_signals=1 list_signals=1 wait=waited "
/* The base version's: the same on aarch64; on x86_64 and i386 glibc 2.1
 * to 2.3's, which sent no entry's signal. */
#if ABI_LISTIO_BEFORE_2_4
#define BASE_LISTIO "entry_signals=0 list_signals=1 wait=waited "
#else
#define BASE_LISTIO TODAYS_LISTIO
#endif

START_TEST(test_glibc_serves_versioned_program_without_preload)
{
	char *path = build_path("tests/versioned-aio-program");
	struct run run;
	char value[1024], seen[512];
	run_program(path, NULL, &run);
	assert_exit_ok(&run, "versioned-aio-program under glibc");
	ck_assert_str_eq(value_of(&run, "roundtrip", value, sizeof value), "ok");
	ck_assert_msg(strstr(value_of(&run, "lio_listio_base", value, sizeof value), "libc.so"),
		      "lio_listio@base under glibc is served by %s", value);
	listio_semantics(&run, "", seen, sizeof seen);
	ck_assert_str_eq(seen, TODAYS_LISTIO);
	/* Not asserted: glibc 2.34 to 2.36 broke their lio_listio@base. */
	listio_semantics(&run, "base_", seen, sizeof seen);
	printf("note: glibc's lio_listio@base: %s\n", seen);
	free(path);
}
END_TEST

/* Served by libaio-posix at the base versions, with their semantics. */
static void
assert_versions_served(const char *relative, const char *preload)
{
	char *path = build_path(relative);
	struct run run;
	char value[1024], seen[512];
	run_program(path, preload, &run);
	assert_exit_ok(&run, relative);
	ck_assert_str_eq(value_of(&run, "roundtrip", value, sizeof value), "ok");
	static const char *const bound[] = { "aio_read_base", "lio_listio_base", "lio_listio" };
	for (size_t i = 0; i < sizeof bound / sizeof bound[0]; i++)
		ck_assert_msg(strstr(value_of(&run, bound[i], value, sizeof value), "libaio-posix"),
			      "%s: %s is served by %s", relative, bound[i], value);
	listio_semantics(&run, "", seen, sizeof seen);
	ck_assert_msg(strcmp(seen, TODAYS_LISTIO) == 0, "%s: lio_listio: %s", relative, seen);
	listio_semantics(&run, "base_", seen, sizeof seen);
	ck_assert_msg(strcmp(seen, BASE_LISTIO) == 0, "%s: lio_listio@base: %s", relative, seen);
	free(path);
}

START_TEST(test_preloaded_library_serves_every_version)
{
	const char *library = library_to_preload();
	if (library)
		assert_versions_served("tests/versioned-aio-program", library);
}
END_TEST

START_TEST(test_linked_library_serves_every_version)
{
	assert_versions_served("tests/linked-versioned-aio-program", NULL);
}
END_TEST

static Suite *
preload_suite(void)
{
	Suite *s = suite_create("preload");
	TCase *tc = io_tcase(s, "interposition", 60);
	tcase_add_test(tc, test_preloaded_library_serves_plain_program);
	tcase_add_test(tc, test_glibc_serves_plain_program_without_preload);
	tcase_add_test(tc, test_linked_program_served_by_library);
	tcase_add_test(tc, test_glibc_serves_versioned_program_without_preload);
	tcase_add_test(tc, test_preloaded_library_serves_every_version);
	tcase_add_test(tc, test_linked_library_serves_every_version);
	return s;
}

int
main(void)
{
	return test_run_suite(preload_suite());
}
