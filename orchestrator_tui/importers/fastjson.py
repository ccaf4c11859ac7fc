"""JSON for the importers: orjson's speed, the standard library's answers.

orjson parses transcript lines two to three times faster than ``json``. Where the two
differ, ``loads`` gives what ``json.loads`` gives:

- orjson refuses some input ``json`` accepts (``NaN`` and ``Infinity``, numbers beyond the
  range of a float, lone surrogates, a byte order mark, UTF-16 or UTF-32 text, nesting
  deeper than 1024): on any orjson error the text is parsed again by ``json``, which then
  returns its value or raises its own error (``ValueError``, ``UnicodeDecodeError``,
  ``RecursionError``), the one the importers report.
- one difference is not an error: an integer beyond 64 bits comes back as the nearest
  float, where ``json`` gives the exact ``int``. ``is_wide`` tells such a float; an
  importer that reads an integer from a field checks it and parses the text again with
  ``json`` (Claude Code's token counts).

orjson also needs more memory while it parses: about 13 times the text's size, where
``json`` needs twice. A 10 MB line (a pasted screenshot) would cost 130 MB for a moment, so
only texts of up to ``FAST_LIMIT`` bytes go to orjson (at most about 0.4 MB at a time);
longer ones, few but large, go to ``json``.

Everything else was checked to agree: floats are rounded alike, duplicate keys keep the
last value in the first key's place, strings and escapes, whitespace, and what either
rejects (tests/test_import_fastjson.py compares them on generated documents).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

FAST_LIMIT = 32 * 1024
_WIDE = 2.0**63  # every integer orjson returns as an int is below 2**64; floats from 2**63


def loads(raw: bytes) -> Any:
    """``json.loads(raw)``, faster; see the module's note on integers beyond 64 bits."""
    if len(raw) <= FAST_LIMIT:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def is_wide(value: object) -> bool:
    """A float that may stand for an integer too wide for orjson (``json`` gives an int)."""
    return isinstance(value, float) and value.is_integer() and abs(value) >= _WIDE
