"""``vidpose export CHECKPOINT OUT.onnx``: an ONNX model for deployment, checked in onnxruntime."""

from __future__ import annotations

import argparse

from vidpose.cli.argtypes import add_overwrite_option

ORDER = 70
DEFAULT_OPSET = (
    18  # = vidpose.engine.onnx_export.DEFAULT_OPSET, which imports torch (too slow for --help)
)

EPILOG = """\
the ONNX model:
  input  frames   uint8 (B, T, S, S, 3) RGB person crops, S = the training input side,
                  T = the training clip length (both printed); B is dynamic
  output poses3d  float32 (B, T, 17, 3) metres, root-relative, camera frame
  the ImageNet normalisation is inside the graph. Needs: pip install vidpose[export]
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a checkpoint to ONNX (uint8 frames in, poses out; dynamic batch)",
        description="Export a checkpoint to ONNX and check it matches PyTorch in onnxruntime "
        "(batches of 1 and 3, CPU).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="a vidpose checkpoint (.pt)")
    parser.add_argument("out", metavar="OUT.onnx", help="the ONNX file to write")
    parser.add_argument(
        "--opset", type=int, default=DEFAULT_OPSET, metavar="N", help="ONNX opset (default 18)"
    )
    add_overwrite_option(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from vidpose.infra.atomic import check_output, user_error_on_write
    from vidpose.infra.errors import UserError

    if not args.out.endswith(".onnx"):
        raise UserError(f"{args.out}: the output file must end in .onnx")
    # before the export and its check, which take a while
    check_output(args.out, overwrite=args.overwrite, inputs=(args.checkpoint,))
    from vidpose.engine.onnx_export import export_onnx

    with user_error_on_write(args.out):
        report = export_onnx(args.checkpoint, args.out, opset=args.opset)
    worst_mm = max(report.max_abs_diff_m.values()) * 1000
    print(
        f"wrote {report.path}: opset {report.opset}, input frames uint8 "
        f"(batch, {report.clip_frames}, {report.image_size}, {report.image_size}, 3), "
        f"output poses3d (batch, {report.clip_frames}, 17, 3) metres; "
        f"onnxruntime matches PyTorch within {worst_mm:.2g} mm"
    )
    return 0
