#!/bin/sh
# check-man.sh: lint the manual pages of doc/man; run by 'make check'.
#
# Every page must pass 'mandoc -T lint -W warning' with no message (mandoc's
# own exit status is 2 for a warning, 3 or more for an error).  Without
# mandoc, 'groff -man -ww -z' must print nothing.  A page that is only a
# '.so man3/PAGE' link must name a page that exists.  Exit status 77 (a
# skipped test) when neither checker is installed.
set -u
mans=${srcdir:-.}/doc/man
status=0
checked=0

if command -v mandoc >/dev/null 2>&1; then
	lint() { mandoc -T lint -W warning "$1" 2>&1; }
	checker=mandoc
elif command -v groff >/dev/null 2>&1; then
	lint() { groff -man -ww -z "$1" 2>&1; }
	checker=groff
else
	echo "SKIP: neither mandoc nor groff is installed"
	exit 77
fi

for page in "$mans"/*.[0-9]*; do
	[ -f "$page" ] || continue
	name=${page##*/}
	first=$(sed -n 1p "$page")
	case $first in
	'.so '*)
		target=${first#.so }
		if [ "$(wc -l < "$page")" -ne 1 ] || [ ! -f "$mans/${target##*/}" ]; then
			echo "FAIL: $name: a link to a missing page: $first"
			status=1
		else
			echo "ok: $name (link to ${target##*/})"
		fi
		continue
		;;
	esac
	messages=$(lint "$page")
	rc=$?
	checked=$((checked + 1))
	if [ -n "$messages" ] || [ "$rc" -ne 0 ]; then
		echo "FAIL: $name ($checker, exit status $rc):"
		echo "$messages"
		status=1
	else
		echo "ok: $name"
	fi
done

if [ "$checked" -eq 0 ]; then
	echo "FAIL: no manual page found in $mans"
	exit 1
fi
echo "$checked pages checked with $checker"
exit $status
