# Documentation (included by the top Makefile.am; paths are relative to the
# top).  The guides are listed in EXTRA_DIST in Makefile.am.
#
# Manual pages.  The function pages use a section of their own, 3aio, so
# that they never collide with the system's pages of section 3 (as libbsd
# does with 3bsd): Automake installs doc/man/aio_read.3aio as
# $(mandir)/man3/aio_read.3aio, and 'man 3aio aio_read' finds it.  The *64
# pages are one-line .so links to the plain ones.

AIO_POSIX_FUNCTION_MANS = \
	doc/man/aio_read.3aio doc/man/aio_write.3aio doc/man/aio_fsync.3aio \
	doc/man/aio_error.3aio doc/man/aio_return.3aio doc/man/aio_suspend.3aio \
	doc/man/aio_cancel.3aio doc/man/lio_listio.3aio doc/man/aio_init.3aio \
	doc/man/aio_waitcomplete.3aio doc/man/aio_waitn.3aio doc/man/aio_readv.3aio \
	doc/man/aio_read2.3aio doc/man/aio_mlock.3aio doc/man/aio_queue_create.3aio \
	doc/man/aio_queue_reap.3aio doc/man/aioread.3aio doc/man/aiowait.3aio \
	doc/man/aiocancel.3aio
AIO_POSIX_LINK_MANS = \
	doc/man/aio_read64.3aio doc/man/aio_write64.3aio doc/man/aio_fsync64.3aio \
	doc/man/aio_error64.3aio doc/man/aio_return64.3aio doc/man/aio_suspend64.3aio \
	doc/man/aio_cancel64.3aio doc/man/lio_listio64.3aio \
	doc/man/aio_writev.3aio doc/man/aio_write2.3aio doc/man/aio_queue_close.3aio \
	doc/man/aiowrite.3aio \
	doc/man/__aio_suspend_time64.3aio \
	doc/man/aio_readv64.3aio doc/man/aio_writev64.3aio doc/man/aio_read2_64.3aio \
	doc/man/aio_write2_64.3aio doc/man/aio_mlock64.3aio doc/man/aio_waitcomplete64.3aio \
	doc/man/aio_waitn64.3aio doc/man/aioread64.3aio doc/man/aiowrite64.3aio \
	doc/man/__aio_waitcomplete_time64.3aio doc/man/__aio_waitn_time64.3aio \
	doc/man/__aio_queue_reap_time64.3aio doc/man/__aiowait_time64.3aio

dist_man_MANS = doc/man/aio-posix.1 doc/man/aio-posix.7 \
	$(AIO_POSIX_FUNCTION_MANS) $(AIO_POSIX_LINK_MANS)

# 'make check' lints every page (tools/check-man.sh): mandoc -T lint, or
# groff when mandoc is missing; any warning fails.
TESTS += tools/check-man.sh
EXTRA_DIST += tools/check-man.sh
