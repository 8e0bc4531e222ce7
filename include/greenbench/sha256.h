/*
 * SHA-256 of a file, as 64 lowercase hex digits (OpenSSL's EVP digest).
 * Used for model_sha256 in run records. Thread-safe.
 */
#ifndef GREENBENCH_SHA256_H
#define GREENBENCH_SHA256_H

#define GB_SHA256_HEX_LEN 65	/* 64 digits + NUL */

/* 0, or -errno with a message naming the file. */
int gb_sha256_file(const char *path, char hex[GB_SHA256_HEX_LEN]);

#endif
