"""fastjson: orjson's speed with json.loads's answers (values, errors, wide integers)."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.importers import fastjson

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.booleans(), st.booleans())
def test_documents_parse_as_json_parses_them(value: Any, ascii_only: bool, spaced: bool) -> None:
    separators = (", ", ": ") if spaced else (",", ":")
    raw = json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode()
    parsed = fastjson.loads(raw)
    assert parsed == json.loads(raw)
    assert json.dumps(parsed) == json.dumps(json.loads(raw))  # same types, same key order


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "b": 2, "a": 3}',  # duplicate keys: the last value, in the first place
        b"\xef\xbb\xbf{}",  # a byte order mark
        '{"a": "é"}'.encode("utf-16"),
        b'"\\ud800"',  # a lone surrogate
        b"[1e400, -1e400]",  # beyond a float: infinities
        b"-0",
        b"[0.1, 2.2250738585072014e-308, 5e-324, 1.7976931348623157e308]",
        b" \t\r\n[1] \n",
        b"[" * 2000 + b"]" * 2000,  # deeper than orjson goes
    ],
)
def test_input_orjson_refuses_gets_json_s_value(raw: bytes) -> None:
    try:
        expected = json.loads(raw)
    except RecursionError:
        with pytest.raises(RecursionError):
            fastjson.loads(raw)
        return
    assert json.dumps(fastjson.loads(raw)) == json.dumps(expected)


def test_nan_and_infinity_as_json_reads_them() -> None:
    parsed = fastjson.loads(b"[NaN, Infinity, -Infinity]")
    assert math.isnan(parsed[0]) and parsed[1:] == [math.inf, -math.inf]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"a": 1', json.JSONDecodeError),
        (b"[1,]", json.JSONDecodeError),
        (b"01", json.JSONDecodeError),
        (b'"a\x01b"', json.JSONDecodeError),
        (b'{"a": 1} x', json.JSONDecodeError),
        (b'"bad \xff byte"', UnicodeDecodeError),
    ],
)
def test_errors_are_json_s_errors(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        fastjson.loads(raw)
    with pytest.raises(error) as expected:
        json.loads(raw)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_told_by_is_wide(number: int) -> None:
    parsed = fastjson.loads(f'{{"n": {number}}}'.encode())["n"]
    assert parsed == float(number)
    assert fastjson.is_wide(parsed)


@pytest.mark.parametrize("number", [2**64 - 1, -(2**63), 0, 12])
def test_integers_within_64_bits_stay_integers(number: int) -> None:
    parsed = fastjson.loads(str(number).encode())
    assert type(parsed) is int and parsed == number
    assert not fastjson.is_wide(parsed)


def test_a_wide_float_may_be_flagged_and_json_then_agrees() -> None:
    """is_wide errs on the safe side: a float literal that large is flagged too, and the
    importer's second parse with json gives the same float."""
    parsed = fastjson.loads(b"1.5e19")
    assert fastjson.is_wide(parsed)
    assert json.loads(b"1.5e19") == parsed
    assert not fastjson.is_wide(fastjson.loads(b"12.0"))


def test_long_texts_skip_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """orjson needs about 13 bytes of memory a byte of text: long texts go to json."""
    calls: list[int] = []
    real = orjson.loads

    def counting(raw: bytes) -> Any:
        calls.append(len(raw))
        return real(raw)

    monkeypatch.setattr(orjson, "loads", counting)
    short = json.dumps({"text": "x" * 100}).encode()
    long = json.dumps({"text": "x" * fastjson.FAST_LIMIT}).encode()
    assert fastjson.loads(short) == json.loads(short)
    assert fastjson.loads(long) == json.loads(long)
    assert calls == [len(short)]
