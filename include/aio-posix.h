/* aio-posix.h: the extension API of libaio-posix.
 *
 * The POSIX functions themselves (aio_read, aio_write, aio_fsync, aio_error,
 * aio_return, aio_suspend, aio_cancel, lio_listio, their *64 twins and
 * aio_init) are declared by the system <aio.h>; include that for them.  This
 * header holds only what libaio-posix adds on top.
 */
#ifndef AIO_POSIX_H
#define AIO_POSIX_H

#ifdef __cplusplus
extern "C" {
#endif

/* The most entries lio_listio() accepts; one more fails with EINVAL.  glibc
 * sets no AIO_LISTIO_MAX (sysconf reports it as indeterminate), so this is
 * ours to choose. */
#define AIO_POSIX_LISTIO_MAX 65536

/* The library's version, "MAJOR.MINOR.PATCH".  Also a way for a program to
 * find out, through dlsym(RTLD_DEFAULT, "aio_posix_version"), whether it is
 * running under libaio-posix. */
const char *aio_posix_version(void);

#ifdef __cplusplus
}
#endif

#endif /* AIO_POSIX_H */
