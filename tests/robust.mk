# Robustness: never lose a request, never crash, never hang.  Included from
# tests/local.mk (inside "if HAVE_CHECK").
#
#   tests/stress          random load with verified data, notifications,
#                         cancellation, fork and signal storms; 'make check'
#                         runs it briefly on each backend (tests/stress-run.sh),
#                         'make soak' for SOAK_SECONDS (600) on each
#   tests/test-bad-input  every invalid argument of every entry point
#   tests/test-faults     fault injection (--enable-fault-injection builds)
#   make fuzz             libFuzzer harness tests/fuzz/fuzz-aiocb.c, built
#                         with clang from the library sources; FUZZ_SECONDS (60)

check_PROGRAMS += tests/stress tests/test-bad-input
TESTS += tests/stress-run.sh tests/test-bad-input
EXTRA_DIST += tests/stress-run.sh

tests_stress_SOURCES = tests/stress.c
tests_stress_CFLAGS = $(AM_CFLAGS)
tests_stress_LDADD = lib/libaio-posix.la

tests_test_bad_input_SOURCES = tests/test-bad-input.c tests/testutil.h
tests_test_bad_input_CFLAGS = $(TEST_CFLAGS)
tests_test_bad_input_LDADD = $(TEST_LIBS)

# Backends to stress: each one the library does not run is skipped (exit 77).
STRESS_BACKENDS = threads auto uring
SOAK_SECONDS = 600

soak: tests/stress$(EXEEXT)
	@status=0; for b in $(STRESS_BACKENDS); do \
	  echo "soak: AIO_POSIX_BACKEND=$$b, $(SOAK_SECONDS) s"; \
	  tests/stress -b $$b -s $(SOAK_SECONDS) -t 8 -v; rc=$$?; \
	  case $$rc in 0) ;; 77) echo "soak: backend $$b not available";; *) status=1;; esac; \
	done; exit $$status
