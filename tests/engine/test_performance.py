import torch

from vidpose.engine.performance import (
    COMPILE_MIN_WORK,
    autocast,
    maybe_compile,
    prepare_model,
    resolve_speed,
)

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_auto_is_plain_fp32_eager_on_cpu():
    speed = resolve_speed(CPU, training_work=10 * COMPILE_MIN_WORK)
    assert (speed.autocast_dtype, speed.channels_last, speed.compile) == (None, False, False)
    assert speed.precision == "fp32"


def test_auto_on_cuda_is_bf16_channels_last_and_compiles_only_long_runs():
    short = resolve_speed(CUDA, training_work=COMPILE_MIN_WORK / 2)
    long = resolve_speed(CUDA, training_work=COMPILE_MIN_WORK)
    assert short.precision == "bf16" and short.channels_last and not short.compile
    assert long.compile
    explicit = resolve_speed(CUDA, precision="fp32", channels_last=False, compile=True)
    assert (explicit.precision, explicit.channels_last, explicit.compile) == ("fp32", False, True)


def test_fp32_settings_leave_the_model_and_autocast_alone():
    model = torch.nn.Conv2d(3, 4, 3)
    speed = resolve_speed(CPU)
    assert maybe_compile(prepare_model(model, speed), speed) is model
    assert model.weight.is_contiguous()
    with autocast(CPU, speed):
        assert model(torch.ones(1, 3, 5, 5)).dtype == torch.float32


def test_bf16_and_channels_last_when_asked_for_on_cpu():
    model = torch.nn.Conv2d(3, 4, 3)
    speed = resolve_speed(CPU, precision="bf16", channels_last=True)
    prepare_model(model, speed)
    assert model.weight.is_contiguous(memory_format=torch.channels_last)
    assert model.weight.dtype == torch.float32  # weights stay fp32 under autocast
    with autocast(CPU, speed):
        assert model(torch.ones(1, 3, 5, 5)).dtype == torch.bfloat16
