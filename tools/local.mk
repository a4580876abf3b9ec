# The aio-posix wrapper command (included by the top Makefile.am; paths are
# relative to the top).
#
# One template, tools/aio-posix.in, makes two scripts that differ only in
# the library they preload:
#   tools/aio-posix          the build tree's lib/.libs/libaio-posix.so.0,
#                            to run programs on the library just built
#                            (make check-clients uses it); not installed;
#   tools/install/aio-posix  $(libdir)/libaio-posix.so.0; installed in
#                            $(bindir) as aio-posix.
# They are made by make rather than by configure because libdir is a make
# variable (it may still hold ${exec_prefix}, and 'make libdir=...' may
# change it), as the Autoconf manual advises for installation directories.

noinst_SCRIPTS = tools/aio-posix
bin_SCRIPTS = tools/install/aio-posix
EXTRA_DIST += tools/aio-posix.in
CLEANFILES += tools/aio-posix tools/install/aio-posix

AIO_POSIX_EDIT = sed -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

tools/aio-posix: $(srcdir)/tools/aio-posix.in Makefile
	$(AM_V_GEN)$(MKDIR_P) tools && rm -f $@ $@.tmp && \
	$(AIO_POSIX_EDIT) \
	  -e 's|@AIO_POSIX_LIBRARY[@]|$(abs_top_builddir)/lib/.libs/libaio-posix.so.0|g' \
	  $(srcdir)/tools/aio-posix.in > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# Made afresh by every make (it is phony), so that 'make install
# prefix=...' or 'libdir=...' puts the right path in; replaced only when its
# text changes.
.PHONY: tools/install/aio-posix
tools/install/aio-posix: $(srcdir)/tools/aio-posix.in
	@$(MKDIR_P) tools/install && rm -f $@.tmp && \
	$(AIO_POSIX_EDIT) \
	  -e 's|@AIO_POSIX_LIBRARY[@]|$(libdir)/libaio-posix.so.0|g' \
	  $(srcdir)/tools/aio-posix.in > $@.tmp && chmod +x $@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; \
	else echo "  GEN      $@"; mv -f $@.tmp $@; fi

# make check-clients: fio and stress-ng, through tools/aio-posix, verified,
# and checked to have been served by libaio-posix (tools/check-clients.sh).
# Not part of 'make check': it needs those two programs (it installs them
# when root), writes about 200 MiB and takes some 15 seconds.
EXTRA_DIST += tools/check-clients.sh tools/dependencies.sh
.PHONY: check-clients
check-clients: tools/aio-posix lib/libaio-posix.la
	AIO_POSIX_WRAPPER='$(abs_top_builddir)/tools/aio-posix' \
	CLIENTS_DIR='$(abs_top_builddir)/tools/clients.tmp' \
	$(SHELL) $(srcdir)/tools/check-clients.sh
