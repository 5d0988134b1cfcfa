"""Skeleton families are recognised from joint names; unknown ones get a clear error."""

import json

import pytest

from vidpose.infra.errors import UserError
from vidpose.mocap.joint_maps import (
    FAMILIES,
    load_map_file,
    resolve_family,
    resolve_map,
)
from vidpose.pose.skeleton import JOINT_NAMES


def _names_of(family, prefix=""):
    names = []
    for entry in family.table.values():
        names.extend(entry.split("+"))
    names.extend(family.signature)
    if family.anatomy is not None:
        names.extend(family.anatomy.names())
    return [prefix + n for n in dict.fromkeys(names)] + [prefix + "Extra_end"]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_each_family_is_recognised_from_its_own_names(family):
    names = _names_of(family)
    resolved = resolve_family(names)
    assert resolved is not None and resolved.family == family.name
    for joint, group in zip(JOINT_NAMES, resolved.sources, strict=True):
        assert "+".join(names[i] for i in group) == family.table[joint]


def test_namespace_prefixes_are_dropped():
    mixamo = next(f for f in FAMILIES if f.name == "mixamo")
    resolved = resolve_family(_names_of(mixamo, prefix="mixamorig:"))
    assert resolved is not None and resolved.family == "mixamo"


def test_unknown_skeleton_lists_its_joints_and_the_map_option():
    with pytest.raises(UserError) as info:
        resolve_map(["Root", "ThighL", "ShinL"], "x.bvh")
    message = str(info.value)
    assert "x.bvh: unknown skeleton" in message and "Root, ThighL, ShinL" in message
    assert "--map" in message and "\n" not in message


def test_user_map_file_averages_lists(tmp_path):
    names = [f"j{i}" for i in range(20)]
    table = {joint: f"j{i}" for i, joint in enumerate(JOINT_NAMES)}
    table["head"] = ["j18", "j19"]
    path = tmp_path / "map.json"
    path.write_text(json.dumps(table))
    resolved = resolve_map(names, "x.bvh", load_map_file(path))
    assert resolved.sources[10] == (18, 19) and resolved.sources[0] == (0,)
    yaml_path = tmp_path / "map.yaml"
    yaml_path.write_text("\n".join(f"{k}: {v}" for k, v in table.items() if k != "head"))
    with pytest.raises(UserError, match="no entry for head"):
        load_map_file(yaml_path)
    table["head"] = "nosuchjoint"
    path.write_text(json.dumps(table))
    with pytest.raises(UserError, match="names nosuchjoint, not a joint of this file"):
        resolve_map(names, "x.bvh", load_map_file(path))
    path.write_text(json.dumps({**table, "tail": "j1"}))
    with pytest.raises(UserError, match="tail: unknown key"):
        load_map_file(path)
