"""Every string the code and templates show has a translation in every catalog, and the
compiled catalogs match their sources."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "kiosk" / "translations"
LANGUAGES = ["zh_Hans", "zh_Hant", "en"]
METHOD_MAP = [("kiosk/**.py", "python"), ("kiosk/**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(ROOT, METHOD_MAP, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_translates_every_message_in_the_code(lang):
    cat = catalog(lang)
    wanted = source_messages()
    assert len(wanted) > 20
    missing = sorted(m for m in wanted if m not in cat or not all(_forms(cat[m].string)) or cat[m].fuzzy)
    assert missing == [], f"{lang} lacks translations for: {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_is_not_stale(lang):
    po = {_forms(m.id): _forms(m.string) for m in catalog(lang) if m.id}
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = {_forms(m.id): _forms(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "run `make translations`"


def _forms(text) -> tuple:
    """A message's text as a tuple: one entry, or one per plural form (ngettext)."""
    return tuple(text) if isinstance(text, (list, tuple)) else (text,)


def test_chinese_catalogs_are_in_their_own_script():
    # A few characters that differ between the scripts: 简体 must not carry 繁體 forms and back.
    hans = " ".join(str(m.string) for m in catalog("zh_Hans") if m.id)
    hant = " ".join(str(m.string) for m in catalog("zh_Hant") if m.id)
    assert not set("簽願務請選擇頁關") & set(hans)
    assert not set("签愿务请选择页关") & set(hant)


@pytest.mark.parametrize("lang, name", [("zh_Hans", "常态化服务"), ("zh_Hant", "常態化服務"), ("en", "recurring duty")])
def test_a_recurring_duty_has_one_name_wherever_it_is_told(lang, name):
    # The activity form names it; the report's explanation of 开展活动 must say the same, not 常设岗位.
    told = {m.id: str(m.string) for m in catalog(lang) if m.id and "recurring duty" in str(m.id)}
    assert len(told) >= 4
    assert {message: name in text for message, text in told.items()} == dict.fromkeys(told, True)


def test_traditional_chinese_says_one_word_for_camera_and_for_a_record():
    # Issue W11: 鏡頭 everywhere (not 相機 here and there), and 紀錄 for the noun; 記錄 only where
    # it is the verb (to record their hours, as recorded by the station).
    hant = {m.id: str(m.string) for m in catalog("zh_Hant") if m.id}
    assert [message for message, text in hant.items() if "相機" in text] == []
    assert sorted(message for message, text in hant.items() if "記錄" in text) == [
        "Record their hours",
        "This is to certify that %(name)s served as a volunteer at %(station)s from %(start)s to %(end)s, "
        "%(hours)s hours in total, as recorded by the station and confirmed by its keepers.",
    ]
    assert hant["Service records"] == "服務紀錄"


def test_traditional_chinese_calls_the_barcode_scanner_by_its_own_word():
    # 掃碼槍 is the mainland's word written in traditional characters; a 繁體 reader says 掃描槍.
    hant = {m.id: str(m.string) for m in catalog("zh_Hant") if m.id}
    assert [message for message, text in hant.items() if "掃碼槍" in text] == []
    assert hant["scanner"] == "掃描槍" and "掃描槍" in hant["Scanner input"]


def test_one_word_for_hours_quotes_and_the_stations_times():
    """A probe read 時長 beside 時數, 「」 in one 简体 line among “”, and 开门时间 on the settings
    form while every message said 开站 and 闭站."""
    hans = {m.id: str(m.string) for m in catalog("zh_Hans") if m.id and isinstance(m.string, str)}
    hant = {m.id: str(m.string) for m in catalog("zh_Hant") if m.id and isinstance(m.string, str)}
    assert [m for m, text in hant.items() if "時長" in text] == []
    assert [m for m, text in hans.items() if "「" in text or "」" in text] == []
    for texts, words in ((hans, ("开门", "关门")), (hant, ("開門", "關門"))):
        assert [m for m, text in texts.items() if any(word in text for word in words)] == []
    assert (hans["Opening time"], hans["Closing time"], hant["Opening time"]) == ("开站时间", "闭站时间", "開站時間")
