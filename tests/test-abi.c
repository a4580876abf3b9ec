/* test-abi: libaio-posix is a drop-in for glibc's aio: struct aiocb keeps
 * glibc's layout, the library never writes a public field, and it exports
 * exactly glibc's aio names plus its own extension, unversioned. */
#define _GNU_SOURCE
#include <config.h>
#include "io-util.h"

#include <aio-posix.h>
#include <ctype.h>
#include <dlfcn.h>
#include <stddef.h>

/* --- layout --------------------------------------------------------------- */

#define CHECK_FIELD(type, field, offset, size)                                  \
	do {                                                                    \
		ck_assert_uint_eq(offsetof(type, field), (offset));             \
		ck_assert_uint_eq(sizeof(((type *)0)->field), (size));          \
	} while (0)

START_TEST(test_aiocb_layout_is_glibc)
{
	ck_assert_uint_eq(sizeof(struct aiocb), 168);
	ck_assert_uint_eq(sizeof(struct aiocb64), 168);
	ck_assert_uint_eq(sizeof(struct sigevent), 64);

	CHECK_FIELD(struct aiocb, aio_fildes, 0, 4);
	CHECK_FIELD(struct aiocb, aio_lio_opcode, 4, 4);
	CHECK_FIELD(struct aiocb, aio_reqprio, 8, 4);
	CHECK_FIELD(struct aiocb, aio_buf, 16, 8);
	CHECK_FIELD(struct aiocb, aio_nbytes, 24, 8);
	CHECK_FIELD(struct aiocb, aio_sigevent, 32, 64);
	CHECK_FIELD(struct aiocb, __next_prio, 96, 8);
	CHECK_FIELD(struct aiocb, __abs_prio, 104, 4);
	CHECK_FIELD(struct aiocb, __policy, 108, 4);
	CHECK_FIELD(struct aiocb, __error_code, 112, 4);
	CHECK_FIELD(struct aiocb, __return_value, 120, 8);
	CHECK_FIELD(struct aiocb, aio_offset, 128, 8);
	CHECK_FIELD(struct aiocb, __glibc_reserved, 136, 32);

	CHECK_FIELD(struct aiocb64, aio_fildes, 0, 4);
	CHECK_FIELD(struct aiocb64, aio_lio_opcode, 4, 4);
	CHECK_FIELD(struct aiocb64, aio_reqprio, 8, 4);
	CHECK_FIELD(struct aiocb64, aio_buf, 16, 8);
	CHECK_FIELD(struct aiocb64, aio_nbytes, 24, 8);
	CHECK_FIELD(struct aiocb64, aio_sigevent, 32, 64);
	CHECK_FIELD(struct aiocb64, __error_code, 112, 4);
	CHECK_FIELD(struct aiocb64, __return_value, 120, 8);
	CHECK_FIELD(struct aiocb64, aio_offset, 128, 8);
}
END_TEST

/* --- public fields are never written -------------------------------------- */

struct public_fields {
	int fildes;
	int lio_opcode;
	int reqprio;
	volatile void *buf;
	size_t nbytes;
	unsigned char sigevent[sizeof(struct sigevent)];
	off_t offset;
};

static void
snapshot(const struct aiocb *cb, struct public_fields *out)
{
	memset(out, 0, sizeof *out);
	out->fildes = cb->aio_fildes;
	out->lio_opcode = cb->aio_lio_opcode;
	out->reqprio = cb->aio_reqprio;
	out->buf = cb->aio_buf;
	out->nbytes = cb->aio_nbytes;
	memcpy(out->sigevent, &cb->aio_sigevent, sizeof out->sigevent);
	out->offset = cb->aio_offset;
}

static void
assert_unchanged(const struct aiocb *cb, const struct public_fields *before, const char *when)
{
	struct public_fields now;
	snapshot(cb, &now);
	ck_assert_msg(now.fildes == before->fildes, "%s: aio_fildes changed", when);
	ck_assert_msg(now.lio_opcode == before->lio_opcode, "%s: aio_lio_opcode changed %d -> %d",
		      when, before->lio_opcode, now.lio_opcode);
	ck_assert_msg(now.reqprio == before->reqprio, "%s: aio_reqprio changed", when);
	ck_assert_msg(now.buf == before->buf, "%s: aio_buf changed", when);
	ck_assert_msg(now.nbytes == before->nbytes, "%s: aio_nbytes changed", when);
	ck_assert_msg(memcmp(now.sigevent, before->sigevent, sizeof now.sigevent) == 0,
		      "%s: aio_sigevent bytes changed", when);
	ck_assert_msg(now.offset == before->offset, "%s: aio_offset changed", when);
}

/* An aiocb whose every public byte is distinctive: the sigevent is filled
 * with a pattern (padding and unused union members included) before its
 * meaningful fields are set. */
static void
prepare_marked(struct aiocb *cb, int fd, void *buffer, size_t length, off_t offset,
	       int opcode, int reqprio)
{
	memset(cb, 0, sizeof *cb);
	cb->aio_fildes = fd;
	cb->aio_lio_opcode = opcode;
	cb->aio_reqprio = reqprio;
	cb->aio_buf = buffer;
	cb->aio_nbytes = length;
	cb->aio_offset = offset;
	memset(&cb->aio_sigevent, 0x5c, sizeof cb->aio_sigevent);
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
	cb->aio_sigevent.sigev_signo = SIGUSR2;
	cb->aio_sigevent.sigev_value.sival_ptr = (void *)0x1234abcd;
}

static void
run_and_compare(struct aiocb *cb, int (*submit)(struct aiocb *), int expected_error,
		ssize_t expected_return)
{
	struct public_fields before;
	snapshot(cb, &before);
	ck_assert_int_eq(submit(cb), 0);
	assert_unchanged(cb, &before, "after submission");
	ck_assert_int_eq(test_wait(cb, expected_error), expected_return);
	assert_unchanged(cb, &before, "after completion");
	(void)aio_return(cb);
	assert_unchanged(cb, &before, "after aio_return");
}

static int submit_fsync_sync(struct aiocb *cb) { return aio_fsync(O_SYNC, cb); }
static int submit_fsync_dsync(struct aiocb *cb) { return aio_fsync(O_DSYNC, cb); }

START_TEST(test_public_fields_untouched)
{
	int fd = test_temp_file();
	unsigned char out[5000], in[5000];
	test_pattern_fill(out, sizeof out, 55, 77);
	struct aiocb cb;

	prepare_marked(&cb, fd, out, sizeof out, 77, LIO_NOP, 3);
	run_and_compare(&cb, aio_write, 0, sizeof out);

	prepare_marked(&cb, fd, in, sizeof in, 77, LIO_NOP, AIO_PRIO_DELTA_MAX);
	run_and_compare(&cb, aio_read, 0, sizeof in);
	ck_assert(test_pattern_check(in, sizeof in, 55, 77));

	/* Short read and read at EOF. */
	prepare_marked(&cb, fd, in, sizeof in, 5000, LIO_WRITE, 0);
	run_and_compare(&cb, aio_read, 0, 77);
	prepare_marked(&cb, fd, in, sizeof in, 1 << 20, LIO_READ, 0);
	run_and_compare(&cb, aio_read, 0, 0);

	/* fsync ignores buffer, length and offset, and must leave them be. */
	prepare_marked(&cb, fd, (void *)0x42, 99, 12345, LIO_READ, 1);
	run_and_compare(&cb, submit_fsync_sync, 0, 0);
	prepare_marked(&cb, fd, NULL, 0, 0, LIO_WRITE, 2);
	run_and_compare(&cb, submit_fsync_dsync, 0, 0);

	/* A request that fails. */
	prepare_marked(&cb, io_closed_fd(), in, sizeof in, 0, LIO_NOP, 4);
	run_and_compare(&cb, aio_read, EBADF, -1);

	/* A stream request that stays in flight for a while. */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct public_fields before;
	prepare_marked(&cb, p[0], in, 10, 31337, LIO_NOP, 5);
	snapshot(&cb, &before);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);
	assert_unchanged(&cb, &before, "while in flight");
	test_write_all(p[1], "abcdefghij", 10);
	ck_assert_int_eq(test_wait(&cb, 0), 10);
	assert_unchanged(&cb, &before, "after stream completion");
	close(p[0]);
	close(p[1]);
	close(fd);
}
END_TEST

START_TEST(test_public_fields_untouched_by_lio_listio_and_64)
{
	int fd = test_temp_file();
	unsigned char out[3000], in[3000];
	test_pattern_fill(out, sizeof out, 56, 1000);
	io_pwrite_all(fd, out, sizeof out, 1000);

	struct aiocb rd, wr;
	struct public_fields before_rd, before_wr;
	prepare_marked(&rd, fd, in, sizeof in, 1000, LIO_READ, 6);
	prepare_marked(&wr, fd, out, sizeof out, 10000, LIO_WRITE, 7);
	snapshot(&rd, &before_rd);
	snapshot(&wr, &before_wr);
	struct aiocb *list[2] = { &rd, &wr };
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 2, NULL), 0);
	ck_assert_int_eq(aio_error(&rd), 0);
	ck_assert_int_eq(aio_error(&wr), 0);
	ck_assert_int_eq(aio_return(&rd), (ssize_t)sizeof in);
	ck_assert_int_eq(aio_return(&wr), (ssize_t)sizeof out);
	assert_unchanged(&rd, &before_rd, "lio_listio read");
	assert_unchanged(&wr, &before_wr, "lio_listio write");
	ck_assert(test_pattern_check(in, sizeof in, 56, 1000));

	struct aiocb64 cb64;
	prepare_marked((struct aiocb *)&cb64, fd, out, sizeof out, 20000, LIO_NOP, 8);
	struct public_fields before64;
	snapshot((struct aiocb *)&cb64, &before64);
	ck_assert_int_eq(aio_write64(&cb64), 0);
	const struct aiocb64 *wait[1] = { &cb64 };
	while (aio_error64(&cb64) == EINPROGRESS)
		ck_assert(aio_suspend64(wait, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_return64(&cb64), (ssize_t)sizeof out);
	assert_unchanged((struct aiocb *)&cb64, &before64, "aio_write64");
	close(fd);
}
END_TEST

/* --- exported names ------------------------------------------------------- */

static const char *const expected_exports[] = {
	"aio_read", "aio_write", "aio_fsync", "aio_error", "aio_return",
	"aio_suspend", "aio_cancel", "lio_listio",
	"aio_read64", "aio_write64", "aio_fsync64", "aio_error64", "aio_return64",
	"aio_suspend64", "aio_cancel64", "lio_listio64",
	"aio_init", "aio_posix_version", "aio_posix_get_stats",
	/* FreeBSD's and Solaris's extensions, completion queues (<aio-posix.h>) */
	"aio_readv", "aio_writev", "aio_read2", "aio_write2", "aio_mlock",
	"aio_waitcomplete", "aio_waitn",
	"aio_queue_create", "aio_queue_reap", "aio_queue_close",
	/* Solaris's <sys/asynch.h> (<aio-posix/asynch.h>) */
	"aioread", "aiowrite", "aiowait", "aiocancel",
};
enum { EXPECTED_EXPORTS = sizeof expected_exports / sizeof expected_exports[0] };

/* Symbol types that mean "this library defines and exports the name". */
static int
is_definition_type(char type)
{
	return strchr("TWDBRViu", type) != NULL;
}

START_TEST(test_exported_symbols_exactly)
{
	const char *library = getenv("AIO_POSIX_TEST_LIBRARY");
	ck_assert_msg(library != NULL && *library,
		      "AIO_POSIX_TEST_LIBRARY is not set (run through make check)");
	ck_assert_msg(access(library, R_OK) == 0, "%s: %s", library, strerror(errno));

	char command[4096];
	snprintf(command, sizeof command, "nm -D --defined-only '%s'", library);
	FILE *nm = popen(command, "r");
	ck_assert_msg(nm != NULL, "popen nm: %s", strerror(errno));

	int seen[EXPECTED_EXPORTS] = { 0 };
	char line[1024];
	char unexpected[4096] = "";
	char versioned[4096] = "";
	int lines = 0;
	while (fgets(line, sizeof line, nm)) {
		char *tokens[3];
		int n = 0;
		for (char *save = NULL, *t = strtok_r(line, " \t\n", &save); t && n < 3;
		     t = strtok_r(NULL, " \t\n", &save))
			tokens[n++] = t;
		if (n < 2)
			continue;
		lines++;
		const char *type = tokens[n - 2];
		const char *name = tokens[n - 1];
		if (strchr(name, '@')) {
			strncat(versioned, " ", sizeof versioned - strlen(versioned) - 1);
			strncat(versioned, name, sizeof versioned - strlen(versioned) - 1);
		}
		if (strlen(type) != 1 || !is_definition_type(type[0]))
			continue;
		int found = 0;
		for (int i = 0; i < EXPECTED_EXPORTS; i++)
			if (strcmp(name, expected_exports[i]) == 0) {
				seen[i]++;
				found = 1;
			}
		if (!found) {
			strncat(unexpected, " ", sizeof unexpected - strlen(unexpected) - 1);
			strncat(unexpected, name, sizeof unexpected - strlen(unexpected) - 1);
		}
	}
	int status = pclose(nm);
	ck_assert_msg(status == 0, "nm failed (status %d)", status);
	ck_assert_msg(lines > 0, "nm printed nothing for %s", library);

	ck_assert_msg(versioned[0] == '\0', "versioned symbols exported:%s", versioned);
	ck_assert_msg(unexpected[0] == '\0', "unexpected exports:%s", unexpected);
	for (int i = 0; i < EXPECTED_EXPORTS; i++)
		ck_assert_msg(seen[i] == 1, "%s exported %d times, expected once",
			      expected_exports[i], seen[i]);
}
END_TEST

/* This program is linked with the library: every aio name it uses, and
 * every name looked up at run time, is the library's, not glibc's. */
START_TEST(test_names_resolve_to_library)
{
	for (int i = 0; i < EXPECTED_EXPORTS; i++) {
		void *address = dlsym(RTLD_DEFAULT, expected_exports[i]);
		ck_assert_msg(address != NULL, "dlsym(%s) failed", expected_exports[i]);
		Dl_info info;
		ck_assert(dladdr(address, &info) != 0);
		ck_assert_msg(info.dli_fname && strstr(info.dli_fname, "libaio-posix"),
			      "%s is served by %s", expected_exports[i],
			      info.dli_fname ? info.dli_fname : "(unknown)");
	}
	/* The references this program was linked with bind the same way. */
	void *bound[] = {
		(void *)aio_read, (void *)aio_write, (void *)aio_fsync, (void *)aio_error,
		(void *)aio_return, (void *)aio_suspend, (void *)aio_cancel,
		(void *)lio_listio, (void *)aio_read64, (void *)aio_write64,
		(void *)aio_fsync64, (void *)aio_error64, (void *)aio_return64,
		(void *)aio_suspend64, (void *)aio_cancel64, (void *)lio_listio64,
		(void *)aio_init, (void *)aio_posix_version, (void *)aio_posix_get_stats,
	};
	for (size_t i = 0; i < sizeof bound / sizeof bound[0]; i++) {
		Dl_info info;
		ck_assert(dladdr(bound[i], &info) != 0);
		ck_assert_msg(info.dli_fname && strstr(info.dli_fname, "libaio-posix"),
			      "%s as linked is served by %s", expected_exports[i],
			      info.dli_fname ? info.dli_fname : "(unknown)");
	}
}
END_TEST

START_TEST(test_version_string)
{
	const char *version = aio_posix_version();
	ck_assert_ptr_nonnull(version);
	ck_assert_str_eq(version, PACKAGE_VERSION);
	/* MAJOR.MINOR.PATCH */
	int dots = 0;
	for (const char *p = version; *p; p++) {
		if (*p == '.')
			dots++;
		else
			ck_assert_msg(isdigit((unsigned char)*p), "bad version \"%s\"", version);
	}
	ck_assert_int_eq(dots, 2);
}
END_TEST

static Suite *
abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc;

	tc = io_tcase(s, "layout", 30);
	tcase_add_test(tc, test_aiocb_layout_is_glibc);

	tc = io_tcase(s, "public-fields", 30);
	tcase_add_test(tc, test_public_fields_untouched);
	tcase_add_test(tc, test_public_fields_untouched_by_lio_listio_and_64);

	tc = io_tcase(s, "exports", 30);
	tcase_add_test(tc, test_exported_symbols_exactly);
	tcase_add_test(tc, test_names_resolve_to_library);
	tcase_add_test(tc, test_version_string);
	return s;
}

int
main(void)
{
	return test_run_suite(abi_suite());
}
