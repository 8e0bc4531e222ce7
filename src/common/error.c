#include "greenbench/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Thread-local so that the sampler thread's failures never overwrite the
 * message the CLI thread is about to print. */
static _Thread_local char errbuf[1024];
static _Thread_local enum gb_error_kind errkind;

int gb_error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	errkind = GB_ERROR_KIND_NONE;
	return err;
}

int gb_error_wrap(int err, const char *fmt, ...)
{
	char prefix[512], old[sizeof errbuf];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, errbuf, sizeof old);
	snprintf(errbuf, sizeof errbuf, "%s: %s", prefix, old[0] ? old : strerror(-err));
	return err;
}

const char *gb_error_msg(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void gb_error_clear(void)
{
	errbuf[0] = '\0';
	errkind = GB_ERROR_KIND_NONE;
}

int gb_error_mark(int err, enum gb_error_kind kind)
{
	errkind = kind;
	return err;
}

enum gb_error_kind gb_error_kind(void)
{
	return errkind;
}
