/*
 * BERT tokenizer: vocab.txt loading, basic tokenization and WordPiece,
 * following Hugging Face's Python BertTokenizer step by step (see
 * include/greenbench/tokenizer.h). Unicode data: workload/unicode_table.h.
 */
#include "greenbench/tokenizer.h"
#include "greenbench/error.h"
#include "workload/unicode_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIECE_MAX_CHARS 128	/* limit of max_chars_per_word; longer words are [UNK] */
#define FNV_INIT 2166136261u
#define FNV_PRIME 16777619u

struct vocab_slot {
	uint32_t off, len, hash;
	int32_t id;		/* -1: empty slot */
};

struct gb_tokenizer {
	struct gb_tokenizer_options opt;
	char *pool;		/* vocab.txt, lines NUL-terminated in place */
	struct vocab_slot *slots;
	size_t mask;		/* slots - 1, a power of two minus one */
	const char **by_id;
	size_t nids;
	size_t max_len;		/* longest entry in bytes */
	int32_t unk, cls, sep, pad;
	uint8_t ascii[128];	/* gb_uni_flags() of ASCII, for speed */
};

static uint32_t fnv(uint32_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * FNV_PRIME;
	return h;
}

/* Entry for bytes s[0..n), as "##" + s when cont. */
static int32_t vocab_find(const struct gb_tokenizer *t, const char *s, size_t n, int cont)
{
	uint32_t h = fnv(cont ? fnv(FNV_INIT, "##", 2) : FNV_INIT, s, n);
	size_t klen = n + (cont ? 2 : 0);

	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		const struct vocab_slot *e = &t->slots[i];
		const char *k = t->pool + e->off;

		if (e->id < 0)
			return -1;
		if (e->hash != h || e->len != klen)
			continue;
		if (cont && (k[0] != '#' || k[1] != '#'))
			continue;
		if (!memcmp(k + (cont ? 2 : 0), s, n))
			return e->id;
	}
}

static void vocab_put(struct gb_tokenizer *t, uint32_t off, uint32_t len, int32_t id)
{
	uint32_t h = fnv(FNV_INIT, t->pool + off, len);

	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		struct vocab_slot *e = &t->slots[i];

		if (e->id < 0 || (e->hash == h && e->len == len &&
				  !memcmp(t->pool + e->off, t->pool + off, len))) {
			/* A repeated token keeps its last id, as Python's dict. */
			*e = (struct vocab_slot){ off, len, h, id };
			return;
		}
	}
}

void gb_tokenizer_options_init(struct gb_tokenizer_options *o)
{
	o->lowercase = 1;
	o->max_chars_per_word = 100;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *b = NULL;
	int ret = 0;

	if (!f)
		return gb_error_set(-errno, "cannot open vocabulary '%s': %s", path, strerror(errno));
	b = malloc(cap);
	while (b) {
		n += fread(b + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		char *nb = realloc(b, cap *= 2);
		if (!nb) {
			free(b);
			b = NULL;
		}
		b = nb;
	}
	if (!b)
		ret = gb_error_set(-ENOMEM, "out of memory");
	else if (ferror(f))
		ret = gb_error_set(-EIO, "cannot read vocabulary '%s'", path);
	fclose(f);
	if (ret) {
		free(b);
		return ret;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int gb_tokenizer_open(const char *vocab_path, const struct gb_tokenizer_options *o,
		      struct gb_tokenizer **out)
{
	static const char *const special[] = { "[UNK]", "[CLS]", "[SEP]", "[PAD]" };
	struct gb_tokenizer *t = calloc(1, sizeof *t);
	size_t len = 0, nlines = 0, nslots = 16;
	int ret = 0;

	*out = NULL;
	if (!t)
		return gb_error_set(-ENOMEM, "out of memory");
	if (o)
		t->opt = *o;
	else
		gb_tokenizer_options_init(&t->opt);
	if (t->opt.max_chars_per_word > PIECE_MAX_CHARS) {
		ret = gb_error_set(-EINVAL, "max_chars_per_word %zu is above %d",
				   t->opt.max_chars_per_word, PIECE_MAX_CHARS);
		goto out;
	}
	ret = read_file(vocab_path, &t->pool, &len);
	if (ret)
		goto out;
	for (size_t i = 0; i < len; i++)
		nlines += t->pool[i] == '\n';
	nlines += len && t->pool[len - 1] != '\n';
	if (nlines > INT32_MAX / 4) {
		ret = gb_error_set(-EFBIG, "vocabulary '%s' is too large", vocab_path);
		goto out;
	}
	while (nslots < nlines * 2)
		nslots *= 2;
	t->slots = malloc(nslots * sizeof *t->slots);
	t->by_id = calloc(nlines ? nlines : 1, sizeof *t->by_id);
	if (!t->slots || !t->by_id) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nslots; i++)
		t->slots[i].id = -1;
	t->mask = nslots - 1;
	for (size_t off = 0; off < len; t->nids++) {
		char *nl = memchr(t->pool + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - t->pool) - off : len - off;

		t->pool[off + l] = '\0';	/* Python strips only "\n" */
		t->by_id[t->nids] = t->pool + off;
		vocab_put(t, (uint32_t)off, (uint32_t)l, (int32_t)t->nids);
		if (l > t->max_len)
			t->max_len = l;
		off += l + 1;
	}
	for (size_t i = 0; i < 4; i++) {
		int32_t id = vocab_find(t, special[i], strlen(special[i]), 0);

		if (id < 0) {
			ret = gb_error_set(-EINVAL, "vocabulary '%s' has no %s token", vocab_path, special[i]);
			goto out;
		}
		(&t->unk)[i] = id;
	}
	for (uint32_t c = 0; c < 128; c++)
		t->ascii[c] = gb_uni_flags(c);
	*out = t;
out:
	if (ret)
		gb_tokenizer_free(t);
	return ret;
}

void gb_tokenizer_free(struct gb_tokenizer *t)
{
	if (!t)
		return;
	free(t->pool);
	free(t->slots);
	free(t->by_id);
	free(t);
}

size_t gb_tokenizer_vocab_size(const struct gb_tokenizer *t)
{
	return t->nids;
}

int gb_tokenizer_token_id(const struct gb_tokenizer *t, const char *token, int32_t *id)
{
	int32_t v = vocab_find(t, token, strlen(token), 0);

	if (v < 0)
		return -ENOENT;
	*id = v;
	return 0;
}

const char *gb_tokenizer_token(const struct gb_tokenizer *t, int32_t id)
{
	return id >= 0 && (size_t)id < t->nids ? t->by_id[id] : NULL;
}

const char *gb_tokenizer_unicode_version(void)
{
	return gb_uni_version;
}

/* ---- Tokenizing ---------------------------------------------------- */


struct tk {
	const struct gb_tokenizer *t;
	int32_t *ids;
	size_t max, n;
	uint32_t *tok;		/* current whitespace-separated word, code points */
	size_t ntok, captok;
	char piece[PIECE_MAX_CHARS * 4];	/* current word piece, UTF-8 */
	uint16_t poff[PIECE_MAX_CHARS + 1];	/* byte offset of each character */
	size_t pchars;		/* characters (may exceed PIECE_MAX_CHARS) */
};

static inline uint8_t flags_of(const struct tk *k, uint32_t cp)
{
	return cp < 128 ? k->t->ascii[cp] : gb_uni_flags(cp);
}

static void emit(struct tk *k, int32_t id)
{
	if (k->n < k->max)
		k->ids[k->n++] = id;
}

/* WordPiece on the current piece: greedy longest match. */
static void flush_piece(struct tk *k)
{
	const struct gb_tokenizer *t = k->t;
	int32_t sub[PIECE_MAX_CHARS];
	size_t nsub = 0, nch = k->pchars, start = 0;

	if (!nch)
		return;
	k->pchars = 0;
	if (nch > t->opt.max_chars_per_word || nch > PIECE_MAX_CHARS) {
		emit(k, t->unk);
		return;
	}
	while (start < nch) {
		size_t end = nch, extra = start ? 2 : 0;
		int32_t id = -1;

		/* Entries longer than the longest vocabulary entry cannot match. */
		while (end > start && (size_t)(k->poff[end] - k->poff[start]) + extra > t->max_len)
			end--;
		for (; end > start; end--) {
			id = vocab_find(t, k->piece + k->poff[start],
					(size_t)(k->poff[end] - k->poff[start]), start > 0);
			if (id >= 0)
				break;
		}
		if (id < 0) {
			emit(k, t->unk);
			return;
		}
		sub[nsub++] = id;
		start = end;
	}
	for (size_t i = 0; i < nsub; i++)
		emit(k, sub[i]);
}

static void put_char(struct tk *k, uint32_t cp)
{
	uint8_t f = flags_of(k, cp);

	if (f & GB_UNI_PUNCT) {
		flush_piece(k);
		k->pchars = 0;
		k->poff[0] = 0;
		k->poff[1] = (uint16_t)gb_utf8_encode(cp, k->piece);
		k->pchars = 1;
		flush_piece(k);
		return;
	}
	if (f & GB_UNI_SPLIT) {
		flush_piece(k);
		return;
	}
	if (k->pchars < PIECE_MAX_CHARS) {
		if (!k->pchars)
			k->poff[0] = 0;
		k->poff[k->pchars + 1] = (uint16_t)(k->poff[k->pchars] +
			gb_utf8_encode(cp, k->piece + k->poff[k->pchars]));
	}
	k->pchars++;
}

/* Accent stripping of one (lower-cased) character: NFD minus Mn. */
static void put_stripped(struct tk *k, uint32_t cp)
{
	const struct gb_uni_map *m;

	if (cp < 128) {
		put_char(k, cp);
		return;
	}
	if (cp >= 0xAC00 && cp <= 0xD7A3) {
		/* Hangul syllables decompose algorithmically into jamo (Lo). */
		uint32_t s = cp - 0xAC00;

		put_char(k, 0x1100 + s / 588);
		put_char(k, 0x1161 + s % 588 / 28);
		if (s % 28)
			put_char(k, 0x11A7 + s % 28);
		return;
	}
	if (gb_uni_flags(cp) & GB_UNI_DROP)
		return;
	m = gb_uni_map_find(gb_uni_strip, gb_uni_strip_len, cp);
	if (!m) {
		put_char(k, cp);
		return;
	}
	for (int i = 0; i < m->n; i++)
		put_char(k, m->to[i]);
}

/* str.lower()'s Final_Sigma: cased (skipping case-ignorables) before,
 * and no cased character (skipping case-ignorables) after. */
static uint32_t sigma(const struct tk *k, size_t i)
{
	size_t j;
	uint8_t f = 0;

	for (j = i; j-- > 0;) {
		f = flags_of(k, k->tok[j]);
		if (!(f & GB_UNI_CASE_IGNORABLE))
			break;
	}
	if (j == (size_t)-1 || !(f & GB_UNI_CASED))
		return 0x3C3;
	for (j = i + 1; j < k->ntok; j++) {
		f = flags_of(k, k->tok[j]);
		if (!(f & GB_UNI_CASE_IGNORABLE))
			break;
	}
	return j == k->ntok || !(f & GB_UNI_CASED) ? 0x3C2 : 0x3C3;
}

/* One whitespace-separated word: lower-case, strip accents, split
 * punctuation, WordPiece each piece. */
static void flush_token(struct tk *k)
{
	for (size_t i = 0; i < k->ntok; i++) {
		uint32_t c = k->tok[i];
		const struct gb_uni_map *m;

		if (!k->t->opt.lowercase) {
			put_char(k, c);
			continue;
		}
		if (c < 128) {
			put_char(k, c >= 'A' && c <= 'Z' ? c + 32 : c);
			continue;
		}
		if (c == 0x3A3) {
			put_stripped(k, sigma(k, i));
			continue;
		}
		m = gb_uni_map_find(gb_uni_lower, gb_uni_lower_len, c);
		if (!m) {
			put_stripped(k, c);
			continue;
		}
		for (int j = 0; j < m->n; j++)
			put_stripped(k, m->to[j]);
	}
	flush_piece(k);
	k->ntok = 0;
}

static int push_cp(struct tk *k, uint32_t cp)
{
	if (k->ntok == k->captok) {
		size_t cap = k->captok ? k->captok * 2 : 256;
		uint32_t *nt = realloc(k->tok, cap * sizeof *nt);

		if (!nt)
			return gb_error_set(-ENOMEM, "out of memory");
		k->tok = nt;
		k->captok = cap;
	}
	k->tok[k->ntok++] = cp;
	return 0;
}

static int bad_utf8(size_t pos)
{
	return gb_error_set(-EILSEQ, "invalid UTF-8 at byte %zu", pos);
}

int gb_tokenizer_tokenize(const struct gb_tokenizer *t, const char *text, size_t len,
			  int32_t *ids, size_t max, size_t *n)
{
	const uint8_t *s = (const uint8_t *)text;
	struct tk k = { .t = t, .ids = ids, .max = max };
	size_t pos = 0;
	int ret = 0;

	*n = 0;
	while (pos < len && k.n < k.max) {
		uint32_t cp;
		size_t l = 1;
		uint8_t f;

		if (s[pos] < 0x80) {
			cp = s[pos];
		} else if (!(l = gb_utf8_decode(s + pos, len - pos, &cp))) {
			ret = bad_utf8(pos);
			goto out;
		}
		pos += l;
		f = flags_of(&k, cp);
		if (cp == 0 || cp == 0xFFFD || (f & GB_UNI_CONTROL))
			continue;
		if (f & (GB_UNI_WS | GB_UNI_SPLIT)) {
			flush_token(&k);
			continue;
		}
		if (gb_uni_is_cjk(cp)) {
			flush_token(&k);
			ret = push_cp(&k, cp);
			if (ret)
				goto out;
			flush_token(&k);
			continue;
		}
		ret = push_cp(&k, cp);
		if (ret)
			goto out;
	}
	flush_token(&k);
	/* Stopped early: the rest must still be valid UTF-8. */
	while (pos < len) {
		uint32_t cp;
		size_t l = s[pos] < 0x80 ? 1 : gb_utf8_decode(s + pos, len - pos, &cp);

		if (!l) {
			ret = bad_utf8(pos);
			goto out;
		}
		pos += l;
	}
	*n = k.n;
out:
	free(k.tok);
	return ret;
}

int gb_tokenizer_encode(const struct gb_tokenizer *t, const char *text, size_t len, size_t seq,
			int64_t *input_ids, int64_t *attention_mask, int64_t *token_type_ids,
			size_t *ntokens)
{
	int32_t *ids = NULL;
	size_t n = 0;
	int ret;

	if (seq < 2)
		return gb_error_set(-EINVAL, "sequence length %zu is too short for [CLS] and [SEP]", seq);
	ids = malloc(seq * sizeof *ids);
	if (!ids)
		return gb_error_set(-ENOMEM, "out of memory");
	ret = gb_tokenizer_tokenize(t, text, len, ids + 1, seq - 2, &n);
	if (ret)
		goto out;
	ids[0] = t->cls;
	ids[n + 1] = t->sep;
	for (size_t i = 0; i < seq; i++) {
		int real = i < n + 2;

		if (input_ids)
			input_ids[i] = real ? ids[i] : t->pad;
		if (attention_mask)
			attention_mask[i] = real;
		if (token_type_ids)
			token_type_ids[i] = 0;
	}
	if (ntokens)
		*ntokens = n + 2;
out:
	free(ids);
	return ret;
}
