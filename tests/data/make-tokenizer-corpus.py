#!/usr/bin/env python3
"""Writes tests/data/tokenizer-corpus.txt, the lines tests/tokenizer.rs encodes with our
WordPiece tokenizer and with Hugging Face's and compares.

    python3 tests/data/make-tokenizer-corpus.py /work/shared/seeds/*.txt

The seed documents' lines come first (every line, as is), then hand-written lines for each hard
case, then lines mixed from all of them by a seeded generator (same output every run). Lines
end at '\\n' only; every other character, controls included, is data. No NUL (U+0000) is
written, so the file stays a text file (the tokenizer's NUL rule is covered by its unit tests).
"""

import random
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).with_name("tokenizer-corpus.txt")

ACCENTED = [
    # French
    "Où est la bibliothèque ? Ça dépend : à côté de l'hôtel, près du château.",
    "L'été dernier, Noël et Zoé ont mangé des crêpes à la crème brûlée.",
    "« Je ne sais pas », répondit-il — puis il s'en alla… très fâché.",
    "Le cœur a ses raisons que la raison ne connaît point. Œuvre, bœuf, sœur, Æsir.",
    "Déjà vu, naïve, coöperate, façade, rôle, über, señor, piñata, jalapeño.",
    # German
    "Straße, Fußgängerübergänge und Größenverhältnisse: ÄÖÜ äöü ß ẞ.",
    "Grüße aus München! Die Bäckerei öffnet um 7:30 Uhr; Brötchen kosten 0,45 €.",
    "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsbetriebsleiter",
    "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz wurde 2013 aufgehoben.",
    # Vietnamese (stacked diacritics)
    "Tiếng Việt có nhiều dấu: ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự.",
    "Hà Nội là thủ đô của Việt Nam; Thành phố Hồ Chí Minh là thành phố lớn nhất.",
    "Người ta nói rằng học, học nữa, học mãi — Nguyễn Văn Đức đã viết như vậy.",
    # Polish
    "Zażółć gęślą jaźń. Źdźbło, żółw, łódź, Łódź, Gdańsk, Wrocław, Kraków.",
    "Chrząszcz brzmi w trzcinie w Szczebrzeszynie, i Szczebrzeszyn z tego słynie.",
    # Czech, Slovak, Hungarian, Romanian, Turkish, Icelandic, Nordic, Spanish, Portuguese
    "Příliš žluťoučký kůň úpěl ďábelské ódy. Ťava, ňufák, ľúbiť.",
    "Árvíztűrő tükörfúrógép — őrült ütő. Ștefan și Țara Românească, ş ţ.",
    "İstanbul'da ılık bir gün; IĞDIR, ığdır, İzmir, ÇĞİÖŞÜ çğıöşü.",
    "Þórður fór í bíó með Ægi og Ðóru; Ærø, Øresund, Åland, Mjøsa.",
    "¿Dónde está el niño? ¡Qué alegría! Camión, corazón, pingüino.",
    "Ação, coração, não, pão, maçã, avô, avó; São Paulo e Brasília.",
    # Greek and Cyrillic
    "Ελληνικά: άέήίόύώ ΐΰ ϊϋ — ΟΔΥΣΣΕΥΣ, Σίσυφος, ψυχή, ἀρετή, ᾠδή.",
    "Русский язык: Ёлка, ёж, Йод, щука; Україна: ї, є, ґ; Беларусь: ў.",
    # Special casing and compatibility characters
    "Kelvin K (U+212A), Ohm Ω, Ångström Å, ﬁ ﬂ ﬀ ligatures, ǅ ǈ ǋ titlecase, ŉ.",
    "Cherokee ᏣᎳᎩ ꮳꮃꭹ, Deseret 𐐀𐐨, Osage 𐒰𐓘, Armenian ﬓ և Խ.",
    "Full width: ＡＢＣ ａｂｃ ０１２３ ！？ Half width: ｶﾀｶﾅ ﾊﾝｶｸ.",
]

CJK = [
    "我爱自然语言处理。注意力机制是变换器的核心。",
    "北京是中华人民共和国的首都，人口约两千万。",
    "今天天气很好，我们去公园散步吧！",
    "繁體中文：學習語言模型需要大量資料與運算資源。",
    "日本語の文章：私は東京に住んでいます。カタカナとひらがな、漢字を混ぜて書きます。",
    "トランスフォーマーは注意機構を使います。ｶﾀｶﾅ、ー、ゝゞヽヾ。",
    "ひらがなだけのぶんしょうはどうなるでしょうか",
    "한국어 문장입니다. 주의 메커니즘은 트랜스포머의 핵심입니다.",
    "서울특별시는 대한민국의 수도이며, 인구는 약 천만 명입니다.",
    "Hangul jamo: ᄀ ᅡ ᆨ ㄱ ㅏ, 각, 갂, 힣, 뷁.",
    "Mixed 中文 and English and 日本語 and 한국어 in one line.",
    "CJK extension B: 𠀀𠀁𠀂 𪜀 𫝀 𫠠 𬺰, compatibility 豈 更 車 (U+F900).",
    "Radicals ⺀ ⼀ ⿰, CJK symbols 〇 〃 々 〆 〒 〓 【注意】 「引用」 『書名』 〈括弧〉.",
    "中文标点：，。；：？！“”‘’（）《》——……",
    "漢字かな交じり文と半角ｶﾅと全角ＡＢＣ１２３の混在",
]

EMOJI = [
    "I love it 😀😃😄😁 👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿",
    "Family: 👨‍👩‍👧‍👦 👩‍❤️‍👨 👨🏽‍💻 🧑‍🚀 🏳️‍🌈 🏳️‍⚧️",
    "Flags: 🇫🇷 🇩🇪 🇯🇵 🇺🇸 🇧🇷 🇮🇳🇨🇳 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "Keycaps 1️⃣ 2️⃣ #️⃣ *️⃣ and hearts ❤️ ❤ 💔 ♥️ ☺️ ✌🏾",
    "New emoji: 🥹 🫠 🫶🏼 🪿 🫎 🩷 🥰 🤌 🧋 🫡",
    "Emoji glued to words: hello😀world, 😀hello, hello😀, #hashtag🔥, @user👋",
    "Skin tones alone: 🏻 🏼 🏽 🏾 🏿 and ZWJ alone: \u200d and VS16 alone: \ufe0f",
    "Symbols ☀ ☁ ☂ ☃ ★ ☆ ♠ ♣ ♥ ♦ ✓ ✗ ✔ ✘ ➜ ⇒ ⟶ ↔ ⌘ ⌥ ⏎ ␣",
    "👩🏿‍🦰👨🏼‍🦳🧔🏻‍♀️🧑🏾‍🤝‍🧑🏻",
]

RTL = [
    "العربية: مرحبا بالعالم! الذكاء الاصطناعي ١٢٣٤٥٦٧٨٩٠ و 2024.",
    "مَرْحَبًا بِكُمْ فِي عَالَمِ التَّعَلُّمِ الآلِيِّ، كَيْفَ حَالُكَ؟",
    "السعر: ٣٫٥ دولار، ٪٢٠ خصم؛ هل هذا صحيح؟",
    "עברית: שלום עולם! המחיר הוא 120 ₪ בלבד.",
    "בְּרֵאשִׁית בָּרָא אֱלֹהִים אֵת הַשָּׁמַיִם וְאֵת הָאָרֶץ׃",
    "Mixed direction: English עברית English العربية 123 ٤٥٦.",
    "Marks: \u200fRLM\u200f \u200eLRM\u200e \u202bRLE\u202c \u202eRLO reversed\u202c \u2067isolate\u2069",
    "فارسی: سلام دنیا، ۱۲۳۴ ۵۶۷۸؛ اردو: یہ ایک جملہ ہے۔",
]

INDIC_THAI = [
    "हिन्दी: नमस्ते दुनिया! कृत्रिम बुद्धिमत्ता १२३४५।",
    "संस्कृतम्: धर्मक्षेत्रे कुरुक्षेत्रे समवेता युयुत्सवः।",
    "क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़ — nukta forms, precomposed and not: क़ क़",
    "বাংলা: আমি বাংলায় গান গাই। தமிழ்: வணக்கம் உலகம். తెలుగు: నమస్కారం.",
    "ภาษาไทย: สวัสดีชาวโลก ปัญญาประดิษฐ์ ๑๒๓๔๕ ไม่มีช่องว่างระหว่างคำ",
    "ພາສາລາວ: ສະບາຍດີ. ខ្មែរ: សួស្តី. မြန်မာ: မင်္ဂလာပါ.",
    "ᐃᓄᒃᑎᑐᑦ, ትግርኛ ኣማርኛ, ქართული ენა, Հայերեն լեզու, ᠮᠣᠩᠭᠣᠯ.",
]

PUNCT = [
    "Em dash—en dash–hyphen-minus−minus sign‐hyphen‑non-breaking ―horizontal bar.",
    "Quotes: “double” ‘single’ „low“ ‚low‘ «guillemets» ‹single› 「corner」 \"ascii\" 'ascii'.",
    "¿Qué? ¡Sí! Ellipsis… and three dots... and ⁇ ⁈ ⁉ ‼ ‽ ⸮ interrobang.",
    "Math: ∀x∈ℝ, ∃y: x²+y²≤1 ⇒ √(x·y) ≠ ∞; ∑ᵢ aᵢ = ∫₀¹ f(x) dx ± ε × δ ÷ 2 ≈ π.",
    "Currency: $5 €10 £3.50 ¥1000 ₹250 ₽99 ₩5000 ¢50 ₿0.01 ₪ ₫ ₴ ₺ ฿ ＄ ￥.",
    "Marks: § ¶ © ® ™ ° ‰ ‱ ′ ″ ‴ † ‡ • · ∙ ※ ⁂ ☞ ¦ ¬ ¯ ´ ¸ ¨ ˆ ˜ `.",
    "Brackets: (round) [square] {curly} <angle> ⟨math⟩ ⟦white⟧ ⌈ceil⌉ ⌊floor⌋ 〔tortoise〕.",
    "Ascii punct: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ all of them.",
    "Connectors: snake_case_name, under‿tie, ﹏wavy﹏, ＿fullwidth＿.",
    "Sentence.Without.Spaces,and,commas;and;semicolons:colons!bangs?",
    "Dashes-in-words like state-of-the-art and re-enter and co-operate.",
    "Apostrophes: don't, can’t, it's, rock 'n' roll, O'Brien, l'homme.",
    "Armenian ՞ ՜ ։, Hebrew ׃ ׀, Devanagari । ॥, Ethiopic ። ፣, CJK 、。・.",
    "Box drawing ─│┌┐└┘├┤┬┴┼ ═║╔╗╚╝ and blocks █▓▒░ ▀▄ and shapes ■□▪▫▲△▼▽◆◇○●.",
]

URLS_CODE = [
    "https://www.example.com/path/to/page?query=value&x=1#section-2",
    "Visit http://localhost:8080/api/v1/users/42?sort=desc or ftp://files.example.org/pub/.",
    "mail me: first.last+tag@sub.example.co.uk, <user@例え.jp>",
    "fn main() { println!(\"Hello, {}!\", name); let x: Vec<u32> = vec![1, 2, 3]; }",
    "def attention(q, k, v): return softmax(q @ k.T / sqrt(d)) @ v  # scaled dot-product",
    "{\"name\": \"minilm-l6\", \"layers\": 6, \"heads\": 12, \"ok\": true, \"x\": null}",
    "<div class=\"token\" data-id='42'>&lt;CLS&gt; &amp; &#x1F600;</div>",
    "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%ann%';",
    "regex: ^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@([A-Z]{2,})$ and \\d+\\.\\d*",
    "C:\\Users\\Ann\\Documents\\file.txt and /usr/local/bin/python3.12 and ~/.cache/x",
    "git commit -m \"fix: off-by-one\" && cargo test --release -- --nocapture",
    "x86_64-unknown-linux-gnu, wasm32-unknown-unknown, aarch64-apple-darwin",
    "camelCaseIdentifier PascalCase SCREAMING_SNAKE kebab-case dot.case",
    "base64: SGVsbG8sIFdvcmxkIQ== sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
]

NUMBERS = [
    "1,234,567.89 and 1.234.567,89 and 1 234 567 and 1'234'567 and 12,34,567.",
    "3.14159 2.718e-10 6.022E23 -42 +7 0x1F 0b1010 0o777 1_000_000 ⅓ ½ ¼ ¾ ⅞.",
    "Superscripts x² y³ 10⁻⁶ H₂O CO₂ m/s² km² 5×10⁸ 2⁶⁴−1.",
    "Roman Ⅰ Ⅱ Ⅲ Ⅳ Ⅻ ⅽ ⅿ; circled ① ② ⑳ ㉑; fullwidth ０１２３４５６７８９.",
    "Digits: ٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ০১২৩ ๐๑๒๓ ０１２.",
    "Dates 2024-03-15, 15/03/2024, 03.15.24, 12:30:45.123Z, 10:30 p.m., Q3'24.",
    "Phone +1 (555) 123-4567, +44 20 7946 0958, 090-1234-5678.",
    "Percent 50% 12.5 ‰ 3/4 1:2 #1 No. 5 № 7 $1.2M €3bn 5k 10x",
]

CONTROL = [
    "bell\x07 backspace\x08 vertical\x0btab form\x0cfeed escape\x1b[31mred\x1b[0m",
    "C0 \x01\x02\x03\x04\x05\x06 \x0e\x0f\x10\x11\x12 \x1c\x1d\x1e\x1f delete\x7f end",
    "C1 \x80\x81\x85NEL\x85\x90\x9b\x9c\x9f end",
    "carriage\rreturn inside a line and \r\r double",
    "line\u2028separator and paragraph\u2029separator",
    "soft\u00adhyphen in hy\u00adphen\u00ada\u00adtion",
    "zero\u200bwidth\u200bspace, non\u200cjoiner, joi\u200dner, word\u2060joiner, bom\ufeffhere",
    "\ufeffLine starting with a byte order mark",
    "interlinear \ufff9annotation\ufffa here\ufffb and object \ufffc replacement \ufffd char",
    "private use: \ue000 \ue001 \uf8ff a\ue123b \U000f0000 \U000f0001 \U0010fffd \U00100001",
    "noncharacters \ufffe \uffff \U0001fffe, unassigned \u0378 \u0379 \U000e0080",
    "tags: \U000e0001\U000e0041\U000e0062\U000e007f language tag",
    "variation selectors: ⚠\ufe0e ⚠\ufe0f 葛\U000e0100 and \u180b Mongolian FVS",
    "Mongolian vowel separator \u180e and ogham space\u1680mark",
]

COMBINING = [
    "e\u0301 a\u0300 o\u0302 u\u0308 n\u0303 c\u0327 (decomposed accents)",
    "Ze\u0301ro\u0301 de\u0301cor and cafe\u0301 and cafe\u0301\u0301\u0301 trailing marks",
    "\u0301leading mark, \u0301\u0302\u0303 marks alone, a \u0301 mark after space",
    "Z̷̡̢̛̖̞̦̮̹̱̓̊̇͂̑̔͘a̴̛̟̼̝̣̓́̆̈́͝ḷ̵̢̨̥̠̙̓̽̓̿͠g̵̢̡̛̰̖̃̓͐̈͝o̴̢̩̗̼̪͐̀̀̄̚ text",
    "Reordering: a\u0301\u0323 vs a\u0323\u0301, q\u0307\u0323 vs q\u0323\u0307, \u1ec7\u0323",
    "Mark after CJK 中\u0301文 and after punctuation !\u0301 and after emoji 😀\u0301",
    "Grapheme joiner a\u034fb, enclosing a\u20dd b\u20de c\u20e3, double a\u035cb a\u0361b",
    "Musical 𝅗𝅥 𝅘𝅥𝅮 \U0001d165\U0001d16d, Tibetan ཀཱི ཱི \u0f73 \u0f75 \u0f81",
    "Hangul tone marks 〮 〯 a\u302e b\u302f, iota subscript α\u0345 ᾳ ᾼ",
    "Greek with accents: ά έ ή ί ό ύ ώ (tonos) vs ά έ ή (oxia), ΐ ΰ.",
    "Precomposed vs decomposed: Å Å, ñ ñ, ü ü, ǖ ǖ, ệ ệ.",
]

SPACES = [
    "tab\tseparated\tvalues\t\tdouble\ttab",
    "\tleading tab and trailing tab\t",
    "non\u00a0breaking\u00a0space and narrow\u202fno-break and figure\u2007space",
    "ideographic\u3000space\u3000here　and　there",
    "en\u2002em\u2003three\u2004four\u2005six\u2006thin\u2009hair\u200amath\u205fspace",
    "   leading spaces and trailing spaces   ",
    "multiple     spaces      between       words",
    " \t \u00a0 \u3000 mixed whitespace run \u2003\t ",
]

EMPTYISH = [
    "",
    " ",
    "  ",
    "\t",
    "\u00a0",
    "\u3000",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u0301",
    "\x01\x02",
    "\x7f",
    "\r",
    " \t\u200b\u00a0 ",
    "\ufe0f",
    "\U000e0001",
    ".",
    "a",
    "A",
    "[",
    "]",
    "#",
    "##",
    "##ing",
    "\ue000",
    "\ue001",
]

SPECIAL = [
    "The capital of France is [MASK].",
    "[CLS] already here [SEP] and again [SEP]",
    "[MASK][MASK][MASK]",
    "[[MASK]] and ([MASK]) and x[MASK]y",
    "lower case [mask] [cls] [sep] is not special",
    "[UNK] and [PAD] typed in by hand",
    "Broken [MAS K] and [ MASK ] and [MASK and MASK]",
    "Zero width inside [MA\u200bSK] and accents [MÁSK]",
    "[SEP]",
    "[CLS]",
]


def long_words():
    """Words around the 100-character limit, counted after normalisation."""
    lines = []
    for n in (98, 99, 100, 101, 102, 150, 300):
        lines.append("a" * n)
        lines.append("x " + "ab" * (n // 2) + ("c" if n % 2 else "") + " y")
    lines.append("é" * 100)  # precomposed: 100 characters, 100 after stripping
    lines.append("é" * 101)
    lines.append("e\u0301" * 100)  # 200 characters before stripping, 100 after
    lines.append("e\u0301" * 101)
    lines.append("한" * 33)  # Hangul syllables decompose: 33 -> 99 jamo
    lines.append("한" * 34)  # 34 -> 102 jamo: [UNK]
    lines.append("가" * 50)  # 50 -> 100 jamo
    lines.append("가" * 51)
    lines.append("İ" * 100)
    lines.append("İ" * 101)
    lines.append("ﬁ" * 100)
    lines.append("😀" * 100)
    lines.append("😀" * 101)
    lines.append("中" * 150)  # ideographs are words of their own: never too long
    lines.append("pneumonoultramicroscopicsilicovolcanoconiosis " * 3)
    lines.append("supercalifragilisticexpialidocious antidisestablishmentarianism")
    lines.append("Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch")
    lines.append("https://example.com/" + "very-long-path-segment/" * 8 + "end.html")
    lines.append("x" * 100 + "." + "y" * 100)  # punctuation splits a long run
    lines.append("a" * 99 + "\u200b" + "b")  # a removed character does not count
    lines.append("a" * 100 + "\u0301")
    lines.append("a" * 50 + " " + "b" * 100 + " " + "c" * 101)
    return lines


def nfd_variants(lines):
    """The decomposed form of every line that has one."""
    out = []
    for line in lines:
        d = unicodedata.normalize("NFD", line)
        if d != line:
            out.append(d)
    return out


def generated(pools, count, seed=10):
    """Lines mixed from fragments of every pool: words, punctuation and separators at random."""
    rng = random.Random(seed)
    words = []
    for pool in pools:
        for line in pool:
            words.extend(w for w in line.split(" ") if w)
    seps = [" ", " ", " ", "", "\t", "\u00a0", "\u3000", "\u200b", "\u200d", "  ", "\u2003", "\r", "-", "/"]
    glue = ["", "", "", ".", ",", "!", "?", "—", "…", "\u0301", "\ufe0f", "'", "’", "\u200c"]
    out = []
    for _ in range(count):
        n = rng.randint(1, 14)
        parts = []
        for _ in range(n):
            w = rng.choice(words)
            r = rng.random()
            if r < 0.1:
                w = w.upper()
            elif r < 0.2:
                w = unicodedata.normalize("NFD", w)
            elif r < 0.25 and len(w) > 2:
                cut = rng.randrange(1, len(w))
                w = w[:cut] + rng.choice(glue) + w[cut:]
            parts.append(w + rng.choice(glue))
            parts.append(rng.choice(seps))
        out.append("".join(parts).replace("\n", " ").replace("\x00", ""))
    return out


def random_codepoints(count, seed=11):
    """Short runs of random characters from assorted blocks, to reach rules nobody wrote down."""
    rng = random.Random(seed)
    blocks = [
        (0x20, 0x7E), (0xA0, 0x24F), (0x250, 0x36F), (0x370, 0x52F), (0x590, 0x6FF),
        (0x900, 0xDFF), (0xE00, 0xEFF), (0xF00, 0xFFF), (0x1100, 0x11FF), (0x1E00, 0x1FFF),
        (0x2000, 0x2BFF), (0x2E00, 0x2E7F), (0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
        (0xA000, 0xABFF), (0xAC00, 0xD7A3), (0xF900, 0xFFFD), (0x10000, 0x1FAFF),
        (0x20000, 0x2FA1F), (0xE0000, 0xE01EF),
    ]
    out = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 24)):
            lo, hi = rng.choice(blocks)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF or c == 0 or c == 0x0A:
                continue
            chars.append(chr(c))
            if rng.random() < 0.3:
                chars.append(" ")
        out.append("".join(chars))
    return out


def main():
    seeds = []
    for path in sorted(sys.argv[1:]):
        text = Path(path).read_text(encoding="utf-8")
        seeds.extend(text.replace("\x00", "").split("\n"))
    pools = [ACCENTED, CJK, EMOJI, RTL, INDIC_THAI, PUNCT, URLS_CODE, NUMBERS, CONTROL,
             COMBINING, SPACES, SPECIAL]
    written = []
    for pool in pools:
        written.extend(pool)
    written.extend(EMPTYISH)
    written.extend(long_words())
    written.extend(nfd_variants(written))
    written.extend(line.upper() for line in ACCENTED + RTL + COMBINING)
    lines = seeds + written + generated(pools + [seeds[:200]], 700) + random_codepoints(300)
    assert not any("\n" in line or "\x00" in line for line in lines)
    OUT.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"{OUT}: {len(lines)} lines ({len(seeds)} from seeds, {len(written)} written)")


if __name__ == "__main__":
    main()
