#!/bin/sh
# check-clients.sh: run real programs that use POSIX aio on libaio-posix,
# through the build tree's aio-posix wrapper; 'make check-clients' runs it.
#
#   1. fio, ioengine=posixaio, buffered random writes with an fsync every
#      32 writes, verified with crc32c, two jobs;
#   2. fio, ioengine=posixaio, O_DIRECT sequential writes verified with md5,
#      two jobs;
#   3. stress-ng --aio 2 --aio-requests 64 --verify for 5 seconds.
#
# Each must succeed, and the statistics lines of the wrapper's -s option
# (one per process that used the library, _exit included) must show that
# libaio-posix served requests: reads + writes > 0, and none failed.  A
# program that silently fell back to glibc's aio prints no such line.
#
# fio and stress-ng are installed with apt-get when missing and running as
# root; otherwise the script prints the command to run and fails.
#
# Environment: AIO_POSIX_WRAPPER (the wrapper to use) and CLIENTS_DIR (a
# scratch directory on a real disk: O_DIRECT needs a file system that
# supports it, which tmpfs may not).
set -u
wrapper=${AIO_POSIX_WRAPPER:-tools/aio-posix}
dir=${CLIENTS_DIR:-clients.tmp}
packages="fio stress-ng"
passed=0
failed=0

say() { echo "check-clients: $*"; }

missing=
for tool in fio stress-ng; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	say "missing:$missing"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing: $packages"
		apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages || {
			say "FAIL: apt-get could not install $packages"
			exit 1
		}
	else
		say "install them, then run make check-clients again.  On Debian or Ubuntu:"
		say "  sudo apt-get update && sudo apt-get install -y $packages"
		exit 1
	fi
fi

if [ ! -x "$wrapper" ]; then
	say "FAIL: no wrapper at $wrapper (run make first)"
	exit 1
fi
rm -rf "$dir"
mkdir -p "$dir" || exit 1
case $(stat -f -c %T "$dir" 2>/dev/null) in
tmpfs) say "note: $dir is on tmpfs; the O_DIRECT run may fail there" ;;
esac

# served FILE: print the sum of reads + writes over the statistics lines
# in FILE, the number of lines, and the sum of failed.
served() {
	sed -n 's/^aio-posix\[[0-9]*\]: backend=[a-z]* reads=\([0-9]*\) writes=\([0-9]*\) .* failed=\([0-9]*\).*/\1 \2 \3/p' "$1" |
	awk '{ io += $1 + $2; bad += $3; n++ } END { print io + 0, n + 0, bad + 0 }'
}

# run NAME COMMAND...: run COMMAND through the wrapper with -s, and check
# its status and statistics.
run() {
	name=$1
	shift
	out=$dir/$name.out
	err=$dir/$name.err
	say "$name: $wrapper -s $*"
	(cd "$dir" && "$wrapper" -s "$@") > "$out" 2> "$err"
	status=$?
	set -- $(served "$err")
	io=$1 lines=$2 bad=$3
	grep '^aio-posix\[' "$err" | sed 's/^/    /'
	if [ "$status" -ne 0 ]; then
		say "FAIL: $name: exit status $status"
		tail -n 30 "$out" "$err"
		failed=$((failed + 1))
		return 1
	fi
	if [ "$io" -eq 0 ]; then
		say "FAIL: $name: no statistics line shows libaio-posix serving a read or a write"
		tail -n 30 "$err"
		failed=$((failed + 1))
		return 1
	fi
	if [ "$bad" -ne 0 ]; then
		say "FAIL: $name: $bad requests failed"
		failed=$((failed + 1))
		return 1
	fi
	say "ok: $name: libaio-posix served $io reads and writes in $lines processes"
	passed=$((passed + 1))
	return 0
}

# fio's terse output: field 5 of each job line is the job's error (0: none).
fio_errors() {
	awk -F';' '/^3;/ && $5 != 0 { bad++ } END { print bad + 0 }' "$1"
}

common="--ioengine=posixaio --numjobs=2 --group_reporting=0 --minimal"
common="$common --verify_fatal=1 --do_verify=1 --unlink=1"

if run fio-buffered fio --name=buffered $common --rw=randwrite --bs=4k \
	--size=32m --iodepth=16 --fsync=32 --verify=crc32c; then
	if [ "$(fio_errors "$dir/fio-buffered.out")" -ne 0 ]; then
		say "FAIL: fio-buffered: a job reported an error"
		failed=$((failed + 1)) passed=$((passed - 1))
	fi
fi

if run fio-direct fio --name=direct $common --rw=write --bs=64k \
	--size=64m --iodepth=8 --direct=1 --verify=md5; then
	if [ "$(fio_errors "$dir/fio-direct.out")" -ne 0 ]; then
		say "FAIL: fio-direct: a job reported an error"
		failed=$((failed + 1)) passed=$((passed - 1))
	fi
fi

if run stress-ng stress-ng --aio 2 --aio-requests 64 --verify -t 5; then
	if ! grep -q 'successful run completed' "$dir/stress-ng.out" "$dir/stress-ng.err"; then
		say "FAIL: stress-ng did not report a successful run"
		failed=$((failed + 1)) passed=$((passed - 1))
	fi
fi

[ "$failed" -eq 0 ] && rm -rf "$dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
