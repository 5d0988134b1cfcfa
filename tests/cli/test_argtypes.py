"""Shared argparse number types: the values they accept and the one-line errors they give."""

import argparse

import pytest

from vidpose.cli import main
from vidpose.cli.argtypes import (
    comma_names,
    fraction,
    int_in_range,
    non_negative_int,
    positive_float,
    positive_int,
)


def test_accepts_values_in_range():
    assert positive_int("1") == 1
    assert non_negative_int("0") == 0
    assert int_in_range(2, 256)("256") == 256
    assert positive_float("0.5") == 0.5 and positive_float("1e3") == 1000.0
    assert fraction("0") == 0.0 and fraction("1") == 1.0 and fraction("0.25") == 0.25
    assert comma_names("subject")(" S9, ,S11,") == ("S9", "S11")


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (positive_int, "0", "0 must be at least 1"),
        (non_negative_int, "-3", "-3 must be at least 0"),
        (int_in_range(2, 256), "257", "257 must be between 2 and 256"),
        (positive_int, "2.5", "'2.5' is not a whole number"),
        (positive_int, "ten", "'ten' is not a whole number"),
        (positive_float, "0", "'0' must be a positive number"),
        (positive_float, "-2", "'-2' must be a positive number"),
        (positive_float, "inf", "'inf' must be a positive number"),
        (positive_float, "nan", "'nan' must be a positive number"),
        (positive_float, "fast", "'fast' is not a number"),
        (fraction, "1.5", r"'1.5' must lie in \[0, 1\]"),
        (fraction, "-0.1", r"'-0.1' must lie in \[0, 1\]"),
        (fraction, "nan", r"'nan' must lie in \[0, 1\]"),
        (fraction, "half", "'half' is not a number"),
        (comma_names("subject"), " , ", "' , ' names no subject"),
        (comma_names("action"), "", "'' names no action"),
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
        (["prepare", "mocap", "X.bvh", "OUT.npz", "--fps", "0"], "'0' must be a positive number"),
        (["prepare", "mocap", "X.bvh", "OUT.npz", "--scale", "-1"], "must be a positive number"),
        (["prepare", "shipped", "OUT", "ROOT", "--coco-share", "2"], "'2' must lie in [0, 1]"),
        (["prepare", "shipped", "OUT", "ROOT", "--test-subjects", ","], "names no subject"),
        (["synth", "OUT", "--poses-only", "--actions", ","], "--actions: ',' names no action"),
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
