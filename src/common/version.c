#include "greenbench/version.h"

#ifndef GB_GIT_REV
#define GB_GIT_REV "unknown"
#endif

const char *gb_version(void)
{
	return GB_VERSION;
}

const char *gb_version_string(void)
{
	return GB_VERSION " (" GB_GIT_REV ")";
}
