# Test suites (Check).  Each suite is one program named after the module or
# function whose behaviour it proves.  Suites that link the library get
# TEST_LIBS; preload tests run programs that only know glibc.
# TEST_ABI_CPPFLAGS (configure): the ABI the test and example programs are
# built for, e.g. -D_FILE_OFFSET_BITS=64 on i386; the library is the same.
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(TEST_ABI_CPPFLAGS)
TEST_LIBS = lib/libaio-posix.la $(CHECK_LIBS)
# Every test program runs once per backend (tests/each-backend.sh): forced
# threads, and forced uring where io_uring works (tests/uring-works says).
# In a cross build every program of the host runs under TEST_EMULATOR
# (configure finds qemu-user), and the test programs are plain executables
# (-no-install), not libtool's wrapper scripts, so that it can run them.
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/each-backend.sh
check_PROGRAMS += tests/uring-works
tests_uring_works_SOURCES = tests/uring-works.c
tests_uring_works_LDADD = lib/libaio-posix.la
EXTRA_DIST += tests/each-backend.sh
# Check's own per-test timeout scale; each test case also sets its own.
# Sanitizer builds stop at the first report (configure adds
# -fno-sanitize-recover=all; ThreadSanitizer needs halt_on_error too), so a
# report fails the test that made it: ours come last, and win.
# AIO_POSIX_TEST_OBJDUMP reads the target's binaries (tests/test-abi).
AM_TESTS_ENVIRONMENT = CK_DEFAULT_TIMEOUT=60; export CK_DEFAULT_TIMEOUT; \
	UBSAN_OPTIONS="$${UBSAN_OPTIONS:+$$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1"; \
	TSAN_OPTIONS="$${TSAN_OPTIONS:+$$TSAN_OPTIONS:}halt_on_error=1"; \
	export UBSAN_OPTIONS TSAN_OPTIONS; \
	AIO_POSIX_TEST_OBJDUMP='$(OBJDUMP)'; export AIO_POSIX_TEST_OBJDUMP; \
	AIO_POSIX_TEST_LIBRARY='$(abs_top_builddir)/lib/.libs/libaio-posix.so.0'; \
	export AIO_POSIX_TEST_LIBRARY; \
	AIO_POSIX_TEST_BUILDDIR='$(abs_top_builddir)'; export AIO_POSIX_TEST_BUILDDIR; \
	AIO_POSIX_TEST_EMULATOR='$(TEST_EMULATOR)'; export AIO_POSIX_TEST_EMULATOR; \
	if AIO_POSIX_URING_WHY=`$(TEST_EMULATOR) tests/uring-works`; then \
	  AIO_POSIX_URING_WORKS=1; export AIO_POSIX_URING_WORKS; \
	else export AIO_POSIX_URING_WHY; fi; \
	AIO_POSIX_SANITIZER='$(SANITIZER_CFLAGS)'; export AIO_POSIX_SANITIZER;
EXTRA_DIST += tests/testutil.h tests/aiocb-util.h

if HAVE_CHECK
include tests/io.mk
include tests/control.mk
include tests/robust.mk
include tests/porting.mk

check_PROGRAMS += tests/test-stats tests/test-streams tests/test-priority tests/test-capacity
TESTS += tests/test-stats tests/test-streams tests/test-priority tests/test-capacity
tests_test_stats_SOURCES = tests/test-stats.c
tests_test_stats_CFLAGS = $(TEST_CFLAGS)
tests_test_stats_LDADD = $(TEST_LIBS)
tests_test_streams_SOURCES = tests/test-streams.c
tests_test_streams_CFLAGS = $(TEST_CFLAGS)
tests_test_streams_LDADD = $(TEST_LIBS)
tests_test_priority_SOURCES = tests/test-priority.c
tests_test_priority_CFLAGS = $(TEST_CFLAGS)
tests_test_priority_LDADD = $(TEST_LIBS)
tests_test_capacity_SOURCES = tests/test-capacity.c
tests_test_capacity_CFLAGS = $(TEST_CFLAGS)
tests_test_capacity_LDADD = $(TEST_LIBS)
else
# Without Check 'make check' would pass having run nothing.
check-local:
	@echo "make check: the Check library was not found at configure time;" >&2
	@echo "install it (apt-get install check) and run ./configure again." >&2
	@exit 1
endif
