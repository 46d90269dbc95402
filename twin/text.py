"""Words a person reads, in the two languages of the people who run the building.

Property supervisors and safety officers in China write their plans in Simplified Chinese
(``zh-CN``); consultants and head offices often read English (``en``). Every label a person reads
— a KPI, a parameter, a unit, a model or scenario title, a verdict — is declared once, where the
thing it names is defined, as a :data:`Text`: a mapping from language code to words, with both
languages present (:func:`text` refuses one without the other, so nothing ships half-translated).
Code names (``rset_s``) stay in JSON and are shown beside the words as secondary text.

Terms follow Chinese fire and property practice; the glossary is ``docs/glossary.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "Text", "text", "pick", "missing_languages", "normalise_language"]

DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "zh-CN": "简体中文"}
"""Language code → its own name (what a language picker shows)."""

Text = Mapping[str, str]
"""Words in each language: ``{"en": "Evacuation time", "zh-CN": "疏散时间"}``."""


def text(en: str, zh_cn: str) -> dict[str, str]:
    """A :data:`Text` in both languages; an empty one is a programming error, refused at import."""
    if not en or not en.strip() or not zh_cn or not zh_cn.strip():
        raise ValueError(f"a label needs both languages: en={en!r}, zh-CN={zh_cn!r}")
    return {"en": en, "zh-CN": zh_cn}


def normalise_language(lang: str | None) -> str:
    """A supported language for a language tag: ``zh``, ``zh-cn``, ``zh_Hans`` → ``zh-CN``; else ``en``."""
    if not lang:
        return DEFAULT_LANGUAGE
    tag = lang.replace("_", "-").lower()
    return "zh-CN" if tag.startswith("zh") else DEFAULT_LANGUAGE


def pick(words: Text | str | None, lang: str | None = None) -> str:
    """The words in ``lang`` (English when that language is missing; a plain string as it is)."""
    if words is None:
        return ""
    if isinstance(words, str):
        return words
    code = normalise_language(lang)
    return words.get(code) or words.get(DEFAULT_LANGUAGE) or next(iter(words.values()), "")


def missing_languages(words: Text | str | None) -> list[str]:
    """The languages ``words`` lacks (all of them for a plain string or nothing)."""
    if not isinstance(words, Mapping):
        return list(LANGUAGES)
    return [code for code in LANGUAGES if not str(words.get(code) or "").strip()]
