# Examples (included by the top Makefile.am; paths are relative to the top).
#
# examples/aiocp copies a file with POSIX aio.  It is built against the system
# <aio.h> and linked with libc only, never with libaio-posix: it stands for any
# existing program.  'make demo' runs it twice, on glibc's own aio and then
# with libaio-posix preloaded, and checks both copies.

noinst_PROGRAMS += examples/aiocp
examples_aiocp_SOURCES = examples/aiocp.c
# Built for the ABI the tests are (TEST_ABI_CPPFLAGS, see tests/local.mk).
EXAMPLE_CFLAGS = $(AM_CFLAGS) $(TEST_ABI_CPPFLAGS)
examples_aiocp_CFLAGS = $(EXAMPLE_CFLAGS)

DEMO_LIBRARY = $(abs_top_builddir)/lib/.libs/libaio-posix.so.0
DEMO_INPUT = examples/demo-input.bin
DEMO_MIB = 8
CLEANFILES += $(DEMO_INPUT) examples/demo-glibc.bin examples/demo-aio-posix.bin \
	examples/demo-aio-posix.txt examples/demo-aio-posix.err
# Why the thread pool would serve the demo.
if HAVE_LIBURING
DEMO_NO_URING = the kernel (or a seccomp policy, or an emulator) refuses io_uring here
else
DEMO_NO_URING = this build has no io_uring backend (see the warning at the end of configure)
endif

.PHONY: demo
demo: examples/aiocp$(EXEEXT) lib/libaio-posix.la
	@echo "demo: $(DEMO_INPUT): $(DEMO_MIB) MiB of random bytes to copy"
	@head -c $(DEMO_MIB)M /dev/urandom > $(DEMO_INPUT)
	@echo; echo "demo: 1. with glibc's own POSIX aio"
	$(TEST_EMULATOR) examples/aiocp$(EXEEXT) $(DEMO_INPUT) examples/demo-glibc.bin
	cmp $(DEMO_INPUT) examples/demo-glibc.bin
	@echo; echo "demo: 2. the same binary, with libaio-posix preloaded"
	@echo "LD_PRELOAD=$(DEMO_LIBRARY) examples/aiocp $(DEMO_INPUT) examples/demo-aio-posix.bin"
	@LD_PRELOAD=$(DEMO_LIBRARY) AIO_POSIX_STATS=1 $(TEST_EMULATOR) examples/aiocp$(EXEEXT) \
	  $(DEMO_INPUT) examples/demo-aio-posix.bin \
	  > examples/demo-aio-posix.txt 2> examples/demo-aio-posix.err; status=$$?; \
	  cat examples/demo-aio-posix.txt; grep -v '^aio-posix\[' examples/demo-aio-posix.err >&2; \
	  exit $$status
	cmp $(DEMO_INPUT) examples/demo-aio-posix.bin
	@# The dynamic linker ignores a library it cannot preload: make sure it did not.
	@grep -q '(libaio-posix ' examples/demo-aio-posix.txt \
	  || { echo "demo: FAIL: aiocp did not run on libaio-posix"; exit 1; }
	@# Which backend served it: the statistics line of AIO_POSIX_STATS=1.
	@backend=`sed -n 's/^aio-posix\[[0-9]*\]: backend=\([a-z]*\) .*/\1/p' examples/demo-aio-posix.err`; \
	echo; case $$backend in \
	uring) echo "demo: libaio-posix served it with its io_uring backend";; \
	threads) why="$(DEMO_NO_URING)"; \
	  [ "$${AIO_POSIX_BACKEND:-}" != threads ] || why="AIO_POSIX_BACKEND=threads asks for it"; \
	  echo "demo: libaio-posix served it with its thread pool: $$why";; \
	*) echo "demo: FAIL: no statistics line from libaio-posix"; exit 1;; \
	esac
	@echo "demo: OK: both copies are identical to $(DEMO_INPUT)"

# Small programs, one for each way to learn that a request has finished:
# polling aio_error (poll), aio_suspend (suspend), a signal (signal), a
# thread callback (callback), and lio_listio in both modes (listio).  Like
# aiocp they know only the system <aio.h> and libc.  'make check' runs each
# on glibc and on libaio-posix and compares its output with NAME.expected
# (examples/run-examples.sh).
AIO_POSIX_EXAMPLES = examples/poll examples/suspend examples/signal \
	examples/callback examples/listio
noinst_PROGRAMS += $(AIO_POSIX_EXAMPLES)
examples_poll_SOURCES = examples/poll.c
examples_suspend_SOURCES = examples/suspend.c
examples_signal_SOURCES = examples/signal.c
examples_callback_SOURCES = examples/callback.c
examples_listio_SOURCES = examples/listio.c
examples_poll_CFLAGS = $(EXAMPLE_CFLAGS)
examples_suspend_CFLAGS = $(EXAMPLE_CFLAGS)
examples_signal_CFLAGS = $(EXAMPLE_CFLAGS)
examples_callback_CFLAGS = $(EXAMPLE_CFLAGS)
examples_listio_CFLAGS = $(EXAMPLE_CFLAGS)
TESTS += examples/run-examples.sh
EXTRA_DIST += examples/run-examples.sh examples/poll.expected \
	examples/suspend.expected examples/signal.expected \
	examples/callback.expected examples/listio.expected

# Legacy programs, and the epoll example: programs written as on FreeBSD
# (aio_waitcomplete and aio_readv) and Solaris (an aio_waitn server, an
# aioread/aiowait copier) with only their include changed, and an epoll
# loop on a completion queue.  They use the extensions, so they link
# libaio-posix.  'make check' runs them (examples/legacy/run-legacy.sh) on
# each backend and compares their output with examples/legacy/NAME.expected.
AIO_POSIX_LEGACY = examples/legacy/freebsd-aiosum examples/legacy/solaris-waitn-server \
	examples/legacy/solaris-aiocopy examples/epoll-queue
check_PROGRAMS += $(AIO_POSIX_LEGACY)
examples_legacy_freebsd_aiosum_SOURCES = examples/legacy/freebsd-aiosum.c
examples_legacy_freebsd_aiosum_LDADD = lib/libaio-posix.la
examples_legacy_solaris_waitn_server_SOURCES = examples/legacy/solaris-waitn-server.c
examples_legacy_solaris_waitn_server_LDADD = lib/libaio-posix.la
examples_legacy_solaris_aiocopy_SOURCES = examples/legacy/solaris-aiocopy.c
examples_legacy_solaris_aiocopy_LDADD = lib/libaio-posix.la
examples_epoll_queue_SOURCES = examples/epoll-queue.c
examples_epoll_queue_LDADD = lib/libaio-posix.la
TESTS += examples/legacy/run-legacy.sh
EXTRA_DIST += examples/legacy/run-legacy.sh examples/legacy/freebsd-aiosum.expected \
	examples/legacy/solaris-waitn-server.expected examples/legacy/solaris-aiocopy.expected \
	examples/legacy/epoll-queue.expected
