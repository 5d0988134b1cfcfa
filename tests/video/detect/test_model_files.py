import zipfile

import pytest

from vidpose.infra.errors import UserError
from vidpose.video.detect import model_files
from vidpose.video.detect.model_files import MODELS, ModelSpec, check_onnx_file, resolve_models


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDPOSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VIDPOSE_OFFLINE", raising=False)
    return tmp_path / "cache" / "models"


def test_files_that_are_not_onnx_are_refused_in_one_line(tmp_path):
    text, archive = tmp_path / "model.onnx", tmp_path / "model.zip"
    text.write_text("not a model")
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("end2end.onnx", b"\x08\x07")
    with pytest.raises(UserError, match=r"^--pose-model .*model.onnx: not an ONNX model"):
        check_onnx_file(text, "--pose-model")
    with pytest.raises(UserError, match=r"a zip archive, not an ONNX model .*unzip"):
        check_onnx_file(archive, "--detector-model")
    with pytest.raises(UserError, match="does not exist"):
        check_onnx_file(tmp_path / "missing.onnx", "--pose-model")
    with pytest.raises(UserError, match="not a file"):
        check_onnx_file(tmp_path, "--pose-model")


def test_a_file_that_starts_like_onnx_but_does_not_load_is_refused(tmp_path):
    from vidpose.video.detect.model_files import open_session

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07garbage")
    with pytest.raises(UserError, match=r"--pose-model .*ONNX Runtime cannot load it"):
        open_session(broken, "--pose-model")


def test_offline_the_error_names_every_missing_file_its_url_and_cache_path(cache, monkeypatch):
    monkeypatch.setenv("VIDPOSE_OFFLINE", "1")
    wanted = [("--detector-model", "rtmdet-m"), ("--pose-model", "rtmpose-m")]
    with pytest.raises(UserError) as error:
        resolve_models(wanted)
    message = str(error.value)
    assert "\n" not in message and "offline" in message
    for spec in (MODELS["rtmdet-m"], MODELS["rtmpose-m"]):
        assert spec.url in message and str(cache / spec.file_name) in message


def test_a_failed_download_says_why_and_what_to_fetch(cache, monkeypatch):
    def no_network(spec, target, progress):
        raise OSError("Name or service not known")

    monkeypatch.setattr(model_files, "_download", no_network)
    with pytest.raises(UserError, match=r"download failed: Name or service not known; fetch https"):
        resolve_models([("--pose-model", "rtmo-m")])


def test_known_models_are_downloaded_once_and_unzipped_into_the_cache(
    cache, tmp_path, monkeypatch, onnx_models
):
    archive = tmp_path / "published.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(onnx_models["pose"], "rtmpose-m/end2end.onnx")
        bundle.writestr("rtmpose-m/pipeline.json", "{}")
    spec = ModelSpec("test-pose", "top-down", archive.as_uri(), (192, 256), "coco17")
    monkeypatch.setitem(MODELS, "test-pose", spec)
    (path,) = resolve_models([("--pose-model", "test-pose")], progress=False)
    assert path == cache / "published.onnx"
    assert path.read_bytes() == onnx_models["pose"].read_bytes()
    assert sorted(p.name for p in cache.iterdir()) == ["published.onnx"]  # no leftovers
    archive.unlink()  # the second time comes from the cache
    assert resolve_models([("--pose-model", "test-pose")]) == [path]


def test_local_files_are_used_as_given_and_unknown_names_listed(cache, onnx_models):
    assert resolve_models([("--pose-model", str(onnx_models["pose"]))]) == [onnx_models["pose"]]
    with pytest.raises(UserError, match=r"--pose-model rtmpose-q: .*known: rtmdet-m"):
        resolve_models([("--pose-model", "rtmpose-q")])


def test_cuda_is_refused_clearly_where_onnx_runtime_has_no_cuda_provider(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert model_files.providers_for("cpu") == ["CPUExecutionProvider"]
    with pytest.raises(UserError, match="no CUDA provider"):
        model_files.providers_for("cuda")
    both = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: both)
    assert model_files.providers_for("cuda:1")[0] == ("CUDAExecutionProvider", {"device_id": 1})


def _pipeline(normalize: dict, size=(192, 256)) -> str:
    """A pipeline.json as MMDeploy's SDK archives hold it (the preprocessing task)."""
    import json

    transforms = [
        {"type": "LoadImageFromFile"},
        {"type": "TopDownGetBboxCenterScale", "padding": 1.25, "image_size": list(size)},
        {"type": "TopDownAffine", "image_size": list(size)},
        {"type": "Normalize", **normalize},
        {"type": "ImageToTensor", "keys": ["img"]},
    ]
    tasks = [
        {"type": "Task", "module": "Transform", "name": "Preprocess", "transforms": transforms}
    ]
    return json.dumps({"pipeline": {"input": ["img"], "tasks": tasks}})


RTMPOSE = {"mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375], "to_rgb": True}


@pytest.mark.parametrize(
    ("normalize", "size", "problem"),
    [
        (RTMPOSE, (192, 256), None),
        ({**RTMPOSE, "to_rgb": False}, (192, 256), r"to_rgb False \(vidpose feeds RGB\)"),
        ({**RTMPOSE, "mean": [103.53, 116.28, 123.675]}, (192, 256), "mean"),
        ({**RTMPOSE, "std": [1, 1, 1]}, (192, 256), "std"),
        (RTMPOSE, (288, 384), r"TopDownAffine size \[288, 384\] \(vidpose uses \[192, 256\]\)"),
    ],
)
def test_the_archives_pipeline_json_is_compared_with_the_runner(
    cache, tmp_path, monkeypatch, onnx_models, normalize, size, problem
):
    archive = tmp_path / "published.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(onnx_models["pose"], "rtmpose-m/end2end.onnx")
        bundle.writestr("rtmpose-m/pipeline.json", _pipeline(normalize, size))
    spec = ModelSpec("test-pose", "top-down", archive.as_uri(), (192, 256), "coco17")
    monkeypatch.setitem(MODELS, "test-pose", spec)
    if problem is None:
        (path,) = resolve_models([("--pose-model", "test-pose")], progress=False)
        assert path.is_file()
        return
    with pytest.raises(UserError, match=rf"test-pose: .*pipeline.json preprocesses.*{problem}"):
        resolve_models([("--pose-model", "test-pose")], progress=False)
    assert not cache.exists()  # nothing kept, not even the folder


def test_the_runners_constants_agree_with_the_published_pipelines():
    from vidpose.video.detect.input_spec import sdk_pipeline_differences

    detector = {"type": "Normalize", "mean": [103.53, 116.28, 123.675],
                "std": [57.375, 57.12, 58.395], "to_rgb": False}  # fmt: skip
    resize = {"type": "Resize", "size": [640, 640], "keep_ratio": True}
    pipeline = {"pipeline": {"tasks": [{"transforms": [resize, detector]}]}}
    assert sdk_pipeline_differences(pipeline, "detector", (640, 640)) == []
    raw = {"type": "Normalize", "mean": [0, 0, 0], "std": [1, 1, 1], "to_rgb": False}
    pipeline = {"pipeline": {"tasks": [{"transforms": [resize, raw]}]}}
    assert sdk_pipeline_differences(pipeline, "one-stage", (640, 640)) == []
    assert sdk_pipeline_differences(pipeline, "detector", (640, 640)) != []
