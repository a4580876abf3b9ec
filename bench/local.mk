# Benchmarks (included by the top Makefile.am; paths are relative to the top).
#
# 'make bench' builds bench/aio-bench and runs bench/run-bench.sh, which
# prints a table of ratios (libaio-posix vs glibc vs pread vs raw io_uring,
# and fio when it is installed).  Nothing here is built by 'make', 'make
# check' or 'make distcheck': aio-bench is an EXTRA_PROGRAM, built on demand.
#
# aio-bench is compiled against the system <aio.h> only and never linked
# with libaio-posix: the driver runs the same binary with and without
# LD_PRELOAD of the library.  Hence its own CPPFLAGS, without the project's
# include directories.  liburing, when configure found it, adds the raw
# io_uring baselines.

EXTRA_PROGRAMS = bench/aio-bench
bench_aio_bench_SOURCES = bench/aio-bench.c
bench_aio_bench_CPPFLAGS =
bench_aio_bench_LDADD =
if HAVE_LIBURING
bench_aio_bench_CPPFLAGS += -DAIO_BENCH_URING=1 $(LIBURING_CFLAGS)
bench_aio_bench_LDADD += $(LIBURING_LIBS)
endif

EXTRA_DIST += bench/run-bench.sh bench/README.md

# The data files live beside the binary (the build tree, on disk);
# run-bench.sh falls back to /var/tmp when that is tmpfs.
CLEANFILES += bench/aio-bench$(EXEEXT) bench/cached.dat bench/disk.dat \
	bench/big.dat bench/scratch.dat \
	bench/bench-raw.log bench/bench-table.md

BENCH_LIBRARY = $(abs_top_builddir)/lib/.libs/libaio-posix.so.0

# Knobs, all optional: BENCH_RUNS (runs per variant, at least 5),
# BENCH_SECONDS (timed window of one measurement), BENCH_SCENARIOS
# (e.g. "1 3"), BENCH_SUBMIT_SECONDS, BENCH_FIO_RUNTIME, FIO.  See
# bench/README.md.
.PHONY: bench
bench: bench/aio-bench$(EXEEXT) lib/libaio-posix.la
	@AIO_BENCH='$(abs_top_builddir)/bench/aio-bench$(EXEEXT)' \
	AIO_BENCH_LIBRARY='$(BENCH_LIBRARY)' \
	AIO_BENCH_DIR='$(abs_top_builddir)/bench' \
	AIO_BENCH_SANITIZER='$(SANITIZER_CFLAGS)' \
	bash '$(abs_top_srcdir)/bench/run-bench.sh'

# The latest table, kept with the guides (Makefile.am lists those by name).
EXTRA_DIST += doc/benchmarks.md
