import pytest
import torch

from vidpose.cli import export as export_command
from vidpose.cli import main


@pytest.mark.slow
def test_export_writes_a_checked_onnx_file(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(tiny_checkpoint), str(out), "--opset", "17"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: opset 17" in printed and "(batch, 8, 32, 32, 3)" in printed
    assert "onnxruntime matches PyTorch" in printed
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_cli_default_opset_is_the_exporters():
    from vidpose.engine.onnx_export import DEFAULT_OPSET

    assert export_command.DEFAULT_OPSET == DEFAULT_OPSET


def test_export_errors_are_one_line_and_write_nothing(tmp_path, capsys, monkeypatch):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    assert main(["export", str(foreign), str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a vidpose checkpoint" in err[0]

    import vidpose.engine.onnx_export

    real_find_spec = vidpose.engine.onnx_export.importlib.util.find_spec
    monkeypatch.setattr(
        vidpose.engine.onnx_export.importlib.util,
        "find_spec",
        lambda name: None if name == "onnx" else real_find_spec(name),
    )
    assert main(["export", str(foreign), str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["vidpose export: error: ONNX export needs onnx: pip install vidpose[export]"]
    assert [p.name for p in tmp_path.iterdir()] == ["foreign.pt"]


def test_export_refuses_an_existing_file_and_its_own_checkpoint(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "model.onnx"
    out.write_bytes(b"an earlier export")
    assert main(["export", str(tiny_checkpoint), str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"vidpose export: error: {out}: already exists (use --overwrite to replace it)\n"
    assert out.read_bytes() == b"an earlier export"
    checkpoint = tmp_path / "tiny.onnx"  # a checkpoint saved under an .onnx name
    checkpoint.write_bytes(tiny_checkpoint.read_bytes())
    assert main(["export", str(checkpoint), str(checkpoint), "--overwrite"]) == 2
    assert "is also an input of this command" in capsys.readouterr().err
    assert checkpoint.read_bytes() == tiny_checkpoint.read_bytes()
