"""Texts the system writes into records (a task's reason, a status change's reason), stored once and shown in
the reader's language (issue 13: "store codes, render words").

A writer calls `system_text(MSGID, **params)`: the English text is stored, whatever language is active (a
night run, an import or a page in Vietnamese all store the same words). Pages show it through the
`system_text` template filter (core.templatetags.display): a stored text that matches one of the registered
message ids is translated, with its parameters, into the reader's language; anything else (what a person
typed) is shown as it is. Parameters that are themselves messages (a risk tier's "High") are translated too.
"""

import re
from collections.abc import Callable
from functools import cache

from django.utils import translation
from django.utils.translation import gettext

SYSTEM_TEXTS: list[str] = []
# (msgid, parameter) -> how to show that parameter's stored value in the reader's language (codes -> names)
PARAMETER_WORDS: dict[tuple[str, str], Callable[[str], str]] = {}
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def register_system_texts(*msgids: str) -> None:
    """Apps register their texts from AppConfig.ready() (their `texts.py`), so any process can show them."""
    for msgid in msgids:
        if msgid not in SYSTEM_TEXTS:
            SYSTEM_TEXTS.append(msgid)
    _patterns.cache_clear()


def register_parameter_words(msgid: str, name: str, words: Callable[[str], str]) -> None:
    """Show the parameter `name` of `msgid` through `words(stored value)`: stored codes, read as words."""
    PARAMETER_WORDS[(msgid, name)] = words


def system_text(msgid: str, **params) -> str:
    """The English text to store; `msgid` is one of the registered texts (marked with gettext_noop)."""
    with translation.override("en"):
        return gettext(msgid) % params if params else gettext(msgid)


@cache
def _patterns() -> list[tuple[re.Pattern, str, dict]]:
    patterns = []
    for msgid in SYSTEM_TEXTS:
        parts, kinds, last = [], {}, 0
        for match in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[last : match.start()]))
            name, kind = match.groups()
            parts.append(f"(?P<{name}>.+?)" if name not in kinds else f"(?P={name})")
            kinds[name] = kind
            last = match.end()
        parts.append(re.escape(msgid[last:]))
        patterns.append((re.compile("^" + "".join(parts) + "$", re.S), msgid, kinds))
    return patterns


def show_system_text(text: str) -> str:
    """`text` in the active language when the system wrote it; otherwise unchanged."""
    if not text:
        return text
    for pattern, msgid, kinds in _patterns():
        match = pattern.match(text)
        if match:
            try:
                params = {
                    name: int(value) if kinds[name] == "d" else PARAMETER_WORDS.get((msgid, name), _word)(value)
                    for name, value in match.groupdict().items()
                }
                return gettext(msgid) % params
            except (KeyError, TypeError, ValueError):  # not a number where one belongs; a broken entry
                continue
    return text


def _word(value: str) -> str:
    """A parameter in the reader's language: a system text itself (nested), a message ("High"), or as is."""
    shown = show_system_text(value)
    return shown if shown != value else gettext(value)
