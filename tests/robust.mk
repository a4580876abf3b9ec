# Robustness: never lose a request, never crash, never hang.  Included from
# tests/local.mk (inside "if HAVE_CHECK").
#
#   tests/stress          random load with verified data, notifications,
#                         cancellation, fork and signal storms; 'make check'
#                         runs it briefly on each backend (tests/stress-run.test),
#                         'make soak' for SOAK_SECONDS (600) on each
#   tests/test-bad-input  every invalid argument of every entry point
#   tests/test-faults     fault injection (--enable-fault-injection builds)
#   make fuzz             libFuzzer harness tests/fuzz/fuzz-aiocb.c, built
#                         with clang from the library sources; FUZZ_SECONDS (60)

check_PROGRAMS += tests/stress tests/test-bad-input
TESTS += tests/stress-run.test tests/test-bad-input
EXTRA_DIST += tests/stress-run.test

tests_stress_SOURCES = tests/stress.c
tests_stress_CFLAGS = $(AM_CFLAGS) $(TEST_ABI_CPPFLAGS)
tests_stress_LDADD = lib/libaio-posix.la

tests_test_bad_input_SOURCES = tests/test-bad-input.c tests/testutil.h
tests_test_bad_input_CFLAGS = $(TEST_CFLAGS)
tests_test_bad_input_LDADD = $(TEST_LIBS)

# Fault injection: only a library built with its fault points can run it.
if ENABLE_FAULT_INJECTION
check_PROGRAMS += tests/test-faults
TESTS += tests/test-faults
endif
tests_test_faults_SOURCES = tests/test-faults.c tests/testutil.h
tests_test_faults_CFLAGS = $(TEST_CFLAGS)
tests_test_faults_LDADD = $(TEST_LIBS)

# Backends to stress: each one the library does not run is skipped (exit 77).
STRESS_BACKENDS = threads auto uring
SOAK_SECONDS = 600

soak: tests/stress$(EXEEXT)
	@status=0; for b in $(STRESS_BACKENDS); do \
	  echo "soak: AIO_POSIX_BACKEND=$$b, $(SOAK_SECONDS) s"; \
	  tests/stress -b $$b -s $(SOAK_SECONDS) -t 8 -v; rc=$$?; \
	  case $$rc in 0) ;; 77) echo "soak: backend $$b not available";; *) status=1;; esac; \
	done; exit $$status

# The fuzzer: clang, libFuzzer, ASan and UBSan, with the library's sources
# (and its fault points) compiled in, without symbol versions (a program
# has no version script).  Not part of 'make check'.
# NULL is passed where <aio.h> says nonnull on purpose: UBSan may not object.
FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-sanitize=nonnull-attribute -Wno-nonnull \
	-Wno-pointer-bool-conversion
FUZZ_OPTIONS =
EXTRA_DIST += tests/fuzz/fuzz-aiocb.c tests/fuzz/seeds
CLEANFILES += tests/fuzz/fuzz-aiocb$(EXEEXT)

tests/fuzz/fuzz-aiocb$(EXEEXT): tests/fuzz/fuzz-aiocb.c $(lib_libaio_posix_la_SOURCES) config.h
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)sources=; for f in $(lib_libaio_posix_la_SOURCES); do \
	  case $$f in *.c) sources="$$sources $(srcdir)/$$f";; esac; done; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -std=gnu11 -pthread -DHAVE_CONFIG_H \
	  -DAIO_POSIX_FAULT_INJECTION=1 -DAIO_POSIX_UNVERSIONED=1 \
	  -I. -I$(srcdir)/include -I$(srcdir)/lib $(LIBURING_CFLAGS) \
	  -o $@ $(srcdir)/tests/fuzz/fuzz-aiocb.c $$sources $(URING_STATIC_LIBS)

# The corpus grows in the build tree; the seeds come from the source tree.
# Crashes are written to tests/fuzz/ as crash-*, leak-* or timeout-*.
fuzz: tests/fuzz/fuzz-aiocb$(EXEEXT)
	@$(MKDIR_P) tests/fuzz/corpus
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1} \
	tests/fuzz/fuzz-aiocb$(EXEEXT) -max_total_time=$(FUZZ_SECONDS) -timeout=60 \
	  -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=tests/fuzz/ $(FUZZ_OPTIONS) \
	  tests/fuzz/corpus $(srcdir)/tests/fuzz/seeds
