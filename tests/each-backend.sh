#!/bin/sh
# each-backend.sh: run one test program once per backend the library has:
# forced threads, then forced uring when io_uring works here.  The ordering
# and completion rules must hold on both, so the same tests prove both.
# Used as the LOG_COMPILER of the test programs (see tests/local.mk).
status=0
echo "== AIO_POSIX_BACKEND=threads"
AIO_POSIX_BACKEND=threads "$@" || status=1
if [ -n "${AIO_POSIX_URING_WORKS:-}" ]; then
	echo "== AIO_POSIX_BACKEND=uring"
	AIO_POSIX_BACKEND=uring "$@" || status=1
else
	echo "== io_uring is not usable here: the uring run is skipped"
fi
exit $status
