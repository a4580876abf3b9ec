/* init.c: aio_init, glibc's extension, and the settings shown at load.
 *
 * aio_init sets the pool's thread limit and idle time (aio_threads,
 * aio_idle_time) whenever it is called, before or after the first request;
 * values out of range are ignored, as glibc does.  The other fields of
 * struct aioinit mean nothing here.
 *
 * When the library is loaded with AIO_POSIX_SHOW_CONFIG set, a constructor
 * prints the settings it would use, one per line, to stdout: this is how
 * `aio-posix --config` shows them without a symbol of its own.
 */
#include "config.h"

#include <stdlib.h>

#include "finish.h"
#include "support.h"

AIO_EXPORT void
aio_init(const struct aioinit *init)
{
	ABI_FORGET_NONNULL(init);
	library_init();
	if (init)
		config_set_pool(init->aio_threads, init->aio_idle_time);
}
AIO_EXPORT_VERSIONS(aio_init);

__attribute__((constructor)) static void
show_config_if_asked(void)
{
	if (!getenv("AIO_POSIX_SHOW_CONFIG"))
		return;
	library_init();
	config_print();
}
