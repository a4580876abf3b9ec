# Control suites: aio_suspend, aio_cancel, lio_listio, notification, fork,
# and the worker pool's configuration.  Included from tests/local.mk.
EXTRA_DIST += tests/control-util.h

control_tests = \
	tests/test-suspend \
	tests/test-cancel \
	tests/test-listio \
	tests/test-notify \
	tests/test-fork \
	tests/test-pool \
	tests/test-submission

check_PROGRAMS += $(control_tests)
TESTS += $(control_tests)

tests_test_suspend_SOURCES = tests/test-suspend.c tests/control-util.h
tests_test_suspend_CFLAGS = $(TEST_CFLAGS)
tests_test_suspend_LDADD = $(TEST_LIBS)

tests_test_cancel_SOURCES = tests/test-cancel.c tests/control-util.h
tests_test_cancel_CFLAGS = $(TEST_CFLAGS)
tests_test_cancel_LDADD = $(TEST_LIBS)

tests_test_listio_SOURCES = tests/test-listio.c tests/control-util.h
tests_test_listio_CFLAGS = $(TEST_CFLAGS)
tests_test_listio_LDADD = $(TEST_LIBS)

tests_test_notify_SOURCES = tests/test-notify.c tests/control-util.h
tests_test_notify_CFLAGS = $(TEST_CFLAGS)
tests_test_notify_LDADD = $(TEST_LIBS)

tests_test_fork_SOURCES = tests/test-fork.c tests/control-util.h
tests_test_fork_CFLAGS = $(TEST_CFLAGS)
tests_test_fork_LDADD = $(TEST_LIBS)

tests_test_pool_SOURCES = tests/test-pool.c tests/control-util.h
tests_test_pool_CFLAGS = $(TEST_CFLAGS)
tests_test_pool_LDADD = $(TEST_LIBS)

tests_test_submission_SOURCES = tests/test-submission.c tests/control-util.h
tests_test_submission_CFLAGS = $(TEST_CFLAGS)
tests_test_submission_LDADD = $(TEST_LIBS)
