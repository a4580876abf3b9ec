#!/bin/sh
# each-backend.sh: run one test program once per backend the library has:
# forced threads, then forced uring when io_uring works here.  The ordering
# and completion rules must hold on both, so the same tests prove both.
# Used as the LOG_COMPILER of the test programs (see tests/local.mk).
# AIO_POSIX_TEST_EMULATOR (tests/local.mk), when set, runs the program:
# qemu-user for a cross build.
status=0
emulator=${AIO_POSIX_TEST_EMULATOR:-}
# A script test runs its programs itself, under the emulator if need be.
if [ -n "$emulator" ] && [ "$(head -c 2 "$1")" = "#!" ]; then
	emulator=
fi
if [ -n "$emulator" ]; then
	echo "== under $emulator"
fi
echo "== AIO_POSIX_BACKEND=threads"
AIO_POSIX_BACKEND=threads $emulator "$@" || status=1
if [ -n "${AIO_POSIX_URING_WORKS:-}" ]; then
	echo "== AIO_POSIX_BACKEND=uring"
	AIO_POSIX_BACKEND=uring $emulator "$@" || status=1
else
	echo "== io_uring is not usable here, so the uring run is skipped and the"
	echo "== thread pool served the run above: ${AIO_POSIX_URING_WHY:-reason unknown}"
fi
exit $status
