"""Normalisation, quality rules, content screening and PII on real UDHR text in five scripts.

Each rule must fire on a real example built from the article text and stay quiet on the clean
article, in Latin, Cyrillic, Arabic, Devanagari and Han script.
"""
from collections import Counter

import pytest

from muri_gen.corpora import declarations, documents
from muri_gen.text import dominant_script
from muri_gen.resources import FILTERS_DIR
from muri_gen.stages.content_screen import ContentScreen, ContentScreenConfig, Wordlist
from muri_gen.stages.normalize import Normalize, NormalizeConfig, normalize_text
from muri_gen.stages.pii import KINDS, redact
from muri_gen.stages.quality import QualityConfig, QualityFilter, repeated_ngram_starts

SCRIPTS = {"spa": ("spa", "Latn"), "rus": ("rus", "Cyrl"), "arb": ("ara", "Arab"), "hin": ("hin", "Deva"),
           "cmn_hans": ("zho", "Hans")}


@pytest.fixture(scope="module")
def corpus():
    """{udhr code: [normalised article texts]}"""
    return {code: [normalize_text(d["text"]) for d in documents(declarations([code])[0])] for code in SCRIPTS}


@pytest.fixture(scope="module")
def quality():
    stage = QualityFilter(QualityConfig(), None)
    stage.setup()
    return stage


def judge(stage, text, code):
    language, script = SCRIPTS[code]
    record = {"id": "t", "text": text, "language": language, "script": script}
    return stage.keep(record), record


def longest(corpus, code, k=1):
    return sorted(corpus[code], key=len, reverse=True)[:k]


@pytest.mark.parametrize("code", SCRIPTS)
def test_clean_articles_pass_every_rule(quality, corpus, code):
    verdicts = [judge(quality, text, code)[0] for text in corpus[code]]
    kept = sum(v is True for v in verdicts)
    assert kept >= 0.85 * len(verdicts), [v for v in verdicts if v is not True]
    # the statistics are there for every kept record, to tune thresholds on
    _, record = judge(quality, longest(corpus, code)[0], code)
    assert record["quality"]["words"] > 20 and 0 < record["quality"]["mean_word_length"] < 15


@pytest.mark.parametrize("code", SCRIPTS)
def test_each_rule_fires_on_real_text(quality, corpus, code):
    text = longest(corpus, code)[0]
    first_line = text.split("\n")[0]
    sentences = [s for s in corpus[code] if 40 < len(s) < 400][:6]
    words = quality.segmenter.words(text, SCRIPTS[code][1])
    cases = {
        "too_few_words": " ".join(words[:3]),
        "dup_line_frac": "\n".join([first_line] * 6 + sentences[:2]),
        "top_2gram_frac": " ".join(words[:2] * 40) + " " + text,
        "digit_frac": text + " " + " ".join(str(20240101123456 + i) for i in range(len(words) // 3)),
        "punct_frac": " ".join(w + " !!! *** ,,," for w in words[:40]),
        "terminal_punct_lines_frac": "\n".join(" ".join(words[i : i + 6]) for i in range(0, 60, 6)),
        "bullet_lines_frac": "\n".join(f"- {line}" for s in sentences for line in s.split("\n")),
    }
    for rule, bad in cases.items():
        verdict, record = judge(quality, bad, code)
        assert verdict is not True, (rule, record["quality"])
        assert verdict[1] == rule or (rule, verdict[1]) in {("top_2gram_frac", "dup_line_frac")}, (rule, verdict)


@pytest.mark.parametrize("code", SCRIPTS)
def test_boilerplate_lines_are_removed_and_counted(quality, corpus, code):
    text = longest(corpus, code)[0]
    page = "\n".join(["Skip to main content", "Home | News | Contact", text, "© 2024 Example. All rights reserved.",
                      "Política de privacidad", "[edit]", "References"])
    verdict, record = judge(quality, page, code)
    assert verdict is True and record["text"] == text
    assert record["quality"]["boilerplate_lines_frac"] == round(6 / (6 + len(text.split("\n"))), 4)
    navigation_only = "\n".join(["Home | News | Contact", "Iniciar sesión", "Política de cookies", "Ver más",
                                 "Все права защищены", "جميع الحقوق محفوظة", "版权所有", text.split("\n")[0][:60]])
    verdict, _ = judge(quality, navigation_only, code)
    assert verdict is not True


def test_thresholds_resolve_per_script_and_language(quality):
    assert quality.thresholds_for("Latn", "spa")["mean_word_length"] == [2.0, 15.0]
    assert quality.thresholds_for("Hans", "zho")["mean_word_length"] == [1.0, 5.0]
    assert quality.thresholds_for("Latn", "fin")["mean_word_length"] == [3.0, 20.0]
    assert "min_terminal_punct_lines_frac" not in quality.thresholds_for("Thai", "tha")


def test_unspaced_scripts_are_segmented_into_words(quality):
    words = quality.segmenter.words("人人生而自由，在尊严和权利上一律平等。", "Hans")
    assert words[:4] == ["人", "人生", "而", "自由"]
    assert quality.segmenter.words("มนุษย์ทั้งหลายเกิดมามีอิสระ", "Thai") == ["มนุษย์", "ทั้ง", "หลาย", "เกิด", "มา", "มี", "อิสระ"]



def test_repeated_ngrams_are_found_where_they_occurred_before(quality, corpus):
    """The refined search (only repeated n-grams are extended) finds what a set of seen n-grams finds."""
    def seen_before(words, n):
        seen, starts = set(), []
        for i, gram in enumerate(zip(*(words[j:] for j in range(n)))):
            (starts.append(i) if gram in seen else seen.add(gram))
        return starts

    texts = [text for code in SCRIPTS for text in corpus[code]]
    texts.append("\n".join(longest(corpus, "spa", 3) * 2))  # whole articles repeated: every length repeats
    checked = 0
    for text in texts:
        words = [w.lower() for w in quality.segmenter.words(text, dominant_script(text)[0])]
        for n, starts in zip(range(5, 11), repeated_ngram_starts(words, 5, 10)):
            assert starts == seen_before(words, n)
            checked += bool(starts)
    assert checked > 6  # the repeated articles at every length, and repeats inside single articles


SCREEN_TERMS = {"spa": "gilipollas cabrón mierda", "rus": "блядь бардак бздёнок",
                "arb": "اغتصاب احتلام اتناك", "hin": "मूर्ख बेवकूफ़ गधा", "cmn_hans": "他妈的 王八蛋 傻逼"}


@pytest.mark.parametrize("code", SCRIPTS)
def test_content_screen_decides_by_rate(corpus, code, tmp_path):
    # the shipped Hindi list is romanised: Devanagari matching is shown with a user's list
    (tmp_path / "hin.txt").write_text("# user list\nमूर्ख\nबेवकूफ़\nगधा\n")
    stage = ContentScreen(ContentScreenConfig(wordlists=str(tmp_path) if code == "hin" else "screen"), None)
    stage.setup()
    language, script = SCRIPTS[code]
    clean = [stage.keep({"id": "c", "text": t, "language": language, "script": script}) for t in corpus[code]]
    assert all(v is True for v in clean)
    text = corpus[code][5]
    one_hit = {"id": "1", "text": text + " " + SCREEN_TERMS[code].split()[0], "language": language, "script": script}
    assert stage.keep(one_hit) is True and one_hit["screen"]["hits"] == 1
    abusive = {"id": "a", "text": " ".join(SCREEN_TERMS[code].split()) + " " + text[:60],
               "language": language, "script": script}
    verdict = stage.keep(abusive)
    assert verdict[:2] == (False, "screened_content"), abusive["screen"]
    assert verdict[2]["rule"].startswith("wordlist:") and verdict[2]["distinct"] == 3


@pytest.mark.parametrize("code, language", [("spa", "spa"), ("eng", "eng"), ("fra", "fra"), ("por_PT", "por"),
                                            ("jpn", "jpn"), ("pes_1", "fas"), ("tur", "tur"), ("rus", "rus"),
                                            ("arb", "ara"), ("cmn_hans", "zho"), ("deu_1996", "deu")])
def test_content_screen_never_fires_on_the_udhr(code, language):
    stage = ContentScreen(ContentScreenConfig(), None)
    stage.setup()
    for doc in documents(declarations([code])[0]):
        record = {"id": doc["id"], "text": normalize_text(doc["text"]), "language": language}
        assert stage.keep(record) is True and record["screen"]["hits"] == 0, (doc["id"], record["screen"])


def test_content_screen_matches_whole_words_only(tmp_path):
    stage = ContentScreen(ContentScreenConfig(), None)
    stage.setup()
    record = {"id": "w", "text": "Los documentos y la asociación culinaria.", "language": "spa", "script": "Latn"}
    assert stage.keep(record) is True and record["screen"]["hits"] == 0  # "culo" inside "culinaria" is no hit
    (tmp_path / "hin.txt").write_text("गधा\nमूर्ख\n")
    user = ContentScreen(ContentScreenConfig(wordlists=str(tmp_path)), None)
    user.setup()
    record = {"id": "h", "text": "गधासुर और मूर्खता, फिर गधा", "language": "hin", "script": "Deva"}
    assert user.keep(record) is True and record["screen"]["hits"] == 1  # vowel signs are part of the word
    record = {"id": "k", "text": "Ein kurzer Text ohne Liste.", "language": "kal", "script": "Latn"}
    assert stage.keep(record) is True and record["screen"] == {"wordlist": None, "hits": 0}


@pytest.mark.parametrize("path", sorted(FILTERS_DIR.glob("screen/*.txt")), ids=lambda p: p.stem)
def test_content_screen_word_lookup_misses_nothing_the_pattern_finds(path):
    """Deciding by the terms' words (or characters, without spaces) must give the hits the whole pattern
    gives, for every shipped list: each term in running text as written, upper-cased (also with Turkish
    İ), title-cased, glued to a word (no hit where words have spaces), among other terms, and the UDHR
    in the list's language."""
    stage = ContentScreen(ContentScreenConfig(), None)
    stage.setup()
    code, wordlist = stage.wordlist(path.stem)  # the stage's own choice of list and of substring matching
    assert code == path.stem
    udhr = {"ara": "arb", "fas": "pes_1", "por": "por_PT", "deu": "deu_1996", "zho": "cmn_hans", "nor": "nob"}
    code = udhr.get(path.stem, path.stem)
    texts = [d["text"] for d in documents(declarations([code])[0])] if declarations([code]) else []
    assert texts or path.stem in ("epo", "kor", "tha", "dan", "fin", "ces", "hun", "swe", "nld", "pol", "hin")
    terms = sorted(wordlist.terms)
    for i, term in enumerate(terms):
        texts += [f"Ein Satz, {term} und mehr.", f"{term.upper()}!", f"({term.title()})", f"x{term}y",
                  term.upper().replace("I", "İ"),  # Turkish capitals: the pattern matches them to i and ı
                  f"{term} {terms[(i + 7) % len(terms)]}, {terms[(i + 13) % len(terms)]}."]
    looked_up = 0
    for text in texts:
        expected = Counter(m.lower() for m in wordlist.pattern().findall(text))
        assert wordlist.hits(text) == expected, text
        looked_up += not expected
    assert looked_up  # texts without a term exist, and were decided by the lookup too
    fresh = Wordlist(set(terms), wordlist.unspaced)
    assert fresh.hits("Qqq, qqq.") == Counter()
    assert fresh._pattern is None  # a text that holds no term's words never compiles the pattern


def test_content_screen_lookup_of_unspaced_terms_made_of_one_character_pieces():
    wordlist = Wordlist({"a b", "好 人", "坏蛋"}, unspaced=True)
    for text in ["A\tB 然后", "好  人", "ab", "他是坏蛋", "好人"]:
        assert wordlist.hits(text) == Counter(m.lower() for m in wordlist.pattern().findall(text)), text
    assert wordlist.hits("A\tB") == Counter({"a\tb": 1}) and wordlist.hits("好  人") == Counter({"好  人": 1})


PII_TEXT = ("Escríbeme a maria.lopez@correo.es o llama al +34 912 345 678 o al 612-345-678. IBAN ES91 2100 0418 "
            "4502 0005 1332, tarjeta 4111 1111 1111 1111, servidor 192.168.1.20 y 2001:db8::1.")


def test_pii_is_redacted_with_placeholders_and_counted():
    text, counts = redact(PII_TEXT, list(KINDS))
    assert counts == {"email": 1, "phone": 2, "iban": 1, "credit_card": 1, "ip_address": 2}
    assert "<EMAIL>" in text and "<IBAN>" in text and "<CREDIT_CARD>" in text and "4111" not in text
    # numbers that fail their checksums stay
    assert redact("IBAN ES00 2100 0418 4502 0005 1332, tarjeta 4111 1111 1111 1112", list(KINDS))[1] == {}


def test_pii_scans_skipped_by_what_a_text_lacks_still_find_their_kind():
    # no decimal digit: the IPv6 address is found through its colons, the e-mail through its @
    assert redact("server dead:beef::cafe, mail ana@ejemplo.org", list(KINDS)) == (
        "server <IP_ADDRESS>, mail <EMAIL>", {"ip_address": 1, "email": 1})
    # digits of another script count as digits: a phone number in Devanagari digits still reaches the phone pattern
    assert redact("फ़ोन +९१ ९८७६५ ४३२१०", list(KINDS)) == ("फ़ोन <PHONE>", {"phone": 1})


@pytest.mark.parametrize("code", SCRIPTS)
def test_pii_leaves_real_text_alone(corpus, code):
    for text in corpus[code]:
        assert redact(text, list(KINDS)) == (text, {})
    text, counts = redact(corpus[code][3] + " contacto: ana@ejemplo.org, +7 495 123-45-67", list(KINDS))
    assert counts == {"email": 1, "phone": 1}


def test_normalize_cleans_invisible_and_broken_characters():
    stage = Normalize(NormalizeConfig(max_chars=1000), None)
    record = {"id": "n", "text": "Cafe\u0301\u200b  con\u00a0leche\ufeff\r\n\r\n\r\n\r\nسلام\u200c دنیا \ud800fin\x07"}
    assert stage.keep(record) is True
    assert record["text"] == "Café con leche\n\nسلام\u200c دنیا \ufffdfin"
    assert stage.keep({"id": "e", "text": " \u200b\n\t "}) == (False, "empty", {})
    assert stage.keep({"id": "l", "text": "a" * 5000})[1] == "too_long"
    assert stage.keep({"id": "t", "text": 12})[1] == "not_text"


def test_dominant_script_of_mixed_text():
    assert dominant_script("Москва Moscow Москва")[0] == "Cyrl"
    assert dominant_script("東京は日本の首都です")[0] == "Jpan"
    assert dominant_script("12 34 !!")[0] == "Zyyy"
