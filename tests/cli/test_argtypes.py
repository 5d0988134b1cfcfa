"""Shared argparse number types: the values they accept and the one-line errors they give."""

import argparse

import pytest

from vidpose.cli import main
from vidpose.cli.argtypes import int_in_range, non_negative_int, positive_int


def test_accepts_values_in_range():
    assert positive_int("1") == 1
    assert non_negative_int("0") == 0
    assert int_in_range(2, 256)("256") == 256


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (positive_int, "0", "0 must be at least 1"),
        (non_negative_int, "-3", "-3 must be at least 0"),
        (int_in_range(2, 256), "257", "257 must be between 2 and 256"),
        (positive_int, "2.5", "'2.5' is not a whole number"),
        (positive_int, "ten", "'ten' is not a whole number"),
    ],
)
def test_rejects_with_a_message(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["synth", "OUT", "--preset", "tiny", "--size", "0"], "--size: 0 must be at least 1"),
        (["synth", "OUT", "--preset", "tiny", "--seed", "-1"], "--seed: -1 must be at least 0"),
        (["show", "STORE", "--out", "x.png", "--clips", "500"], "500 must be between 1 and 200"),
        (["prepare", "h36m", "RAW", "OUT", "--size", "8"], "8 must be between 16 and 1024"),
    ],
)
def test_commands_refuse_bad_numbers_in_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written
