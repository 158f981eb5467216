"""Generate src/test/resources/golden/clip/bpe-tokenizer/ (a small CLIP-layout BPE tokenizer).

``tokenizer.json`` and ``special_tokens_map.json`` are hand-built data, not upstream output: a
byte-level BPE in the layout of ``openai/clip-vit-base-patch32``'s ``tokenizer.json`` (CLIP's
normaliser and split pattern, byte-level pre-tokenizer, ``</w>`` word ends, ``RobertaProcessing``
with ``<|startoftext|>`` / ``<|endoftext|>``, pad = end-of-text). Vocabulary: the 256 byte symbols
of the byte-level alphabet in byte order, then their ``</w>`` forms, then one token per merge,
then the two special tokens. The merges spell out each word of ``WORDS`` left to right (the
last merge adds the word end), skipping merges an earlier word already made.

``expected.json`` is upstream output: the ids and token strings the Python ``tokenizers`` library
(0.22.2 made the committed file) gives for ``CAPTIONS``, untruncated and truncated to 16. That
library (Rust) is not packaged by Debian; where it is importable this script writes
``expected.json`` too, otherwise it says so and writes the other two files. Run:

    /usr/bin/python3 tools/golden/clip_tokenizer.py --out /tmp/golden-bpe
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-bpe src/test/resources/golden/clip/bpe-tokenizer
"""

import argparse
import json
import os

WORDS = ["photo", "of", "the", "cat", "cats", "dog", "red", "ball", "is", "playing", "with", "on", "grass",
         "person", "cooking"]
CAPTIONS = ["A photo of the cat", "a red ball is playing with   the CATS on grass!",
            "Person cooking: 3 eggs, café-style.", "", "the dog " * 10]
MAX_LENGTH = 16
BOS, EOS = "<|startoftext|>", "<|endoftext|>"


def byte_alphabet():
    """The byte-level alphabet: printable Latin-1 bytes stand for themselves, the others for 256 + n."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    out, extra = {}, 0
    for b in range(256):
        if b in printable:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return [out[b] for b in range(256)]


def vocab_and_merges():
    symbols = byte_alphabet()
    vocab = {s: i for i, s in enumerate(symbols)}
    for s in symbols:
        vocab[s + "</w>"] = len(vocab)
    merges = []
    for word in WORDS:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        left = pieces[0]
        for right in pieces[1:]:
            merged = left + right
            if f"{left} {right}" not in merges:
                merges.append(f"{left} {right}")
                vocab[merged] = len(vocab)
            left = merged
    for special in (BOS, EOS):
        vocab[special] = len(vocab)
    return vocab, merges


def tokenizer_json(vocab, merges):
    special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,  # noqa: E731
                            "normalized": True, "special": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(vocab[BOS], BOS), special(vocab[EOS], EOS)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|"
                                                   "[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
             "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": [EOS, vocab[EOS]], "cls": [BOS, vocab[BOS]],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": EOS, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }


def special_tokens_map():
    tok = lambda c: {"content": c, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}  # noqa: E731
    return {"bos_token": tok(BOS), "eos_token": tok(EOS), "pad_token": EOS, "unk_token": tok(EOS)}


def expected(path):
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(path)
    full = [tok.encode(c) for c in CAPTIONS]
    tok.enable_truncation(MAX_LENGTH)
    cut = [tok.encode(c) for c in CAPTIONS]
    return {"captions": CAPTIONS, "untruncated": [e.ids for e in full], "tokens": [e.tokens for e in full],
            "max_length": MAX_LENGTH, "truncated": [e.ids for e in cut], "bos_token_id": tok.token_to_id(BOS),
            "eos_token_id": tok.token_to_id(EOS), "vocab_size": tok.get_vocab_size(),
            "tokenizers_version": tokenizers.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    vocab, merges = vocab_and_merges()
    path = os.path.join(a.out, "tokenizer.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, merges), f, indent=1, ensure_ascii=False)
    with open(os.path.join(a.out, "special_tokens_map.json"), "w") as f:
        json.dump(special_tokens_map(), f, indent=2)
    try:
        data = expected(path)
    except ImportError:
        print("the Python tokenizers library is not importable: expected.json not written")
        return
    with open(os.path.join(a.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
