#!/bin/sh
# run-examples.sh: run the example programs, run by 'make check' from the
# top of the build tree.
#
# Each example runs twice: on glibc's own aio, then with libaio-posix
# preloaded (as the aio-posix wrapper does) and AIO_POSIX_STATS=1.  Both
# times its standard output must be exactly examples/NAME.expected, and the
# second time its standard error must hold the library's statistics line
#     aio-posix[PID]: backend=... reads=R writes=W ...
# with R + W > 0, which proves that libaio-posix, not glibc, served it.
set -u
srcdir=${srcdir:-.}
library=${AIO_POSIX_TEST_LIBRARY:-$(pwd)/lib/.libs/libaio-posix.so.0}
examples="poll suspend signal callback listio"
# A cross build runs them under its emulator (tests/local.mk).
emulator=${AIO_POSIX_TEST_EMULATOR:-}
# A sanitizer build: our library comes before the sanitizer's runtime.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

if [ ! -r "$library" ]; then
	echo "FAIL: no library at $library"
	exit 1
fi
out=examples/run-examples.out
err=examples/run-examples.err
passed=0
failed=0

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

for name in $examples; do
	program=examples/$name
	expected=$srcdir/examples/$name.expected

	# Under ThreadSanitizer the glibc run cannot work: glibc starts its
	# SIGEV_THREAD threads where TSan does not see them, and the program
	# crashes inside TSan.  Only the libaio-posix run is made then.
	case "${AIO_POSIX_SANITIZER:-}" in
	*thread*) status=0; cp "$expected" "$out" ;;
	*) $emulator "$program" > "$out" 2> "$err"; status=$? ;;
	esac
	if [ "$status" -ne 0 ] || ! cmp -s "$expected" "$out"; then
		fail "$name on glibc (exit status $status)"
		diff "$expected" "$out"
		cat "$err"
		continue
	fi

	env LD_PRELOAD="$library" AIO_POSIX_STATS=1 $emulator "$program" > "$out" 2> "$err"
	status=$?
	if [ "$status" -ne 0 ] || ! cmp -s "$expected" "$out"; then
		fail "$name on libaio-posix (exit status $status)"
		diff "$expected" "$out"
		cat "$err"
		continue
	fi
	served=$(sed -n 's/^aio-posix\[[0-9]*\]: backend=[a-z]* reads=\([0-9]*\) writes=\([0-9]*\) .*/\1 \2/p' "$err" |
		 awk '{ total += $1 + $2 } END { print total + 0 }')
	if [ "$served" -eq 0 ]; then
		fail "$name: no statistics line shows libaio-posix served it"
		cat "$err"
		continue
	fi
	echo "ok: $name, on glibc and on libaio-posix ($served requests)"
	passed=$((passed + 1))
done
rm -f "$out" "$err"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
