"""Pretrained backbone weights (``model.pretrained``): timm's own, through timm's hub cache
(:func:`create_timm_backbone`; offline, a one-line error names the model and how to pass a
local file), or a local weights file (:func:`load_backbone_weights`).
"""

from __future__ import annotations

import contextlib
import socket
import urllib.parse
from pathlib import Path

import torch
from torch import nn

from vidpose.infra.errors import UserError


def create_timm_backbone(name: str, pretrained: bool = False) -> nn.Module:
    """timm model ``name`` returning pooled features (``num_classes=0`` replaces the classifier
    by the identity), with timm's own pretrained weights when ``pretrained``: timm fetches them
    into its hub cache (Hugging Face's, ``~/.cache/huggingface`` unless ``HF_HOME`` says
    otherwise) the first time and reads them from there after. When they can be neither
    fetched nor found (offline), a one-line ``UserError`` names the model and the way round."""
    import timm

    if not pretrained:
        return timm.create_model(name, pretrained=False, num_classes=0)
    try:
        with _hub_mode():
            return timm.create_model(name, pretrained=True, num_classes=0)
    except Exception as error:  # hub, network and file errors come in many kinds
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        detail = detail if len(detail) <= 100 else detail[:99].rstrip() + "…"
        raise UserError(
            f"model.pretrained: cannot load timm's pretrained weights for {name!r} "
            f"({type(error).__name__}{': ' + detail if detail else ''}); offline, download "
            f"them where there is internet (timm.create_model({name!r}, pretrained=True) "
            "fills the hub cache, which you can copy) or save the backbone's state_dict "
            "there and give its path: model.pretrained: /path/to/weights.pt"
        ) from None


@contextlib.contextmanager
def _hub_mode(timeout_s: float = 3.0):
    """Read from the hub cache only when the hub cannot be reached (the client would otherwise
    retry for minutes, logging each try), and keep the hub client's log quiet either way."""
    try:
        from huggingface_hub import constants
        from huggingface_hub.utils import logging as hub_logging
    except ImportError:  # an older timm without the hub: nothing to adjust
        yield
        return
    offline_before, verbosity = constants.HF_HUB_OFFLINE, hub_logging.get_verbosity()
    if not offline_before:
        host = urllib.parse.urlparse(constants.ENDPOINT).hostname or "huggingface.co"
        try:
            socket.create_connection((host, 443), timeout=timeout_s).close()
        except OSError:
            constants.HF_HUB_OFFLINE = True
    hub_logging.set_verbosity_error()
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = offline_before
        hub_logging.set_verbosity(verbosity)


def _classifier_prefixes(backbone: nn.Module) -> tuple[str, ...]:
    classifier = getattr(backbone, "pretrained_cfg", {}).get("classifier") or ()
    names = (classifier,) if isinstance(classifier, str) else tuple(classifier)
    return tuple(f"{name}." for name in names) + ("fc.", "head.fc.", "classifier.")


def load_backbone_weights(backbone: nn.Module, path: str | Path) -> None:
    """Load a local weights file into ``backbone`` (in place).

    The file holds a state_dict, or a dict with the state_dict under ``"state_dict"`` or
    ``"model"`` (so a vidpose checkpoint works too: its PoseModel's ``backbone.*`` weights are
    used). A ``module.`` prefix (DDP) is removed and classifier weights absent from the
    backbone are dropped; anything else that does not fit is a ``UserError`` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model.pretrained: weights file {path} does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a file that is not a checkpoint
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise UserError(f"{path}: not a readable torch weights file ({first_line})") from None
    for key in ("state_dict", "model"):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
            break
    if not isinstance(loaded, dict) or not all(
        isinstance(value, torch.Tensor) for value in loaded.values()
    ):
        raise UserError(f"{path}: does not hold a state_dict of tensors")
    state = {key.removeprefix("module."): value for key, value in loaded.items()}

    expected = backbone.state_dict()
    if any(key.startswith("backbone.") for key in state) and not any(
        key.startswith("backbone.") for key in expected
    ):
        # A whole PoseModel (e.g. a vidpose checkpoint): take its backbone.
        state = {
            key.removeprefix("backbone."): value
            for key, value in state.items()
            if key.startswith("backbone.")
        }
    classifier = _classifier_prefixes(backbone)
    state = {
        key: value
        for key, value in state.items()
        if key in expected or not key.startswith(classifier)
    }
    unexpected = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state))
    for key in sorted(set(state) & set(expected)):
        if state[key].shape != expected[key].shape:
            raise UserError(
                f"{path}: weights do not fit the backbone: {key} has shape "
                f"{tuple(state[key].shape)} in the file but "
                f"{tuple(expected[key].shape)} in the model"
            )
    if missing or unexpected:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        raise UserError(f"{path}: weights do not fit the backbone: {', '.join(problems)} keys")
    backbone.load_state_dict(state)
