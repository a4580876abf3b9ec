#!/bin/sh
# stress-run.sh: the short run of tests/stress that 'make check' makes, once
# per backend, and once more with a small AIO_POSIX_MAX_REQUESTS so that
# submissions get refused with EAGAIN along the way.  A backend the library
# does not run is skipped (tests/stress exits 77).
#   STRESS_SECONDS   seconds per run (default 3)
#   STRESS_BACKENDS  backends to try (default: threads auto uring)
set -u
builddir=${AIO_POSIX_TEST_BUILDDIR:-.}
stress="$builddir/tests/stress"
seconds=${STRESS_SECONDS:-3}
status=0 ran=0

# run [VAR=value...] -- stress options
run() {
	env "$@"
	rc=$?
	case $rc in
	0) ran=$((ran + 1)) ;;
	77) ;;
	*) echo "stress-run: tests/stress $* failed (exit status $rc)"; status=1 ;;
	esac
}

for backend in ${STRESS_BACKENDS:-threads auto uring}; do
	run "$stress" -b "$backend" -s "$seconds"
done
run AIO_POSIX_MAX_REQUESTS=12 "$stress" -b threads -s 1 -t 3

if [ "$ran" = 0 ] && [ "$status" = 0 ]; then
	echo "stress-run: no backend ran"
	exit 1
fi
exit $status
