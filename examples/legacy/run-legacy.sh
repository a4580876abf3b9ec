#!/bin/sh
# run-legacy.sh: run the legacy programs of examples/legacy and the epoll
# example, as 'make check' does, from the top of the build tree.
#
# Each program is written as on its system (FreeBSD, Solaris) with one
# include changed, and linked with libaio-posix.  Each reads the same input,
# made here; its standard output must be exactly examples/legacy/NAME.expected
# (the figures in those files were computed apart, from the input itself),
# and the copier's copy must equal the input.
set -u
srcdir=${srcdir:-.}
dir=examples/legacy
input=$dir/legacy-input.txt
copy=$dir/legacy-copy.txt
out=$dir/legacy.out
passed=0
failed=0

seq 1 100000 > "$input" || exit 1

check() { # check NAME COMMAND...
	name=$1
	shift
	# A cross build runs the programs under its emulator (qemu-user).
	${AIO_POSIX_TEST_EMULATOR:-} "$@" > "$out" 2>&1
	status=$?
	if [ "$status" -ne 0 ] || ! cmp -s "$srcdir/$dir/$name.expected" "$out"; then
		echo "FAIL: $name (exit status $status)"
		diff "$srcdir/$dir/$name.expected" "$out"
		failed=$((failed + 1))
		return 1
	fi
	echo "ok: $name"
	passed=$((passed + 1))
}

check freebsd-aiosum $dir/freebsd-aiosum "$input"
check solaris-waitn-server $dir/solaris-waitn-server "$input"
if check solaris-aiocopy $dir/solaris-aiocopy "$input" "$copy" && ! cmp -s "$input" "$copy"; then
	echo "FAIL: solaris-aiocopy: the copy differs from the input"
	passed=$((passed - 1))
	failed=$((failed + 1))
fi
check epoll-queue examples/epoll-queue "$input"

rm -f "$input" "$copy" "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
