"""``vidpose prepare mocap`` (:func:`vidpose.sources.mocap.convert`): argument errors."""

from vidpose.cli import main


def test_an_asf_that_does_not_exist_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "take.bvh").write_text("HIERARCHY\n")
    missing = tmp_path / "none.asf"
    argv = ["prepare", "mocap", str(tmp_path / "take.bvh"), str(tmp_path / "out.npz")]
    assert main([*argv, "--asf", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"vidpose prepare: error: --asf {missing}: no such file"
    assert not (tmp_path / "out.npz").exists()
