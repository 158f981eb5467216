"""Golden data for jsora's prompt cleaning (src/test/resources/golden/caption_clean/cases.json).

Runs Open-Sora 1.2's ``text_preprocessing`` (opensora/models/text_encoder/t5.py) on test prompts.
That module imports ``ftfy``, ``transformers`` and ``opensora.registry`` at the top; the last two
are not used by the cleaning and get empty stand-ins here. ``ftfy`` is not packaged by Debian: its
``fix_text`` is stood in for by the identity, so the prompts below avoid what it would change
(mis-decoded UTF-8, curly quotes that reach it, ligatures, full-width forms); jsora's own repair of
those is tested separately. BeautifulSoup comes from Debian's python3-bs4.

Run (Debian's python3, python3-bs4):

    git -C OPEN_SORA_GIT archive opensora/v1.2 | tar -x -C /tmp/os12
    /usr/bin/python3 tools/golden/caption_clean.py --upstream /tmp/os12 \
        --out src/test/resources/golden/caption_clean/cases.json
"""

import argparse
import importlib.util
import json
import sys
import types

PROMPTS = [
    "A soaring drone footage captures the majestic beauty of a coastal cliff, its red and yellow "
    "stratified rock faces rich in color and against the vibrant turquoise of the sea.",
    "A stylish woman walks down a Tokyo street filled with warm glowing neon and animated city signage.",
    "A movie trailer featuring the adventures of the 30 year old space man wearing a red wool knitted "
    "motorcycle helmet, blue sky, salt desert, cinematic style, shot on 35mm film, vivid colors.",
    "a cat on a mat aesthetic score: 6.5.",
    "A red square moves left. aesthetic score: 6.5. motion score: 4.0.",
    "  Sunset over the SEA!!  ",
    "Visit https://example.com/page?id=3 or www.shop.net/item for more",
    "Follow @openvideo_bot for daily clips",
    "<b>Bold</b> text with <i>tags</i> &amp; entities &lt;3",
    "A bridge \u2014 long \u2013 and high \u2010 over water",
    "\u00abQuoted\u00bb and `ticked\u00b4 words",
    "Server at 192.168.0.1 crashed 3:45  ",
    "Image #12 and #123456 and 1234567 items",
    "holiday photo IMG_0042.jpg and clip.mp4 attached",
    "\"\"\"SOLD OUT\"\"\" ... ***AMAZING*** deal",
    "this-is-my-cute-cat_video",
    "a well-known dog",
    "model jc6640 and jc6640vc and 6640vc231 and j2d1a2a",
    "worldwide free shipping and free download free, click for details, png images, page 12",
    "A poster 1920x1080 in 4.5\u00d73 size",
    "word,word.word/word and 3,5 and 3.5",
    "time : noon",
    "'quoted whole'",
    "-leading dash and trailing plus+",
    ".hidden",
    "Mixed \u4e2d\u6587 and \u30ab\u30bf\u30ab\u30ca and \u3042 text",
    "caf%C3%A9 with a+plus and 100%25 sure and 50% off",
    "<person> walking with <person>",
    "escaped line\\nbreak here",
    "A cat. . . on a mat",
    "text with &quot;quotes&quot and &amp;amp; double",
    "|0| a red square |2| a blue circle",
    "The quick (brown) fox [jumps] {over} the | lazy \\ dog / again",
    "",
]


def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True, help="Open-Sora checkout at branch opensora/v1.2")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    stub("ftfy", fix_text=lambda s: s)
    stub("transformers", AutoTokenizer=object, T5EncoderModel=object)

    class Registry:
        def register_module(self, *args, **kwargs):
            return lambda cls: cls

    stub("opensora")
    stub("opensora.registry", MODELS=Registry())
    spec = importlib.util.spec_from_file_location("t5_upstream", f"{a.upstream}/opensora/models/text_encoder/t5.py")
    t5 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(t5)

    cases = [{"prompt": s, "once": t5.clean_caption(s), "cleaned": t5.text_preprocessing(s)} for s in PROMPTS]
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
