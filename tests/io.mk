# I/O suites: read/write, error/return, fsync, ABI, preload, stress.
# Included from tests/local.mk (inside "if HAVE_CHECK"); paths are relative
# to the top of the tree.

IO_SUITES = \
	tests/test-read-write \
	tests/test-error-return \
	tests/test-fsync \
	tests/test-abi \
	tests/test-preload \
	tests/test-stress

check_PROGRAMS += $(IO_SUITES)
TESTS += $(IO_SUITES)

tests_test_read_write_SOURCES = tests/test-read-write.c tests/io-util.h
tests_test_read_write_CFLAGS = $(TEST_CFLAGS)
tests_test_read_write_LDADD = $(TEST_LIBS)

tests_test_error_return_SOURCES = tests/test-error-return.c tests/io-util.h
tests_test_error_return_CFLAGS = $(TEST_CFLAGS)
tests_test_error_return_LDADD = $(TEST_LIBS)

tests_test_fsync_SOURCES = tests/test-fsync.c tests/io-util.h
tests_test_fsync_CFLAGS = $(TEST_CFLAGS)
tests_test_fsync_LDADD = $(TEST_LIBS)

tests_test_abi_SOURCES = tests/test-abi.c tests/io-util.h
tests_test_abi_CFLAGS = $(TEST_CFLAGS)
tests_test_abi_LDADD = $(TEST_LIBS)

# The preload suite skips its LD_PRELOAD case in sanitizer builds.
tests_test_preload_SOURCES = tests/test-preload.c tests/io-util.h
tests_test_preload_CFLAGS = $(TEST_CFLAGS) -DAIO_POSIX_SANITIZER='"$(SANITIZER_CFLAGS)"'
tests_test_preload_LDADD = $(TEST_LIBS)

tests_test_stress_SOURCES = tests/test-stress.c tests/io-util.h
tests_test_stress_CFLAGS = $(TEST_CFLAGS)
tests_test_stress_LDADD = $(TEST_LIBS)

# Helpers run by test-preload: one program from one source, built against the
# system <aio.h> only.  plain-aio-program links nothing but libc (glibc 2.34+
# has aio in libc); linked-aio-program links libaio-posix.  The same for
# versioned-aio-program, which calls the oldest symbol versions (it reads
# the version table of lib/abi.h, nothing else of the library).
check_PROGRAMS += tests/plain-aio-program tests/linked-aio-program \
	tests/versioned-aio-program tests/linked-versioned-aio-program

tests_versioned_aio_program_SOURCES = tests/versioned-aio-program.c tests/aiocb-util.h
tests_versioned_aio_program_CPPFLAGS = -I$(top_srcdir)/lib
tests_versioned_aio_program_CFLAGS = $(AM_CFLAGS) $(TEST_ABI_CPPFLAGS)
tests_versioned_aio_program_LDADD =

tests_linked_versioned_aio_program_SOURCES = tests/versioned-aio-program.c tests/aiocb-util.h
tests_linked_versioned_aio_program_CPPFLAGS = -I$(top_srcdir)/lib
tests_linked_versioned_aio_program_CFLAGS = $(AM_CFLAGS) $(TEST_ABI_CPPFLAGS)
tests_linked_versioned_aio_program_LDADD = lib/libaio-posix.la

tests_plain_aio_program_SOURCES = tests/plain-aio-program.c tests/aiocb-util.h
tests_plain_aio_program_CPPFLAGS =
tests_plain_aio_program_CFLAGS = $(AM_CFLAGS) $(TEST_ABI_CPPFLAGS)
tests_plain_aio_program_LDADD =

tests_linked_aio_program_SOURCES = tests/plain-aio-program.c tests/aiocb-util.h
tests_linked_aio_program_CPPFLAGS =
tests_linked_aio_program_CFLAGS = $(AM_CFLAGS) $(TEST_ABI_CPPFLAGS)
tests_linked_aio_program_LDADD = lib/libaio-posix.la
