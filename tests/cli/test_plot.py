"""``vidpose plot RUN_DIR`` end to end through the command-line entry point."""

from __future__ import annotations

from vidpose.cli import main

METRICS = """kind,epoch,step,split,loss,mpjpe_mm,lr,elapsed_s
step,1,1,train,0.30,520.0,0.001,0.1
step,1,2,train,0.20,430.0,0.001,0.2
epoch,1,2,train,0.25,475.0,0.001,0.2
epoch,1,2,test,0.22,450.0,,0.3
step,2,3,train,0.12,330.0,0.001,0.4
step,2,4,train,0.10,300.0,0.001,0.5
epoch,2,4,train,0.11,315.0,0.001,0.5
epoch,2,4,test,0.15,360.0,,0.6
"""


def test_plot_writes_the_curves_and_names_them(tmp_path, capsys):
    (tmp_path / "metrics.csv").write_text(METRICS)
    assert main(["plot", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("curves_loss.png", "curves_mpjpe.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
        assert name in out


def test_plot_redraws_existing_curves_only_with_overwrite(tmp_path, capsys):
    (tmp_path / "metrics.csv").write_text(METRICS)
    (tmp_path / "curves_mpjpe.png").write_bytes(b"old")
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "curves_mpjpe.png: already exists (use --overwrite" in err
    assert (tmp_path / "curves_mpjpe.png").read_bytes() == b"old"
    assert not (tmp_path / "curves_loss.png").exists()
    assert main(["plot", str(tmp_path), "--overwrite"]) == 0
    assert (tmp_path / "curves_mpjpe.png").read_bytes().startswith(b"\x89PNG")


def test_plot_of_a_folder_without_metrics_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vidpose plot: error: ") and err.count("\n") == 1
    assert "metrics.csv: missing" in err
    assert not list(tmp_path.iterdir())


def test_plot_of_a_malformed_metrics_file_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "metrics.csv").write_text(METRICS.replace("0.12", "twelve"))
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 6: loss 'twelve' is not a number" in err
