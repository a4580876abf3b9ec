#!/bin/sh
# dependencies.sh: the Debian packages that building and testing need, in one
# place (the GNUmakefile's bootstrap and .ci/run use it).
#
#   tools/dependencies.sh --list    [HOST...]   print them, one line
#   tools/dependencies.sh --check   [HOST...]   exit 1, naming what is missing
#   tools/dependencies.sh --install [HOST...]   install them with apt-get (root)
#
# Always those of a native build: the autotools, a C compiler, Check, and
# liburing-dev (without it the library has no io_uring backend).  Each HOST
# is a cross build's --host, and adds its compiler and the target's own
# Check and liburing (Debian multiarch: the architecture is added to dpkg):
#   i686-linux-gnu     i386, run natively by an x86_64 kernel
#   aarch64-linux-gnu  arm64, run under qemu-user-static
# (CC='gcc -m32' needs gcc-multilib instead of the cross compiler, which
# Debian 12 cannot install beside gcc-aarch64-linux-gnu; see README.md.)
set -eu

mode=${1:---list}
[ $# -gt 0 ] && shift

native="autoconf automake libtool pkg-config make gcc libc6-dev check liburing-dev"

# dpkg_arch HOST: Debian's name of HOST's architecture; multiarch HOST: its
# library directory's name.
dpkg_arch() {
	case $1 in
	i?86-linux-gnu) echo i386 ;;
	aarch64-linux-gnu) echo arm64 ;;
	x86_64-linux-gnu) echo amd64 ;;
	*) echo "dependencies.sh: no packages known for $1" >&2; exit 2 ;;
	esac
}
multiarch() {
	case $1 in
	i?86-linux-gnu) echo i386-linux-gnu ;;
	*) echo "$1" ;;
	esac
}

packages=$native
arches=
for host in "$@"; do
	[ -n "$host" ] || continue
	arch=$(dpkg_arch "$host")
	arches="$arches $arch"
	packages="$packages gcc-$host libc6-dev:$arch check:$arch liburing-dev:$arch"
	case $arch in
	arm64) packages="$packages qemu-user-static" ;;
	esac
done

case $mode in
--list)
	echo "$packages"
	;;
--check)
	missing=
	for tool in autoconf autoreconf automake aclocal libtoolize pkg-config make gcc; do
		command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
	done
	if command -v pkg-config >/dev/null 2>&1; then
		for module in check liburing; do
			pkg-config --exists "$module" || missing="$missing $module.pc"
		done
	fi
	for host in "$@"; do
		[ -n "$host" ] || continue
		command -v "$host-gcc" >/dev/null 2>&1 || missing="$missing $host-gcc"
		dir=/usr/lib/$(multiarch "$host")/pkgconfig
		for module in check liburing; do
			[ -f "$dir/$module.pc" ] || missing="$missing $dir/$module.pc"
		done
		case $(dpkg_arch "$host") in
		arm64) command -v qemu-aarch64-static >/dev/null 2>&1 ||
			missing="$missing qemu-aarch64-static" ;;
		esac
	done
	if [ -n "$missing" ]; then
		echo "missing:$missing"
		exit 1
	fi
	;;
--install)
	for arch in $arches; do
		dpkg --print-foreign-architectures | grep -qx "$arch" ||
			dpkg --add-architecture "$arch"
	done
	apt-get update
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y $packages
	;;
*)
	echo "usage: $0 --list|--check|--install [HOST...]" >&2
	exit 2
	;;
esac
