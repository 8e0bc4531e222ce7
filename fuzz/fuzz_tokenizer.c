/* Fuzz the BERT tokenizer (UTF-8 validation, Unicode tables, WordPiece)
 * with a small vocabulary written once. */
#include "greenbench/tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gb_tokenizer *tok;

static struct gb_tokenizer *vocab(void)
{
	static const char words[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\nb\nab\n##b\n##a\n##ab\ncafe\n##s\n!\n.\n\xe4\xb8\xad\n";
	char path[] = "/tmp/gb-fuzz-vocab-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		abort();
	fputs(words, f);
	fclose(f);
	if (gb_tokenizer_open(path, NULL, &tok))
		abort();
	unlink(path);
	return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t ids[64];
	int64_t enc[3][16];
	size_t n;

	if (!tok)
		vocab();
	gb_tokenizer_tokenize(tok, (const char *)data, size, ids, 64, &n);
	gb_tokenizer_encode(tok, (const char *)data, size, 16, enc[0], enc[1], enc[2], &n);
	return 0;
}
