/*
 * SHA-256 of a file, as 64 lowercase hex digits (OpenSSL's EVP digest).
 * Used for model_sha256 in run records and for cache keys. Thread-safe.
 */
#ifndef GREENBENCH_SHA256_H
#define GREENBENCH_SHA256_H

#include <stddef.h>

#define GB_SHA256_HEX_LEN 65	/* 64 digits + NUL */

/* 0, or -errno with a message naming the file. */
int gb_sha256_file(const char *path, char hex[GB_SHA256_HEX_LEN]);
/* The digest of len bytes at data (cache keys). 0, or -ENOMEM. */
int gb_sha256_buf(const void *data, size_t len, char hex[GB_SHA256_HEX_LEN]);

#endif
