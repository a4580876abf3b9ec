/* test-abi: libaio-posix is a drop-in for glibc's aio: struct aiocb and
 * struct aiocb64 keep glibc's layouts (LP64, i386 in each test ABI), the
 * library never writes a public field, and it exports exactly the aio
 * names of the libc.so.6 it runs with, at the same symbol versions, plus
 * its own extension, unversioned. */
#define _GNU_SOURCE
#include <config.h>
#include "io-util.h"

#include <aio-posix.h>
#include <aio-posix/asynch.h>
#include <ctype.h>
#include <stdbool.h>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stddef.h>

/* The table of exported names, without the library's internals. */
#define ABI_VERSIONS_ONLY 1
#include "abi.h"

/* --- layout --------------------------------------------------------------- */

#define CHECK_FIELD(type, field, offset, size)                                  \
	do {                                                                    \
		ck_assert_uint_eq(offsetof(type, field), (offset));             \
		ck_assert_uint_eq(sizeof(((type *)0)->field), (size));          \
	} while (0)

/* glibc's layouts, per ABI: LP64 (x86_64, aarch64), and i386, where this
 * build of the tests may have a 64-bit off_t (_FILE_OFFSET_BITS=64) and a
 * 64-bit time_t (_TIME_BITS=64). */
#if __SIZEOF_POINTER__ == 8
enum { P = 8, AIOCB = 168, BUF_AT = 16, SIGEVENT_AT = 32, PRIVATE_AT = 96, RESERVED_AT = 136 };
#elif defined(__i386__)
enum { P = 4, AIOCB = 144, BUF_AT = 12, SIGEVENT_AT = 20, PRIVATE_AT = 84, RESERVED_AT = 112 };
#else
#error "no expected layout for this architecture"
#endif

START_TEST(test_aiocb_layout_is_glibc)
{
	ck_assert_uint_eq(sizeof(struct aiocb), AIOCB);
	ck_assert_uint_eq(sizeof(struct aiocb64), AIOCB);
	ck_assert_uint_eq(sizeof(struct sigevent), 64);

	CHECK_FIELD(struct aiocb, aio_fildes, 0, 4);
	CHECK_FIELD(struct aiocb, aio_lio_opcode, 4, 4);
	CHECK_FIELD(struct aiocb, aio_reqprio, 8, 4);
	CHECK_FIELD(struct aiocb, aio_buf, BUF_AT, P);
	CHECK_FIELD(struct aiocb, aio_nbytes, BUF_AT + P, P);
	CHECK_FIELD(struct aiocb, aio_sigevent, SIGEVENT_AT, 64);
	CHECK_FIELD(struct aiocb, __next_prio, PRIVATE_AT, P);
	CHECK_FIELD(struct aiocb, __abs_prio, PRIVATE_AT + P, 4);
	CHECK_FIELD(struct aiocb, __policy, PRIVATE_AT + P + 4, 4);
	CHECK_FIELD(struct aiocb, __error_code, PRIVATE_AT + P + 8, 4);
	CHECK_FIELD(struct aiocb, __return_value, PRIVATE_AT + 2 * P + 8, P);
	/* A 32-bit off_t is followed by padding up to the reserved bytes. */
	CHECK_FIELD(struct aiocb, aio_offset, PRIVATE_AT + 3 * P + 8, sizeof(off_t));
	CHECK_FIELD(struct aiocb, __glibc_reserved, RESERVED_AT, 32);
	ck_assert_uint_eq(RESERVED_AT, PRIVATE_AT + 3 * P + 8 + 8);

	CHECK_FIELD(struct aiocb64, aio_fildes, 0, 4);
	CHECK_FIELD(struct aiocb64, aio_lio_opcode, 4, 4);
	CHECK_FIELD(struct aiocb64, aio_reqprio, 8, 4);
	CHECK_FIELD(struct aiocb64, aio_buf, BUF_AT, P);
	CHECK_FIELD(struct aiocb64, aio_nbytes, BUF_AT + P, P);
	CHECK_FIELD(struct aiocb64, aio_sigevent, SIGEVENT_AT, 64);
	CHECK_FIELD(struct aiocb64, __error_code, PRIVATE_AT + P + 8, 4);
	CHECK_FIELD(struct aiocb64, __return_value, PRIVATE_AT + 2 * P + 8, P);
	CHECK_FIELD(struct aiocb64, aio_offset, PRIVATE_AT + 3 * P + 8, 8);
	CHECK_FIELD(struct aiocb64, __glibc_reserved, RESERVED_AT, 32);
}
END_TEST

/* What __aio_suspend_time64 reads (lib/abi.h, struct abi_timespec64): in a
 * _TIME_BITS=64 build on i386, the system's struct timespec must be it;
 * elsewhere struct timespec is the plain one aio_suspend reads. */
START_TEST(test_timespec_layout)
{
	if (sizeof(time_t) == 8) {
		ck_assert_uint_eq(sizeof(struct timespec), 16);
		CHECK_FIELD(struct timespec, tv_sec, 0, 8);
		CHECK_FIELD(struct timespec, tv_nsec, 8, sizeof(long));
	} else {
		ck_assert_uint_eq(sizeof(struct timespec), 8);
		CHECK_FIELD(struct timespec, tv_sec, 0, 4);
		CHECK_FIELD(struct timespec, tv_nsec, 4, 4);
	}
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

/* The extension API (<aio-posix.h>, <aio-posix/asynch.h>) with its twins:
 * unversioned, as lib/abi.h lists it for the architecture of this build. */
#define AS_STRING(name) #name,
static const char *const extension_exports[] = { ABI_EXTENSION_NAMES(AS_STRING) };
enum { EXTENSION_COUNT = sizeof extension_exports / sizeof extension_exports[0] };

static bool
is_extension_export(const char *line)
{
	for (int i = 0; i < EXTENSION_COUNT; i++) {
		size_t length = strlen(extension_exports[i]);
		if (strncmp(line, extension_exports[i], length) == 0 && line[length] == ' ')
			return true;
	}
	return false;
}

static const char *const expected_exports[] = {
	"aio_read", "aio_write", "aio_fsync", "aio_error", "aio_return",
	"aio_suspend", "aio_cancel", "lio_listio",
	"aio_read64", "aio_write64", "aio_fsync64", "aio_error64", "aio_return64",
	"aio_suspend64", "aio_cancel64", "lio_listio64",
	"aio_init",
	ABI_EXTENSION_NAMES(AS_STRING)
#if defined(__i386__)
	"__aio_suspend_time64",
#endif
};
enum { EXPECTED_EXPORTS = sizeof expected_exports / sizeof expected_exports[0] };

/* The dynamic symbols `objdump -T` lists for file, defined there, as
 * "NAME VERSION" lines (VERSION as objdump prints it: "GLIBC_2.34" for the
 * default, "(GLIBC_2.1)" for an older one, "Base" for none), sorted, into
 * out; only names with one of the prefixes, if any are given. */
static int
exported_symbols(const char *file, const char *const prefixes[], char *out, size_t size)
{
	const char *objdump = getenv("AIO_POSIX_TEST_OBJDUMP");
	char command[4096];
	/* objdump's columns: address, binding, type, section, size, version,
	 * name; undefined names and the version definitions themselves are
	 * not exports. */
	snprintf(command, sizeof command,
		 "'%s' -T '%s' | awk 'NF == 7 && $4 != \"*UND*\" && $4 != \"*ABS*\" "
		 "{ print $7, $6 }' | LC_ALL=C sort",
		 objdump && *objdump ? objdump : "objdump", file);
	FILE *pipe = popen(command, "r");
	ck_assert_msg(pipe != NULL, "popen %s: %s", command, strerror(errno));
	char line[1024];
	int count = 0;
	out[0] = '\0';
	while (fgets(line, sizeof line, pipe)) {
		bool wanted = prefixes == NULL;
		for (int i = 0; prefixes && prefixes[i]; i++)
			if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
				wanted = true;
		if (!wanted)
			continue;
		size_t used = strlen(out);
		ck_assert_msg(used + strlen(line) < size, "too many symbols in %s", file);
		strcpy(out + used, line);
		count++;
	}
	int status = pclose(pipe);
	ck_assert_msg(status == 0, "%s failed (status %d)", command, status);
	return count;
}

/* The libc.so.6 this very program runs with. */
static const char *
running_libc(void)
{
	Dl_info info;
	/* A function of libc's own that no sanitizer runtime intercepts. */
	ck_assert(dladdr((void *)gnu_get_libc_version, &info) != 0 && info.dli_fname);
	ck_assert_msg(strstr(info.dli_fname, "libc.so"), "gnu_get_libc_version is served by %s",
		      info.dli_fname);
	return info.dli_fname;
}

/* glibc's aio names, each at exactly the versions the system's libc.so.6
 * has it (i386: GLIBC_2.1, GLIBC_2.34 and lio_listio at GLIBC_2.4 too;
 * x86_64: GLIBC_2.2.5 ...), then the extension, unversioned, and nothing
 * else. */
START_TEST(test_exported_symbols_exactly)
{
	const char *library = getenv("AIO_POSIX_TEST_LIBRARY");
	ck_assert_msg(library != NULL && *library,
		      "AIO_POSIX_TEST_LIBRARY is not set (run through make check)");
	ck_assert_msg(access(library, R_OK) == 0, "%s: %s", library, strerror(errno));

	static char glibc[16384], ours[16384], everything[16384];
	static const char *const aio_prefixes[] = { "aio_", "lio_", "__aio_", NULL };
	int glibc_count = exported_symbols(running_libc(), aio_prefixes, glibc, sizeof glibc);
	ck_assert_msg(glibc_count >= 17, "libc exports only %d aio symbols:\n%s", glibc_count, glibc);
	printf("%s: %d aio symbols, as in %s\n", library, glibc_count, running_libc());

	int all = exported_symbols(library, NULL, everything, sizeof everything);
	/* Ours without the extension API, whose names are each unversioned
	 * ("Base"). */
	ours[0] = '\0';
	int extensions = 0;
	for (char *save = NULL, *line = strtok_r(everything, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (is_extension_export(line)) {
			ck_assert_msg(strcmp(strchr(line, ' '), " Base") == 0,
				      "%s: an extension must be unversioned", line);
			extensions++;
			continue;
		}
		strcat(ours, line);
		strcat(ours, "\n");
	}
	ck_assert_int_eq(extensions, EXTENSION_COUNT);
	ck_assert_msg(strcmp(ours, glibc) == 0, "the library exports\n%s\nwhere libc has\n%s",
		      ours, glibc);
	ck_assert_int_eq(all, glibc_count + EXTENSION_COUNT);
}
END_TEST

/* Every version of every aio name libc has is ours in this program, linked
 * with the library: dlvsym finds what a reference of that version binds to. */
START_TEST(test_every_version_resolves_to_library)
{
	static char glibc[16384];
	static const char *const aio_prefixes[] = { "aio_", "lio_", "__aio_", NULL };
	exported_symbols(running_libc(), aio_prefixes, glibc, sizeof glibc);
	int checked = 0;
	for (char *save = NULL, *line = strtok_r(glibc, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128], version[128];
		ck_assert_int_eq(sscanf(line, "%127s %127s", name, version), 2);
		char *bare = version[0] == '(' ? version + 1 : version;
		bare[strcspn(bare, ")")] = '\0';
		void *address = dlvsym(RTLD_DEFAULT, name, bare);
		ck_assert_msg(address != NULL, "dlvsym(%s, %s) failed", name, bare);
		Dl_info info;
		ck_assert(dladdr(address, &info) != 0);
		ck_assert_msg(info.dli_fname && strstr(info.dli_fname, "libaio-posix"),
			      "%s@%s is served by %s", name, bare,
			      info.dli_fname ? info.dli_fname : "(unknown)");
		checked++;
	}
	ck_assert_int_ge(checked, 17);
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

/* The extension headers send each call of this build's ABI to the twin
 * its struct aiocb, off_t and timeouts need, as <aio.h> does: with
 * _FILE_OFFSET_BITS=64 to the *64 name, with _TIME_BITS=64 too to the
 * __*_time64 one. */
START_TEST(test_headers_name_the_twins_of_this_abi)
{
#ifdef __USE_FILE_OFFSET64
	const bool large_files = true;
#else
	const bool large_files = false;
#endif
#ifdef __USE_TIME_BITS64
	const bool time64 = true;
#else
	const bool time64 = false;
#endif
	const struct {
		void *as_linked;
		const char *plain, *large_files, *time64;
	} calls[] = {
		{ (void *)aio_readv, "aio_readv", "aio_readv64", NULL },
		{ (void *)aio_writev, "aio_writev", "aio_writev64", NULL },
		{ (void *)aio_read2, "aio_read2", "aio_read2_64", NULL },
		{ (void *)aio_write2, "aio_write2", "aio_write2_64", NULL },
		{ (void *)aio_mlock, "aio_mlock", "aio_mlock64", NULL },
		{ (void *)aio_waitcomplete, "aio_waitcomplete", "aio_waitcomplete64",
		  "__aio_waitcomplete_time64" },
		{ (void *)aio_waitn, "aio_waitn", "aio_waitn64", "__aio_waitn_time64" },
		{ (void *)aio_queue_reap, "aio_queue_reap", NULL, "__aio_queue_reap_time64" },
		{ (void *)aioread, "aioread", "aioread64", NULL },
		{ (void *)aiowrite, "aiowrite", "aiowrite64", NULL },
		{ (void *)aiowait, "aiowait", NULL, "__aiowait_time64" },
		{ (void *)aio_waitcomplete64, "aio_waitcomplete64", "aio_waitcomplete64",
		  "__aio_waitcomplete_time64" },
		{ (void *)aio_waitn64, "aio_waitn64", "aio_waitn64", "__aio_waitn_time64" },
	};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		const char *name = time64 && calls[i].time64 ? calls[i].time64
				 : large_files && calls[i].large_files ? calls[i].large_files
				 : calls[i].plain;
		void *address = dlsym(RTLD_DEFAULT, name);
		ck_assert_msg(address != NULL, "dlsym(%s) failed", name);
		ck_assert_msg(calls[i].as_linked == address, "%s, as this build calls it, is not %s",
			      calls[i].plain, name);
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
	tcase_add_test(tc, test_timespec_layout);

	tc = io_tcase(s, "public-fields", 30);
	tcase_add_test(tc, test_public_fields_untouched);
	tcase_add_test(tc, test_public_fields_untouched_by_lio_listio_and_64);

	tc = io_tcase(s, "exports", 30);
	tcase_add_test(tc, test_exported_symbols_exactly);
	tcase_add_test(tc, test_every_version_resolves_to_library);
	tcase_add_test(tc, test_names_resolve_to_library);
	tcase_add_test(tc, test_headers_name_the_twins_of_this_abi);
	tcase_add_test(tc, test_version_string);
	return s;
}

int
main(void)
{
	return test_run_suite(abi_suite());
}
