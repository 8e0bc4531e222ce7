/* SHA-256 of a file through OpenSSL's EVP interface (see sha256.h). */
#include "greenbench/sha256.h"
#include "greenbench/error.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

int gb_sha256_file(const char *path, char hex[GB_SHA256_HEX_LEN])
{
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *f = NULL;
	size_t n;
	int ret = 0;

	f = fopen(path, "rb");
	if (!f) {
		ret = gb_error_set(-errno, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ret = gb_error_set(-ENOMEM, "cannot start a SHA-256 digest");
		goto out;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	if (ferror(f)) {
		ret = gb_error_set(-EIO, "cannot read '%s'", path);
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
out:
	EVP_MD_CTX_free(ctx);
	if (f)
		fclose(f);
	return ret;
}

int gb_sha256_buf(const void *data, size_t len, char hex[GB_SHA256_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		return gb_error_set(-ENOMEM, "cannot compute a SHA-256 digest");
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
