#!/usr/bin/env python3
"""Independent reference BERT tokenizer for tests/test_tokenizer.c.

Usage: wordpiece_ref.py OUTDIR [SEQ]

Written from the published algorithm (Google's BERT tokenization.py /
Hugging Face's BertTokenizer), using Python's own str.lower() and
unicodedata.normalize() rather than greenbench's generated tables.
Writes OUTDIR/corpus.txt (one text per line: hand-written cases plus
seeded random strings), OUTDIR/vocab.txt (built here from the corpus,
deliberately missing some characters so [UNK] occurs) and
OUTDIR/expected.txt (per line: the word-piece ids, then "|", then the
SEQ-long input_ids of [CLS] ... [SEP] [PAD]...).
"""
import os
import random
import sys
import unicodedata

HAND = [
    "Hello, world!!! This movie was GREAT... (really) <br /><br />10/10",
    "Café naïve Ångström ÉCOLE façade résumé Zoë coöperate",
    "e\u0301cole with a combining accent, and \u212b (angstrom sign)",
    "我爱北京天安门 and 日本語のテキスト mixed with English",
    "한국어 문장도 있습니다 — Hangul",
    "emoji 😀👍🏽 family 👨\u200d👩\u200d👧 and ❤️ hearts",
    "a" * 150 + " short " + "b" * 100 + " " + "c" * 101,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "ΟΔΟΣ ΟΔΟΣ. ὈΔΥΣΣΕΎΣ ΣΑΣ Σ ΑΣ' ΑΣ.Α",
    "İstanbul ĲSSELMEER ǅungla Straße ﬁne ＡＢＣ１２３",
    "ctrl\x07bell\x00nul\ufffdrepl\ttab\nnl\u00a0nbsp\u2028ls\u3000ideo\u00adsoft",
    "“quotes” ‘single’ ¿qué? ¡sí! «guillemets» a≠b ½ Ⅻ № ™ © ®",
    "$100 + 50% = #hashtag @user ^caret `tick` |pipe| ~tilde {brace} [bracket]",
    "Ελληνικά, русский текст, עברית עִם נִקּוּד, العربية مع تَشْكِيل, हिन्दी",
    "   leading and trailing spaces   ",
    "",
    "unaffable unbelievable playing played player replay",
]

POOL = (
    [chr(c) for c in range(0x20, 0x7F)] * 4
    + list("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿÀÉÎÕÜßœŒĳĲſǅǈ")
    + list("ΑΒΓΔΕΣσςΩωάέήίόύώϊϋΐΰ") + list("АБВГДЕЁЖЗабвгдеёжз")
    + list("我爱北京天安门日本語中文字") + list("한국어문장가나다") + list("ぁあかさたなカタカナ")
    + list("😀👍🏽❤️🎉\u200d\ufe0f") + list("\u0300\u0301\u0308\u0327\u034f\u20dd")
    + list("\t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u2029\u202f\u3000")
    + list("\x00\x07\x7f\u200b\u200e\ufeff\ufffd\U000e0001\ue000")
    + list("“”‘’«»¿¡–—…·•†‡§¶′″‹›‰€£¥©®™°±×÷≠≤≥∞√∑∏∫")
    + list("ＡＢＣａｂｃ１２３﹏﹐")
)


def is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c).startswith("C")


def is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_punct(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F
            or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def basic(text):
    out = []
    for c in text:
        if ord(c) in (0, 0xFFFD) or is_control(c):
            continue
        out.append(" " if is_whitespace(c) else c)
    text = "".join(out)
    text = "".join(f" {c} " if is_cjk(ord(c)) else c for c in text)
    text = unicodedata.normalize("NFC", text)
    words = []
    for tok in text.split():
        tok = tok.lower()
        tok = "".join(c for c in unicodedata.normalize("NFD", tok)
                      if unicodedata.category(c) != "Mn")
        cur = []
        for c in tok:
            if is_punct(c):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(c)
            else:
                cur.append(c)
        if cur:
            words.append("".join(cur))
    return " ".join(words).split()


def wordpiece(word, vocab, max_chars=100):
    if len(word) > max_chars:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, cur = len(word), None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                cur = sub
                break
            end -= 1
        if cur is None:
            return ["[UNK]"]
        pieces.append(cur)
        start = end
    return pieces


def build_vocab(words):
    rng = random.Random(7)
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted({c for w in words for c in w})
    # Leave some characters out so some words cannot be covered: [UNK].
    chars = [c for c in chars if c not in "😀ж語ς" and rng.random() > 0.05]
    toks += chars + ["##" + c for c in chars]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    for w in sorted(counts, key=lambda w: (-counts[w], w))[:60]:
        if len(w) > 1:
            toks.append(w)
    toks += ["un", "##aff", "##able", "##ing", "##ed", "##er", "play", "##lie", "##va",
             "super", "##cal", "##if", "##rag", "##il", "##istic", "movie", "great",
             "caf", "##e", "stra", "##sse", "hello", "world", "##abl", "##e"]
    seen, vocab = set(), []
    for t in toks:
        if t not in seen or t == "##e":
            seen.add(t)
            vocab.append(t)
    return vocab


def main():
    out = sys.argv[1]
    seq = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    rng = random.Random(12345)
    corpus = list(HAND)
    for _ in range(400):
        n = rng.randint(0, 60)
        corpus.append("".join(rng.choice(POOL) for _ in range(n)))
    # Lines are "\n"-separated in the file, so newline characters inside a
    # text are written as spaces-equivalent U+2029 instead.
    corpus = [t.replace("\n", "\u2029").replace("\r", "\u2029") for t in corpus]
    words = [w for t in corpus for w in basic(t)]
    vocab_list = build_vocab(words)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab_list) + "\n")
    with open(os.path.join(out, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        for t in corpus:
            f.write(t + "\n")
    with open(os.path.join(out, "expected.txt"), "w") as f:
        for t in corpus:
            ids = [vocab[p] for w in basic(t) for p in wordpiece(w, vocab)]
            enc = [vocab["[CLS]"]] + ids[:seq - 2] + [vocab["[SEP]"]]
            enc += [vocab["[PAD]"]] * (seq - len(enc))
            f.write(" ".join(map(str, ids)) + " | " + " ".join(map(str, enc)) + "\n")


if __name__ == "__main__":
    main()
