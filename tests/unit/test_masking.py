"""Secrets are masked in output: whole, split across writes, repeated, inside other text."""

from __future__ import annotations

import base64

import pytest

from ishcd.runner.masking import Masker

SECRET = "hunter2-s3cr3t"


def masked(secrets: list[str], *chunks: bytes) -> bytes:
    masker = Masker(secrets)
    return b"".join(masker.feed(chunk) for chunk in chunks) + masker.flush()


def test_a_secret_printed_whole() -> None:
    assert masked([SECRET], f"password={SECRET}\n".encode()) == b"password=***\n"


@pytest.mark.parametrize("split", range(1, len(SECRET)))
def test_a_secret_split_across_two_writes_at_every_point(split: int) -> None:
    text = f"before {SECRET} after".encode()
    at = len("before ") + split
    assert masked([SECRET], text[:at], text[at:]) == b"before *** after"


def test_a_secret_split_into_single_bytes() -> None:
    text = f"x{SECRET}y".encode()
    assert masked([SECRET], *(bytes([b]) for b in text)) == b"x***y"


def test_repeated_and_adjacent_occurrences() -> None:
    text = f"{SECRET}{SECRET} {SECRET}\n{SECRET}".encode()
    assert masked([SECRET], text) == b"****** ***\n***"


def test_inside_other_text_and_several_secrets() -> None:
    text = b"user=admin;token=abcd1234efgh;pw=hunter2-s3cr3t;end"
    assert masked([SECRET, "abcd1234efgh"], text) == b"user=admin;token=***;pw=***;end"


def test_the_longest_secret_wins_when_one_contains_another() -> None:
    assert masked(["abcd", "abcdefgh"], b"abcdefgh abcd") == b"*** ***"
    assert masked(["abcd", "abcdefgh"], b"abcdef", b"gh abcd") == b"*** ***"


def test_regex_and_base64_characters_are_taken_literally() -> None:
    secret = "aGVs+bG8/w==.*"
    assert masked([secret], f"[{secret}]".encode()) == b"[***]"
    assert masked([secret], b"aGVsXbG8/w==") == b"aGVsXbG8/w=="


def test_unrelated_base64_is_not_touched_and_encodings_of_a_secret_are_not_caught() -> None:
    # Masking is literal: a script that re-encodes a secret prints that encoding.
    encoded = base64.b64encode(SECRET.encode())
    assert masked([SECRET], encoded) == encoded
    unrelated = base64.b64encode(b"nothing to see")
    assert masked([SECRET], unrelated + b"\n") == unrelated + b"\n"


def test_short_values_are_not_masked() -> None:
    assert masked(["abc", "x"], b"abc x abcd") == b"abc x abcd"
    assert masked(["abcd"], b"abc abcd") == b"abc ***"


def test_each_line_of_a_multiline_secret_is_masked() -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----"
    assert masked([key], b"line: MIIEvQIBADANBg\n") == b"line: ***\n"
    assert masked([key], key.encode()) == b"***"


def test_unicode_secrets_split_inside_a_character() -> None:
    secret = "pässwörd-ü"
    data = f"a {secret} b".encode()
    assert masked([secret], data[:5], data[5:]) == b"a *** b"


def test_nothing_held_back_without_secrets() -> None:
    masker = Masker([])
    assert masker.feed(b"abc") == b"abc"
    assert masker.flush() == b""


def test_output_is_only_delayed_by_less_than_the_longest_secret() -> None:
    masker = Masker([SECRET])
    out = masker.feed(b"x" * 100 + SECRET[:-1].encode())
    assert out == b"x" * 100
    assert masker.flush() == SECRET[:-1].encode()


def test_output_that_cannot_start_a_secret_is_not_held_back() -> None:
    # A quiet script's last line must reach the log now, not with its next output.
    masker = Masker([SECRET])
    assert masker.feed(b"waiting for approval\n") == b"waiting for approval\n"
    assert masker.feed(b"x" * 100) == b"x" * 100
    assert masker.flush() == b""


def test_only_a_possible_start_of_a_secret_is_held_back() -> None:
    masker = Masker([SECRET, "other-secret"])
    assert masker.feed(b"say hunt") == b"say "
    assert masker.feed(b"ing season, oth") == b"hunting season, "
    assert masker.feed(b"er-secret!") == b"***!"
    assert masker.flush() == b""


def test_a_pathological_tail_is_held_back_rather_than_scanned_for_long() -> None:
    secret = "a" * 60_000 + "b"
    masker = Masker([secret])
    data = b"a" * 60_000 + b"c"
    out = masker.feed(data)
    assert len(out) < len(data)  # held back, to be safe
    assert out + masker.flush() == data
    assert masked([secret], b"a" * 30_000, b"a" * 30_000 + b"b") == b"***"
