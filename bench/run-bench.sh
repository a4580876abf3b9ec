#!/usr/bin/env bash
# run-bench.sh: the driver of 'make bench'.  See bench/README.md.
#
# Runs bench/aio-bench (and fio, when installed) in every variant of every
# scenario, alternating the variants run by run (A B C A B C ..., never
# A A A B B B), so that the machine's noise spreads over all of them.  Each
# variant runs BENCH_RUNS times.  A ratio is computed within each run, from
# measurements taken back to back, and the table gives the median of those
# per-run ratios with their min and max.  Absolute figures (medians) only
# appear in the detail column.
#
# The aio variants are the same binary twice: as is (glibc's POSIX aio) and
# with LD_PRELOAD of libaio-posix.  Every measurement line says which library
# served it, and a line from the wrong one counts as a failure.
#
# Environment (make bench sets the first four):
#   AIO_BENCH            the aio-bench binary
#   AIO_BENCH_LIBRARY    libaio-posix.so.0 to preload
#   AIO_BENCH_DIR        where the data files and logs go (default: .)
#   AIO_BENCH_SANITIZER  non-empty: a sanitizer build, refuse to measure it
#   BENCH_RUNS           runs per variant (default 5)
#   BENCH_SECONDS        timed window of one aio-bench measurement (0.4)
#   BENCH_WARMUP         untimed lead-in of each measurement (0.1)
#   BENCH_SUBMIT_SECONDS timed window of one submit measurement (scenario 7;
#                        default 0.2, or BENCH_SECONDS when that is shorter)
#   BENCH_SCENARIOS      which scenarios to run (default "1 2 3 4 5 6 7 8")
#   BENCH_FIO_RUNTIME    fio --runtime, seconds (default 1)
#   BENCH_DISK_MIB       size of the O_DIRECT / fio file (default 256)
#   FIO                  the fio command (default fio)
#   AIO_POSIX_BACKEND    passed on to libaio-posix like any variable (threads,
#                        uring, auto); the table header names the backend used
set -u -o pipefail
export LC_ALL=C

BIN=${AIO_BENCH:?set AIO_BENCH to the aio-bench binary}
LIB=${AIO_BENCH_LIBRARY:?set AIO_BENCH_LIBRARY to libaio-posix.so.0}
DIR=${AIO_BENCH_DIR:-.}
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-0.4}
WARM=${BENCH_WARMUP:-0.1}
SUBMIT_SECS=${BENCH_SUBMIT_SECONDS:-$(awk -v s="$SECS" 'BEGIN { print (s < 0.2 ? s : 0.2) }')}
SCENARIOS=${BENCH_SCENARIOS:-1 2 3 4 5 6 7 8}
FIO=${FIO:-fio}
FIO_RUNTIME=${BENCH_FIO_RUNTIME:-1}
DISK_MIB=${BENCH_DISK_MIB:-256}
CACHED_MIB=16
BIG_MIB=128	# scenario 7 reads up to 64 MiB at a time
SCRATCH_MIB=16	# scenario 7 writes and syncs here

RAW=$DIR/bench-raw.log
TABLE=$DIR/bench-table.md
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

die() { echo "run-bench: $*" >&2; exit 1; }
note() { echo "run-bench: $*" >&2; }

[[ -z ${AIO_BENCH_SANITIZER:-} ]] ||
	die "this build uses a sanitizer ($AIO_BENCH_SANITIZER); benchmark a plain build (configure without --enable-sanitizer)"
[[ -x $BIN ]] || die "$BIN: not built (run 'make bench')"
[[ -f $LIB ]] || die "$LIB: not found (build the library first)"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "BENCH_RUNS=$RUNS: not a positive number"
((RUNS >= 5)) || note "BENCH_RUNS=$RUNS: fewer than 5 runs, the medians mean little"
mkdir -p "$DIR" || die "cannot create $DIR"
: >"$RAW" || die "cannot write $RAW"

OURS=(env LD_PRELOAD="$LIB")
GLIBC=(env -u LD_PRELOAD)
COMMON=(--seconds="$SECS" --warmup="$WARM")

# Check that the same binary runs on glibc as is and on libaio-posix when
# preloaded (the dynamic linker skips, with a mere warning, a library it
# cannot preload).
info_glibc=$("${GLIBC[@]}" "$BIN" info) || die "$BIN info failed"
info_ours=$("${OURS[@]}" "$BIN" info 2>&1) || die "$BIN info with LD_PRELOAD failed: $info_ours"
[[ $info_glibc == *" lib=glibc "* ]] || die "without LD_PRELOAD aio-bench does not run on glibc's aio: $info_glibc"
[[ $info_ours == *" lib=libaio-posix "* ]] || die "LD_PRELOAD=$LIB did not take: $info_ours"
URING=0
[[ $info_glibc == *" uring=1"* ]] && URING=1
field() { # field NAME LINE
	local w
	for w in $2; do [[ $w == "$1="* ]] && { echo "${w#*=}"; return; }; done
}
GLIBC_VERSION=$(field libversion "$info_glibc")
OURS_VERSION=$(field libversion "$info_ours")

declare -A FAILED_TAG=()

# measure TAG RUN EXPECTED COMMAND...: one measurement into $RAW.  EXPECTED
# is the library that must have served it (glibc, libaio-posix, or - for
# no check), optionally with the backend: libaio-posix:uring.
measure() {
	local tag=$1 run=$2 expect=${3%%:*} backend= out status line
	[[ $3 == *:* ]] && backend=${3#*:}
	shift 3
	out=$("$@" 2>&1)
	status=$?
	line=$(printf '%s\n' "$out" | grep '^aio-bench ' | tail -n 1)
	if ((status != 0)) || [[ -z $line || $line == *' error='* ]]; then
		[[ -n $line ]] || line=$(printf '%s\n' "$out" | tail -n 1)
		echo "tag=$tag run=$run FAILED status=$status $line" >>"$RAW"
	elif [[ $expect != - && $line != *" lib=$expect "* ]]; then
		echo "tag=$tag run=$run FAILED wrong library (wanted $expect): $line" >>"$RAW"
		line="ran on the wrong library: $line"
	elif [[ -n $backend && $line != *" backend=$backend "* ]]; then
		echo "tag=$tag run=$run FAILED wrong backend (wanted $backend): $line" >>"$RAW"
		line="ran on the wrong backend: $line"
	else
		echo "tag=$tag run=$run $line" >>"$RAW"
		return 0
	fi
	if [[ -z ${FAILED_TAG[$tag]:-} ]]; then
		FAILED_TAG[$tag]=1
		note "$tag failed (run $run): $line"
	fi
	return 1
}

progress() { printf '\r  scenario %s: run %d/%d ' "$1" "$2" "$RUNS" >&2; }
progress_done() { printf '\r  scenario %s: %d runs done in %ds\n' "$1" "$RUNS" $(($(date +%s) - $2)) >&2; }

# ---- data files ----

fs_is_memory() { # fs_is_memory PATH: statfs says tmpfs/ramfs
	local out
	out=$("$BIN" fsinfo --file="$1") || return 2
	[[ $out == *" tmpfs=1"* ]]
}

# make_file PATH MIB: create it unless it already has that size.
make_file() {
	local size
	size=$(stat -c %s "$1" 2>/dev/null || echo 0)
	((size == $2 * 1048576)) && return 0
	note "writing $2 MiB to $1"
	"$BIN" mkfile --file="$1" --size-mib="$2" >/dev/null || die "cannot create $1"
}

CACHED=$DIR/cached.dat
BIG=$DIR/big.dat
SCRATCH=$DIR/scratch.dat
DISK=
DISK_TEMP=
need_disk_file() {
	[[ -n $DISK ]] && return 0
	local d
	for d in "$DIR" /var/tmp; do
		if fs_is_memory "$d"; then
			note "$d is on tmpfs: not there for O_DIRECT"
			continue
		fi
		if [[ $d == "$DIR" ]]; then
			DISK=$DIR/disk.dat
		else
			DISK=$(mktemp /var/tmp/aio-bench-disk.XXXXXX) || continue
			DISK_TEMP=$DISK
		fi
		make_file "$DISK" "$DISK_MIB"
		return 0
	done
	return 1
}
cleanup() { [[ -n $DISK_TEMP ]] && rm -f "$DISK_TEMP"; }
trap cleanup EXIT
trap 'echo >&2; cleanup; exit 130' INT TERM

# ---- the scenarios ----

RUN_1=0 RUN_2=0 RUN_3=0 RUN_4=0 RUN_5=0 RUN_6=0 RUN_7=0 RUN_8=0 SKIP_4= SKIP_5= SKIP_8D=

scenario_1() {
	local r t=$(date +%s)
	make_file "$CACHED" "$CACHED_MIB"
	for ((r = 1; r <= RUNS; r++)); do
		progress 1 "$r"
		measure s1.ours "$r" libaio-posix "${OURS[@]}" "$BIN" roundtrip --mode=aio --file="$CACHED" --seed="$r" "${COMMON[@]}"
		measure s1.glibc "$r" glibc "${GLIBC[@]}" "$BIN" roundtrip --mode=aio --file="$CACHED" --seed="$r" "${COMMON[@]}"
		measure s1.pread "$r" - "${GLIBC[@]}" "$BIN" roundtrip --mode=pread --file="$CACHED" --seed="$r" "${COMMON[@]}"
		((URING)) && measure s1.uring "$r" - "${GLIBC[@]}" "$BIN" roundtrip --mode=uring --file="$CACHED" --seed="$r" "${COMMON[@]}"
	done
	progress_done 1 "$t"
	RUN_1=1
}

# The two submission patterns of scenario 2 (aio-bench inflight --pattern).
PATTERNS="list oldest"

scenario_2() {
	local r f p t=$(date +%s)
	make_file "$CACHED" "$CACHED_MIB"
	for ((r = 1; r <= RUNS; r++)); do
		progress 2 "$r"
		for f in 1 8; do
			local a=(inflight --depth=64 --fds="$f" --file="$CACHED" --seed="$r" "${COMMON[@]}")
			for p in $PATTERNS; do
				measure "s2.f$f.$p.ours" "$r" libaio-posix "${OURS[@]}" "$BIN" "${a[@]}" --mode=aio --pattern="$p"
				measure "s2.f$f.$p.glibc" "$r" glibc "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=aio --pattern="$p"
			done
			((URING)) && measure "s2.f$f.uring" "$r" - "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=uring
		done
	done
	progress_done 2 "$t"
	RUN_2=1
}

scenario_3() {
	local r t=$(date +%s)
	make_file "$CACHED" "$CACHED_MIB"
	for ((r = 1; r <= RUNS; r++)); do
		progress 3 "$r"
		local a=(listio --batch=64 --file="$CACHED" --seed="$r" "${COMMON[@]}")
		measure s3.ours "$r" libaio-posix "${OURS[@]}" "$BIN" "${a[@]}" --mode=aio
		measure s3.glibc "$r" glibc "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=aio
		((URING)) && measure s3.uring "$r" - "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=uring
	done
	progress_done 3 "$t"
	RUN_3=1
}

scenario_4() {
	local r d t=$(date +%s)
	if ! need_disk_file; then
		SKIP_4="no directory off tmpfs for the O_DIRECT file (tried $DIR and /var/tmp)"
		note "scenario 4 skipped: $SKIP_4"
		return
	fi
	for ((r = 1; r <= RUNS; r++)); do
		progress 4 "$r"
		for d in 1 16 64; do
			local a=(direct --depth="$d" --file="$DISK" --seed="$r" "${COMMON[@]}")
			measure "s4.d$d.ours" "$r" libaio-posix "${OURS[@]}" "$BIN" "${a[@]}" --mode=aio
			measure "s4.d$d.glibc" "$r" glibc "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=aio
			((URING)) && measure "s4.d$d.uring" "$r" - "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=uring
			((d == 1)) && measure "s4.d$d.pread" "$r" - "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=pread
			# The thread pool alone, as where io_uring is unavailable.
			((d == 16)) && measure "s4.d$d.pool" "$r" libaio-posix "${OURS[@]}" AIO_POSIX_BACKEND=threads "$BIN" "${a[@]}" --mode=aio
		done
	done
	progress_done 4 "$t"
	RUN_4=1
}

# fio's JSON report, reduced to one aio-bench-like line.
fio_parse() { # fio_parse JSON-FILE
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$1" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
job = json.loads(text[text.index('{'):])["jobs"][0]
if job.get("error"):
    sys.exit(1)
print("iops=%.1f ops_per_s=%.1f fio_usr_cpu=%.2f fio_sys_cpu=%.2f"
      % (job["read"]["iops"], job["read"]["iops"], job["usr_cpu"], job["sys_cpu"]))
EOF
	else
		sed -n '/{/,$p' "$1" | jq -r '.jobs[0] | if .error != 0 then error("fio error") else
			"iops=\(.read.iops) ops_per_s=\(.read.iops) fio_usr_cpu=\(.usr_cpu) fio_sys_cpu=\(.sys_cpu)" end'
	fi
}

# fio_measure TAG RUN LIB ENGINE DIRECT DEPTH ENV...
fio_measure() {
	local tag=$1 run=$2 lib=$3 engine=$4 direct=$5 depth=$6 json out status
	shift 6
	json=$(mktemp "${TMPDIR:-/tmp}/aio-bench-fio.XXXXXX") || return 1
	out=$("$@" "$FIO" --name=aio-bench --filename="$DISK" --size="${DISK_MIB}M" \
		--rw=randread --bs=4k --ioengine="$engine" --iodepth="$depth" --direct="$direct" \
		--invalidate=0 --norandommap --randrepeat=0 --randseed="$run" \
		--runtime="$FIO_RUNTIME" --time_based --ramp_time=100ms \
		--output-format=json --output="$json" 2>&1)
	status=$?
	local fields=
	((status == 0)) && fields=$(fio_parse "$json" 2>/dev/null)
	rm -f "$json"
	if [[ -z $fields ]]; then
		fields="error=\"fio exited with $status: $(printf '%s' "$out" | tail -n 1)\""
	fi
	# measure() does the bookkeeping; lib is what we know we preloaded.
	measure "$tag" "$run" - echo "aio-bench fio mode=$engine lib=$lib depth=$depth direct=$direct $fields"
}

FIO_VERSION=
scenario_5() {
	local r x d t=$(date +%s)
	if ! command -v "$FIO" >/dev/null 2>&1; then
		SKIP_5="fio is not installed; install it with: apt-get install fio"
		echo "run-bench: scenario 5 (fio) skipped: $SKIP_5" >&2
		return
	fi
	if ! command -v python3 >/dev/null 2>&1 && ! command -v jq >/dev/null 2>&1; then
		SKIP_5="neither python3 nor jq to read fio's JSON"
		note "scenario 5 (fio) skipped: $SKIP_5"
		return
	fi
	if ! need_disk_file; then
		SKIP_5="no directory off tmpfs for fio's file (tried $DIR and /var/tmp)"
		note "scenario 5 (fio) skipped: $SKIP_5"
		return
	fi
	FIO_VERSION=$("$FIO" --version 2>/dev/null)
	# fio's posixaio engine must bind aio_read to the preloaded library.
	# (No grep -q straight on the pipe: with pipefail, fio's SIGPIPE would
	# count as a failure.)
	local bindings
	bindings=$(LD_BIND_NOW=1 LD_DEBUG=bindings "${OURS[@]}" "$FIO" --version 2>&1)
	if ! grep -Eq "libaio-posix\.so\.0 .*symbol \`aio_read(64)?'" <<<"$bindings"; then
		note "warning: could not confirm that fio's aio_read binds to $LIB (LD_DEBUG=bindings)"
	fi
	# Buffered runs read from the page cache: fill it, and --invalidate=0
	# keeps fio from dropping it.  O_DIRECT reads do not evict it.
	"$BIN" warm --file="$DISK" >/dev/null || die "cannot read $DISK"
	for ((r = 1; r <= RUNS; r++)); do
		progress 5 "$r"
		for x in 0 1; do
			for d in 1 16 64; do
				local tag=s5.x$x.d$d
				fio_measure "$tag.ours" "$r" libaio-posix posixaio "$x" "$d" "${OURS[@]}"
				fio_measure "$tag.glibc" "$r" glibc posixaio "$x" "$d" "${GLIBC[@]}"
				fio_measure "$tag.uring" "$r" - io_uring "$x" "$d" "${GLIBC[@]}"
			done
		done
	done
	progress_done 5 "$t"
	RUN_5=1
}

THREAD_COUNTS="1 2 4"

scenario_6() {
	local r n t=$(date +%s)
	make_file "$CACHED" "$CACHED_MIB"
	for ((r = 1; r <= RUNS; r++)); do
		progress 6 "$r"
		for n in $THREAD_COUNTS; do
			local a=(threads --threads="$n" --depth=64 --file="$CACHED" --seed="$r" "${COMMON[@]}")
			measure "s6.t$n.ours" "$r" libaio-posix "${OURS[@]}" "$BIN" "${a[@]}" --mode=aio
			measure "s6.t$n.glibc" "$r" glibc "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=aio
			((URING)) && measure "s6.t$n.uring" "$r" - "${GLIBC[@]}" "$BIN" "${a[@]}" --mode=uring
		done
	done
	progress_done 6 "$t"
	RUN_6=1
}

# Scenario 7's calls, CALL:BYTES each: reads of every size, then the other
# submission calls at the sizes where they matter.
SUBMIT_CASES="read:4096 read:65536 read:1048576 read:16777216 read:67108864
	write:4096 write:1048576 listio:4096 listio:67108864 fsync:4096"
# The variants: libaio-posix on each backend, and glibc.
SUBMIT_VARIANTS="ours_uring ours_threads glibc"

scenario_7() {
	local r c call size file min v t=$(date +%s)
	make_file "$BIG" "$BIG_MIB"
	make_file "$SCRATCH" "$SCRATCH_MIB"
	for ((r = 1; r <= RUNS; r++)); do
		progress 7 "$r"
		for c in $SUBMIT_CASES; do
			call=${c%%:*} size=${c#*:}
			[[ $call == read || $call == listio ]] && file=$BIG || file=$SCRATCH
			# Enough calls for a p99 even where each takes milliseconds.
			((size >= 16777216)) && min=100 || min=300
			local a=(submit --mode=aio --call="$call" --size="$size" --min-calls="$min" --file="$file"
				--seed="$r" --seconds="$SUBMIT_SECS" --warmup="$WARM")
			for v in $SUBMIT_VARIANTS; do
				case $v in
				ours_uring) ((URING)) && measure "s7.$call.$size.$v" "$r" libaio-posix:uring "${OURS[@]}" AIO_POSIX_BACKEND=uring "$BIN" "${a[@]}" ;;
				ours_threads) measure "s7.$call.$size.$v" "$r" libaio-posix:threads "${OURS[@]}" AIO_POSIX_BACKEND=threads "$BIN" "${a[@]}" ;;
				glibc) measure "s7.$call.$size.$v" "$r" glibc "${GLIBC[@]}" "$BIN" "${a[@]}" ;;
				esac
			done
		done
	done
	progress_done 7 "$t"
	RUN_7=1
}

# Completion queue against aio_suspend-then-scan, both on libaio-posix, at
# depth 64: cached (both backends) and, where a disk is, O_DIRECT.
scenario_8() {
	local r t=$(date +%s) disk=1
	make_file "$CACHED" "$CACHED_MIB"
	if ! need_disk_file; then
		SKIP_8D="no directory off tmpfs for the O_DIRECT file (tried $DIR and /var/tmp)"
		disk=0
	fi
	for ((r = 1; r <= RUNS; r++)); do
		progress 8 "$r"
		local c=(inflight --depth=64 --fds=1 --file="$CACHED" --seed="$r" "${COMMON[@]}")
		measure s8.c.scan "$r" libaio-posix "${OURS[@]}" "$BIN" "${c[@]}" --mode=aio
		measure s8.c.queue "$r" libaio-posix "${OURS[@]}" "$BIN" "${c[@]}" --mode=queue
		measure s8.p.scan "$r" libaio-posix "${OURS[@]}" AIO_POSIX_BACKEND=threads "$BIN" "${c[@]}" --mode=aio
		measure s8.p.queue "$r" libaio-posix "${OURS[@]}" AIO_POSIX_BACKEND=threads "$BIN" "${c[@]}" --mode=queue
		if ((disk)); then
			local d=(direct --depth=64 --file="$DISK" --seed="$r" "${COMMON[@]}")
			measure s8.d.scan "$r" libaio-posix "${OURS[@]}" "$BIN" "${d[@]}" --mode=aio
			measure s8.d.queue "$r" libaio-posix "${OURS[@]}" "$BIN" "${d[@]}" --mode=queue
		fi
	done
	progress_done 8 "$t"
	RUN_8=1
}

echo "run-bench: $RUNS runs per variant, alternated; ${SECS}s per measurement (+${WARM}s warm-up); raw lines in $RAW" >&2
for s in $SCENARIOS; do
	case $s in
	[1-8]) "scenario_$s" ;;
	*) die "BENCH_SCENARIOS: unknown scenario '$s' (1 to 8)" ;;
	esac
done

# ---- the table ----

# stats NUM-TAG DEN-TAG FIELD: "median min max num-median den-median pairs",
# the ratio NUM/DEN taken within each run.  With DEN-TAG -, the figures of
# NUM-TAG itself: "median min max median median runs".
stats() {
	awk -v num="tag=$1" -v den="tag=$2" -v field="$3" '
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	($1 == num || $1 == den) && $3 != "FAILED" {
		run = substr($2, 5); v = ""
		for (i = 3; i <= NF; i++) if (index($i, field "=") == 1) v = substr($i, length(field) + 2)
		if (v == "") next
		if ($1 == num) N[run] = v; else D[run] = v
	}
	END {
		k = 0
		# "+ 0": substr gives strings, which awk would sort as text.
		alone = den == "tag=-"
		for (r in N) {
			if (alone) { k++; R[k] = A[k] = B[k] = N[r] + 0 }
			else if ((r in D) && D[r] + 0 > 0) { k++; R[k] = N[r] / D[r]; A[k] = N[r] + 0; B[k] = D[r] + 0 }
		}
		if (k == 0) { print "none"; exit }
		lo = hi = R[1]
		for (i = 2; i <= k; i++) { if (R[i] < lo) lo = R[i]; if (R[i] > hi) hi = R[i] }
		printf "%g %g %g %g %g %d\n", median(R, k), lo, hi, median(A, k), median(B, k), k
	}' "$RAW"
}

fmt_ratio() { awk -v x="$1" 'BEGIN { printf(x >= 10 ? "%.1f" : x >= 1 ? "%.2f" : "%.3f", x) }'; }

# fmt_value KIND VALUE: an absolute figure for the detail column.
fmt_value() {
	awk -v k="$1" -v v="$2" 'BEGIN {
		if (k == "time") printf "%.2f µs", v / 1000
		else if (k == "rate") printf "%.1f k/s", v / 1000
		else if (k == "cpu") printf "%.2f µs CPU", v
		else if (k == "us") printf(v >= 10 ? "%.1f µs" : "%.2f µs", v)
	}'
}

# fmt_count "STATS-LINE": its median as a whole number.
fmt_count() { awk -v x="${1%% *}" 'BEGIN { printf "%d", x + 0.5 }'; }

# fmt_size BYTES: 4 KiB, 1 MiB, ...
fmt_size() {
	awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%g MiB", b / 1048576; else printf "%g KiB", b / 1024 }'
}

declare -a SUMMARY_ORDER=()
declare -A SUMMARY=()
ROWS=

# row SCENARIO-LABEL SHORT-NAME RATIO-LABEL NUM-TAG DEN-TAG FIELD KIND UNIT TARGET
row() {
	local scen=$1 short=$2 label=$3 num=$4 den=$5 field=$6 kind=$7 unit=$8 target=$9
	local med=n/a range=n/a detail s
	if ((!URING)) && [[ $num == *.uring || $den == *.uring ]]; then
		detail="built without liburing"
	else
		s=$(stats "$num" "$den" "$field")
		if [[ $s == none ]]; then
			detail="no measurement (failed or skipped; see bench-raw.log)"
		else
			set -- $s
			med="$(fmt_ratio "$1")x"
			range="$(fmt_ratio "$2")–$(fmt_ratio "$3")"
			detail="$(fmt_value "$kind" "$4") vs $(fmt_value "$kind" "$5")$unit; n=$6"
			[[ -z ${SUMMARY[$short]:-} ]] && SUMMARY_ORDER+=("$short")
			SUMMARY[$short]+="${SUMMARY[$short]:+; }${label/, / } = $(fmt_ratio "$1")x (min $(fmt_ratio "$2"), max $(fmt_ratio "$3"))"
		fi
	fi
	ROWS+="| $scen | $label | $med | $range | $target | $detail |"$'\n'
}

# depth_rows SCENARIO-LABEL SHORT-NAME TAG BASE-TAG BASE-NAME OPS-NAME
#            OPS-TARGET CPU-TARGET: the rows of a scenario at depth, where
# TAG.ours and TAG.glibc ran against the baseline BASE-TAG: each against
# it in ops/s and in CPU per read, and libaio-posix against glibc.
depth_rows() {
	local scen=$1 short=$2 ours=$3.ours glibc=$3.glibc base=$4 name=$5 ops=$6
	row "$scen" "$short" "libaio-posix/$name, $ops" "$ours" "$base" ops_per_s rate "" "$7"
	row "$scen" "$short" "glibc/$name, $ops" "$glibc" "$base" ops_per_s rate "" ""
	row "$scen" "$short" "libaio-posix/glibc, $ops" "$ours" "$glibc" ops_per_s rate "" ""
	row "$scen" "$short" "libaio-posix/$name, CPU per op" "$ours" "$base" cpu_us_per_op cpu " per read" "$8"
	row "$scen" "$short" "glibc/$name, CPU per op" "$glibc" "$base" cpu_us_per_op cpu " per read" ""
}

# row_us SCENARIO-LABEL SHORT-NAME LABEL SUMMARY-LABEL TAG TARGET: scenario
# 7's absolute figure, the median over runs of each run's p99 in µs, with
# the medians of p50, max and the number of calls in the detail column.
row_us() {
	local scen=$1 short=$2 label=$3 what=$4 tag=$5 target=$6
	local med=n/a range=n/a detail s p50 max calls slept lost
	if ((!URING)) && [[ $tag == *.ours_uring ]]; then
		detail="built without liburing"
	else
		s=$(stats "$tag" - p99_us)
		if [[ $s == none ]]; then
			detail="no measurement (failed or skipped; see bench-raw.log)"
		else
			set -- $s
			med=$(fmt_value us "$1")
			range="$(fmt_value us "$2")–$(fmt_value us "$3")"
			p50=$(stats "$tag" - p50_us) max=$(stats "$tag" - max_us)
			calls=$(stats "$tag" - calls) slept=$(stats "$tag" - blocked_calls) lost=$(stats "$tag" - preempted_calls)
			detail="p50 $(fmt_value us "${p50%% *}"), max $(fmt_value us "${max%% *}"); of $(fmt_count "$calls") calls, $(fmt_count "$slept") slept, $(fmt_count "$lost") preempted; n=$6"
			[[ -z ${SUMMARY[$short]:-} ]] && SUMMARY_ORDER+=("$short")
			SUMMARY[$short]+="${SUMMARY[$short]:+; }$what = $med (min $(fmt_value us "$2"), max $(fmt_value us "$3"))"
		fi
	fi
	ROWS+="| $scen | $label | $med | $range | $target | $detail |"$'\n'
}

if ((RUN_1)); then
	S="1. round trip, 4 KiB cached"
	row "$S" "round trip" "libaio-posix/pread, time per read" s1.ours s1.pread ns_per_op time " per read" "≤ 1.3"
	row "$S" "round trip" "glibc/pread, time per read" s1.glibc s1.pread ns_per_op time " per read" ""
	row "$S" "round trip" "libaio-posix/io_uring, time per read" s1.ours s1.uring ns_per_op time " per read" ""
	row "$S" "round trip" "glibc/io_uring, time per read" s1.glibc s1.uring ns_per_op time " per read" ""
	row "$S" "round trip" "libaio-posix/glibc, time per read" s1.ours s1.glibc ns_per_op time " per read" ""
	row "$S" "round trip" "io_uring/pread, time per read" s1.uring s1.pread ns_per_op time " per read" ""
fi
if ((RUN_2)); then
	for f in 1 8; do
		for p in $PATTERNS; do
			[[ $f == 1 ]] && short="64 in flight, 1 fd, $p" || short="64 in flight, $f fds, $p"
			[[ $p == list ]] && S="2. $short (aio_suspend on all, scan)" || S="2. $short (aio_suspend on the oldest)"
			depth_rows "$S" "$short" "s2.f$f.$p" "s2.f$f.uring" io_uring ops/s "≥ 0.95" "≤ 1.1"
		done
	done
fi
if ((RUN_3)); then
	S="3. lio_listio(LIO_WAIT) of 64"
	row "$S" "lio_listio of 64" "libaio-posix/io_uring, time per batch" s3.ours s3.uring ns_per_op time " per batch" "≤ 1.1"
	row "$S" "lio_listio of 64" "glibc/io_uring, time per batch" s3.glibc s3.uring ns_per_op time " per batch" ""
	row "$S" "lio_listio of 64" "libaio-posix/glibc, time per batch" s3.ours s3.glibc ns_per_op time " per batch" ""
fi
if [[ -n $SKIP_4 ]]; then
	ROWS+="| 4. O_DIRECT 4 KiB random | all | n/a | n/a |  | skipped: $SKIP_4 |"$'\n'
elif ((RUN_4)); then
	for d in 1 16 64; do
		S="4. O_DIRECT 4 KiB random, depth $d"
		row "$S" "O_DIRECT depth $d" "libaio-posix/io_uring, IOPS" "s4.d$d.ours" "s4.d$d.uring" ops_per_s rate "" ""
		row "$S" "O_DIRECT depth $d" "glibc/io_uring, IOPS" "s4.d$d.glibc" "s4.d$d.uring" ops_per_s rate "" ""
		row "$S" "O_DIRECT depth $d" "libaio-posix/glibc, IOPS" "s4.d$d.ours" "s4.d$d.glibc" ops_per_s rate "" ""
		((d == 1)) && row "$S" "O_DIRECT depth $d" "libaio-posix/pread, IOPS" "s4.d$d.ours" "s4.d$d.pread" ops_per_s rate "" ""
		((d == 16)) && row "$S" "O_DIRECT depth $d" "libaio-posix threads backend/glibc, IOPS" "s4.d$d.pool" "s4.d$d.glibc" ops_per_s rate "" "≥ 3"
	done
fi
if [[ -n $SKIP_5 ]]; then
	ROWS+="| 5. fio randread 4k | all | n/a | n/a |  | skipped: $SKIP_5 |"$'\n'
elif ((RUN_5)); then
	for x in 0 1; do
		for d in 1 16 64; do
			[[ $x == 0 ]] && kind=buffered || kind=O_DIRECT
			S="5. fio randread 4k $kind, depth $d"
			row "$S" "fio $kind depth $d" "posixaio libaio-posix/fio io_uring, IOPS" "s5.x$x.d$d.ours" "s5.x$x.d$d.uring" ops_per_s rate "" "≥ 0.95"
			row "$S" "fio $kind depth $d" "posixaio glibc/fio io_uring, IOPS" "s5.x$x.d$d.glibc" "s5.x$x.d$d.uring" ops_per_s rate "" ""
			row "$S" "fio $kind depth $d" "posixaio libaio-posix/glibc, IOPS" "s5.x$x.d$d.ours" "s5.x$x.d$d.glibc" ops_per_s rate "" ""
		done
	done
fi
if ((RUN_6)); then
	for n in $THREAD_COUNTS; do
		((n == 1)) && short="1 thread" || short="$n threads"
		S="6. $short, own fd each, 64 in flight each"
		short+=" x 64 in flight"
		depth_rows "$S" "$short" "s6.t$n" "s6.t$n.uring" "raw rings" "aggregate ops/s" "≥ 0.9" ""
	done
fi
if ((RUN_7)); then
	for c in $SUBMIT_CASES; do
		call=${c%%:*} size=${c#*:}
		case $call in
		read) what="aio_read of $(fmt_size "$size")" ;;
		write) what="aio_write of $(fmt_size "$size")" ;;
		listio) what="lio_listio(LIO_NOWAIT) of 1 read of $(fmt_size "$size")" ;;
		fsync) what="aio_fsync(O_SYNC) after a 4 KiB write" ;;
		esac
		[[ $call == write || $call == fsync ]] && S="7. $what, scratch file" || S="7. $what, cached"
		for v in $SUBMIT_VARIANTS; do
			case $v in
			ours_uring) label="libaio-posix uring backend, p99 of the call" short="submit p99, libaio-posix uring" ;;
			ours_threads) label="libaio-posix threads backend, p99 of the call" short="submit p99, libaio-posix threads" ;;
			glibc) label="glibc, p99 of the call" short="submit p99, glibc" ;;
			esac
			row_us "$S" "$short" "$label" "$what" "s7.$call.$size.$v" "≤ 50 µs"
		done
	done
fi

if ((RUN_8)); then
	for v in c p d; do
		case $v in
		c) short="queue vs scan, cached" S="8. completion queue vs aio_suspend+scan, depth 64, cached" ;;
		p) short="queue vs scan, cached, threads" S="8. completion queue vs aio_suspend+scan, depth 64, cached, threads backend" ;;
		d) short="queue vs scan, O_DIRECT" S="8. completion queue vs aio_suspend+scan, depth 64, O_DIRECT" ;;
		esac
		if [[ $v == d && -n $SKIP_8D ]]; then
			ROWS+="| $S | all | n/a | n/a |  | skipped: $SKIP_8D |"$'\n'
			continue
		fi
		row "$S" "$short" "queue reap/aio_suspend+scan, ops/s" "s8.$v.queue" "s8.$v.scan" ops_per_s rate "" "≥ 1"
		row "$S" "$short" "queue reap/aio_suspend+scan, CPU per op" "s8.$v.queue" "s8.$v.scan" cpu_us_per_op cpu " per read" ""
	done
fi

{
	echo "libaio-posix benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- host: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r), glibc $GLIBC_VERSION, libaio-posix $OURS_VERSION, io_uring baselines: $( ((URING)) && echo yes || echo 'no (built without liburing)')${FIO_VERSION:+, $FIO_VERSION}"
	backends=$(grep -o ' lib=libaio-posix .* backend=[^ ]*' "$RAW" | sed 's/.* backend=//' | sort -u | tr '\n' ' ')
	echo "- libaio-posix backend, as its statistics report it: ${backends:-unknown}(AIO_POSIX_BACKEND=${AIO_POSIX_BACKEND:-auto, the default})"
	echo "- load average (1, 5, 15 min) at start: ${LOAD_START:-?}; at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) (other jobs on the machine make the figures noisier)"
	echo "- $RUNS runs per variant, variants alternated within each run; aio-bench: ${SECS} s timed + ${WARM} s warm-up per measurement; fio: --runtime=$FIO_RUNTIME --ramp_time=100ms"
	((RUN_7)) && echo "- scenario 7: ${SUBMIT_SECS} s timed and at least 300 calls (100 from 16 MiB up) per measurement, AIO_POSIX_BACKEND set per variant; its figures are absolute times, the median over runs of each run's p99 (the one target that is an absolute time on purpose, and the noisiest figure of the table)"
	echo "- ratio = the two variants measured back to back in the same run; median of the per-run ratios, min–max beside it; detail = medians of the absolute figures (numerator vs denominator)"
	echo "- time and CPU ratios: above 1 means slower than the baseline; ops/s and IOPS ratios: below 1 means slower; targets are the project's aims, not pass/fail"
	((RUN_6)) && echo "- scenario 6: ops and CPU of the whole process over one window common to all its threads; raw rings = one io_uring per thread"
	echo
	echo "| scenario | ratio | median | min–max | target | detail (medians) |"
	echo "|---|---|---|---|---|---|"
	printf '%s' "$ROWS"
	echo
	echo "Summary:"
	for k in "${SUMMARY_ORDER[@]}"; do
		echo "  $k: ${SUMMARY[$k]}"
	done
	[[ -n $SKIP_5 ]] && echo "  fio: scenario 5 skipped: $SKIP_5"
	[[ -n $SKIP_4 ]] && echo "  O_DIRECT: scenario 4 skipped: $SKIP_4"
	echo
	echo "($(($(date +%s) - START)) s in all; raw measurements in $RAW)"
} >"$TABLE"
echo >&2
cat "$TABLE"
