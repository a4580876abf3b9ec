# Porting suites: FreeBSD's and Solaris's extensions, completion by file
# descriptor, and POSIX's ignored members.  Included from tests/local.mk
# (inside "if HAVE_CHECK").

porting_tests = \
	tests/test-collect \
	tests/test-vectored \
	tests/test-solaris \
	tests/test-completion-queue \
	tests/test-ignored-fields

check_PROGRAMS += $(porting_tests)
TESTS += $(porting_tests)

tests_test_collect_SOURCES = tests/test-collect.c tests/control-util.h
tests_test_collect_CFLAGS = $(TEST_CFLAGS)
tests_test_collect_LDADD = $(TEST_LIBS)

tests_test_vectored_SOURCES = tests/test-vectored.c tests/control-util.h
tests_test_vectored_CFLAGS = $(TEST_CFLAGS)
tests_test_vectored_LDADD = $(TEST_LIBS)

tests_test_solaris_SOURCES = tests/test-solaris.c tests/control-util.h
tests_test_solaris_CFLAGS = $(TEST_CFLAGS)
tests_test_solaris_LDADD = $(TEST_LIBS)

tests_test_completion_queue_SOURCES = tests/test-completion-queue.c tests/control-util.h
tests_test_completion_queue_CFLAGS = $(TEST_CFLAGS)
tests_test_completion_queue_LDADD = $(TEST_LIBS)

tests_test_ignored_fields_SOURCES = tests/test-ignored-fields.c tests/control-util.h
tests_test_ignored_fields_CFLAGS = $(TEST_CFLAGS)
tests_test_ignored_fields_LDADD = $(TEST_LIBS)
