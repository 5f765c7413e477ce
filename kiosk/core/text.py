"""Names and mobile numbers as people type them, cleaned the same way everywhere; and how a
name appears on a public screen."""

import re
import unicodedata
from functools import cache

from flask_babel import lazy_gettext as _l, lazy_pgettext

from kiosk.core.errors import DomainError

MOBILE = re.compile(r"1[3-9]\d{9}")
NAME_MAX = 40


# +86 or 0086, or a bare 86 (as Excel and some contacts keep it) before a whole mobile only: a
# volunteer number or a part of a number searched for may begin with 86 too.
COUNTRY_CODE = re.compile(r"^\s*(?:(?:\+|00)\s*86[\s\-]*(?=1)|86[\s\-]*(?=1[3-9](?:[\s\-]*\d){9}\s*$))")


def without_country_code(typed: str) -> str:
    """+86 139…, 0086 139… or 86139… as 139…: how a mobile is saved in many phones' contacts
    (full-width digits made plain first by the caller)."""
    return COUNTRY_CODE.sub("", typed or "")


def clean_mobile(raw: str) -> str:
    """A mainland mobile number, forgiving the spaces, dashes and +86 people type or Excel adds."""
    digits = without_country_code(re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw or "")))
    if not MOBILE.fullmatch(digits):
        raise DomainError(_l("Please enter an 11-digit mobile number starting with 1."), field="mobile")
    return digits


DIGITS = re.compile(r"[0-9]+")
FULL_WIDTH_DIGITS = {0xFF10 + i: ord("0") + i for i in range(10)}  # ０-９
# What a Chinese keyboard in full-width mode types for ASCII (０-９, Ａ-Ｚ, －, （…), and the other
# dashes people type or paste (‐ – — −), as the ASCII a code or a phone number is written in.
HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | dict.fromkeys(map(ord, "‐‑‒–—―−﹣"), ord("-"))


def half_width(text: str) -> str:
    """０１０－１２３４５６７８ as 010-12345678, Ｊ－０１５７ as J-0157; Chinese is left as typed."""
    return (text or "").translate(HALF_WIDTH)


def typed_digits(raw: str, most: int) -> str | None:
    """A number a person typed (a volunteer number, a code): full-width digits, as a Chinese
    keyboard in full-width mode types them, are the same digits; spaces go. None unless what is
    left is 1 to `most` digits 0-9 ("²".isdigit() is true, and other scripts' digits too)."""
    digits = "".join((raw or "").translate(FULL_WIDTH_DIGITS).split())
    return digits if DIGITS.fullmatch(digits) and len(digits) <= most else None


# A person has a 姓名; a service, a category or a gift has a 名称 (名稱).
NAME_MESSAGES = {
    True: (_l("Please enter a name."), _l("A name can be at most %(n)s characters.", n=NAME_MAX),
           _l("The name contains characters that cannot be used.")),
    False: (lazy_pgettext("not a person", "Please enter a name."),
            lazy_pgettext("not a person", "A name can be at most %(n)s characters.", n=NAME_MAX),
            lazy_pgettext("not a person", "The name contains characters that cannot be used.")),
}


# Two tiles both saying 喝水, two gifts both called 毛巾: nobody can tell which one is meant.
NAME_TAKEN = _l("There is one with this name already.")


# Chinese characters (and the dot between the parts of a minority name, 阿卜杜·买买提): a space
# between two of them in a person's name is typing, not part of the name.
_CJK = "\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u00b7\u30fb"
SPACE_IN_CHINESE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def has_hidden_characters(text: str) -> bool:
    """Control or format characters (a NUL, a right-to-left override): invisible or reordering, so
    what is stored would not be what anyone reads or can type again."""
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def clean_name(raw: str, *, person: bool = True) -> str:
    """A name as typed, on one line with single spaces; `person=False` for the name of a thing.
    A person's name loses the spaces between Chinese characters (张 伟 is 张伟, and shows as 张*
    on a public screen, not 张*伟); a name in Latin letters keeps its spaces (O'Brien Smith)."""
    empty, too_long, bad_characters = NAME_MESSAGES[person]
    name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if person:
        name = SPACE_IN_CHINESE.sub("", name)
    if not name:
        raise DomainError(empty, field="name")
    if len(name) > NAME_MAX:
        raise DomainError(too_long, field="name")
    if has_hidden_characters(name):
        raise DomainError(bad_characters, field="name")
    if person and not any(ch.isalpha() for ch in name):
        # "-1" or "2026-02-30" in the name field is a slip: it would stand on the badge and the kiosk
        raise DomainError(_l("A name needs at least one letter or Chinese character."), field="name")
    return name


def mask_name(name: str) -> str:
    """张小华 -> 张*华, 张华 -> 张*: enough for a volunteer to recognise themselves, not for a stranger."""
    if len(name) <= 1:
        return name + "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


# A number that may be someone's phone: seven digits or more, however they are grouped (spaces,
# dashes, dots, an area code in brackets), or written out in Chinese numerals (一三八〇〇一三八〇〇一).
PHONE_LIKE = re.compile(r"[(（]\d{2,4}[)）][\d\s\-－—–.．]{5,}\d|\d[\d\s\-－—–.．·()（）]{5,}\d"
                        r"|[零〇一二三四五六七八九幺两][零〇一二三四五六七八九幺两\s\-－—–]{5,}[零〇一二三四五六七八九幺两]")
# …but not a date or a time span a keeper writes in a reply (2026.12.05, 9.00-11.30): nobody's phone.
_DATE = r"\d{4}\s*[.\-/．－]\s*\d{1,2}\s*[.\-/．－]\s*\d{1,2}"
_TIMES = r"\d{1,2}[.:．]\d{2}(?:\s*[\-－—–~～至到]\s*\d{1,2}[.:．]\d{2})?"
DATE_OR_TIMES = re.compile(rf"{_DATE}(?:\s+{_TIMES})?|{_TIMES}")
# A name in Latin letters is only a name as a whole word ("Li" is not masked inside "Lily"); a name
# in Chinese characters is masked wherever it stands, since Chinese puts no spaces between words.
WORD_CHAR = r"[A-Za-z0-9]"


def mask_phone_numbers(text: str, keep=()) -> str:
    """Every number that may be someone's phone, as ***: not a date or a time, not one of `keep`
    (the station's own number, with or without its area code), not a 400 or 800 service line."""
    kept = {digits for number in keep if len(digits := re.sub(r"\D", "", number or "")) >= 7}

    def masked(found: re.Match) -> str:
        number, digits = found.group(0), re.sub(r"\D", "", found.group(0))
        if DATE_OR_TIMES.fullmatch(number) or (len(digits) == 10 and digits[:3] in ("400", "800")) \
                or any(own == digits or (len(digits) >= 7 and own.endswith(digits)) for own in kept):
            return number
        return "***"

    return PHONE_LIKE.sub(masked, text or "")


@cache
def _to_simplified():
    import opencc  # its tables load the first time a text is masked, not when a worker starts

    return opencc.OpenCC("t2s")


def in_simplified(text: str) -> str:
    """`text` in simplified characters, character for character: 張曉華 -> 张晓华. Same length and
    same places as written, so where a name stands in it is where it stands in `text`."""
    convert = _to_simplified().convert
    whole = convert(text)
    if len(whole) == len(text):
        return whole
    return "".join(c if len(c := convert(ch)) == 1 else ch for ch in text)


def name_key(name: str) -> str:
    """A person's name as compared for "is this the same name": simplified or traditional characters
    (張曉華 is 张晓华), spaces, full-width letters and the case of Latin letters make no other name."""
    return in_simplified("".join(unicodedata.normalize("NFKC", name).split())).casefold()


@cache
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


# What people put between the parts of a name, or leave out when they search for it: 李 华 is 李华,
# 阿卜杜热合曼·买买提艾力 is 阿卜杜热合曼买买提艾力, Chen Da-Wen is chen dawen.
NAME_SEPARATORS = " \u00b7\u30fb\u2022\u2027\u2219-."


def name_spellings(query: str) -> set[str]:
    """The ways a name typed into a search box may be stored: as typed, in simplified and in
    traditional characters (張曉華 finds 张晓华 and 陈大文 finds 陳大文), without separators."""
    typed = "".join(ch for ch in unicodedata.normalize("NFKC", query or "") if ch not in NAME_SEPARATORS
                    and not ch.isspace())
    if not typed:
        return set()
    return {typed, in_simplified(typed), _to_traditional().convert(typed)}


def name_matches(query: str, name: str) -> bool:
    """`name_spellings` for a list already in memory (Today's sessions)."""
    plain = "".join(ch for ch in in_simplified(name or "") if ch not in NAME_SEPARATORS).casefold()
    return any(in_simplified(spelling).casefold() in plain for spelling in name_spellings(query))


def search_words(*words: str) -> str:
    """What a page's own filter box matches against (kiosk.js `data-find`): each word in every
    `name_spellings` form, lower case, so 張曉華, 张晓华 and "anna li" find the same label."""
    return " ".join(sorted({spelling.casefold() for word in words for spelling in name_spellings(word)}))


def mask_names_in(text: str, names) -> str:
    """Every one of `names` (two characters or more) inside `text`, masked as `mask_name` masks it
    (王小明 -> 王*明, 王明 -> 王*). A name written in Chinese characters is masked wherever it appears,
    even inside a longer run of characters (王小明明 -> 王*明明): without spaces nobody can tell
    where a word ends, and hiding too much is the safe side, a keeper reads it before it is public.
    Simplified or traditional, it is the same name (張曉華 is the 张晓华 a keeper registered).
    A name with Latin letters or digits is masked only as a whole word. Longer names go first, so
    王小明 is masked whole rather than as 王小 plus 明."""
    wanted = sorted({in_simplified(n.strip()) for n in names if n and len(n.strip()) >= 2},
                    key=lambda n: (-len(n), n))
    if not text or not wanted:
        return text or ""
    parts = []
    for name in wanted:
        if re.search(WORD_CHAR, name):
            pattern = rf"(?<!{WORD_CHAR}){re.escape(name)}(?!{WORD_CHAR})"
        else:  # 张 晓华, 张晓 华: spaces typed inside a Chinese name do not hide it
            pattern = r"\s*".join(re.escape(ch) for ch in name)
        parts.append(pattern)
    masked, written_up_to = [], 0
    for found in re.compile("|".join(parts), re.IGNORECASE).finditer(in_simplified(text)):
        masked += [text[written_up_to:found.start()], mask_name("".join(text[found.start():found.end()].split()))]
        written_up_to = found.end()
    return "".join(masked) + text[written_up_to:]


ZWJ = "\u200d"
# 🏴 and tag letters ending in CANCEL TAG is a flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿); tag characters anywhere else are invisible text.
TAG_FLAG = re.compile("\U0001F3F4[\U000E0020-\U000E007E]{1,7}\U000E007F")
# A joiner only where it joins two things (a stray one is invisible): runs of them are one.
LOOSE_JOINER = re.compile(r"(?<!\S)\u200d|\u200d(?!\S)")


def _shown(raw: str, keep: str = "", instead: str = " ") -> str:
    """`raw` with control and format characters turned to `instead` (a right-to-left override would
    turn the shelf's labels around), except those in `keep`. Emoji sequences stay whole: the
    zero-width joiner of 👨‍👩‍👧‍👦 and a flag's tag letters are format characters too, and
    variation selectors (❤️) are marks, not format characters."""
    in_flag = {i for found in TAG_FLAG.finditer(raw) for i in range(found.start(), found.end())}
    kept = "".join(ch if i in in_flag or ch == ZWJ or ch in keep or not unicodedata.category(ch).startswith("C")
                   else instead for i, ch in enumerate(raw))
    return LOOSE_JOINER.sub("", re.sub("\u200d+", ZWJ, kept))


# A line break pasted between two Chinese characters (or after Chinese punctuation): Chinese is
# written without spaces, so the lines join without one (幸福里⏎暖心驿站 is 幸福里暖心驿站).
_CJK_TEXT = _CJK + "\u3000-\u303f\uff00-\uffef"
LINE_BREAK_IN_CHINESE = re.compile(rf"(?<=[{_CJK_TEXT}])\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*(?=[{_CJK_TEXT}])")


def one_line(raw: str | None) -> str:
    """A short text as a public screen may show it: on one line, without control or format characters.
    Lines join with a space, but for a break inside Chinese (LINE_BREAK_IN_CHINESE)."""
    return " ".join(_shown(LINE_BREAK_IN_CHINESE.sub("", raw or "")).split())


def lines(raw: str | None) -> str:
    """A longer text (a suggestion, a reply) as a screen may show it: its lines and tabs kept, control
    and format characters dropped (not spaced: 坏\x00了 is 坏了), each line trimmed, no empty lines
    at either end."""
    kept = _shown((raw or "").replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t", instead="")
    return "\n".join(line.strip() for line in kept.split("\n")).strip("\n")


def spreadsheet_safe(text: str) -> str:
    """A name typed as =cmd|… must not become a formula when a keeper opens an export in Excel."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
