"""The built-in actions by name, what each is for, and the default mix of ``--poses-only``.

Two kinds of action make world joint sequences (F, 17, 3), metres, z up, 50 fps:

- *staged* actions (:mod:`vidpose.synth.staging`): key poses joined by minimum-jerk moves of
  human durations, legs solved by inverse kinematics so that loaded feet and knees stay put —
  everything that sits, kneels, lies, squats, bends or balances;
- *styled* actions (:mod:`vidpose.synth.motion_styled`): periodic closed-form motions (walking,
  waving, boxing, ...).

Each :class:`Action` has a ``weight``: how many takes it gets in the default ``--poses-only``
mix per take of a weight-1 action (:func:`takes_per_action`). ``rendered`` actions are the
ones the rendered ``vidpose synth`` films (it puts a stool only under ``SittingDown``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vidpose.synth import motion_styled as styled_actions
from vidpose.synth.body import Subject
from vidpose.synth.motion_styled import styled
from vidpose.synth.motions_chair import sitting, sitting_down
from vidpose.synth.motions_floor import lying
from vidpose.synth.motions_low import bending, crouching, kneeling, squatting
from vidpose.synth.motions_standing import balancing, standing
from vidpose.synth.staging import FPS, Performance

__all__ = ["ACTIONS", "FPS", "RENDERED_ACTIONS", "Action", "action_motion", "perform_action"]


@dataclass(frozen=True)
class Action:
    """A named built-in action: ``perform(subject, num_frames, rng)`` gives a take."""

    perform: Callable[[Subject, int, np.random.Generator], Performance]
    weight: float  # takes in the default --poses-only mix per take of a weight-1 action
    rendered: bool  # filmed by the rendered ``vidpose synth``
    like: str  # the Human3.6M actions it stands in for, or what it adds to them


#: The built-in actions, by the name written to clips.csv and sequences.csv. The order is part
#: of each take's random stream (its index), so new actions go at the end.
ACTIONS: dict[str, Action] = {
    "Walking": Action(styled(styled_actions.walking), 2.0, True, "Walking, WalkDog, WalkTogether"),
    "Turning": Action(styled(styled_actions.turning), 0.5, True, "turning on the spot"),
    "Waving": Action(styled(styled_actions.waving), 0.5, True, "Greeting"),
    "Squatting": Action(squatting, 1.0, True, "squats, heels down"),
    "SittingDown": Action(sitting_down, 2.0, True, "SittingDown (on a chair)"),
    "Reaching": Action(styled(styled_actions.reaching), 0.5, True, "reaching up"),
    "Kicking": Action(styled(styled_actions.kicking), 0.5, True, "kicks"),
    "Jumping": Action(styled(styled_actions.jumping), 0.5, True, "jumping jacks"),
    "Boxing": Action(styled(styled_actions.boxing), 0.5, True, "punches"),
    "Bending": Action(bending, 1.0, True, "Purchases: picking things up"),
    "Stretching": Action(styled(styled_actions.stretching), 0.5, True, "arms overhead"),
    "Phoning": Action(styled(styled_actions.phoning), 1.0, True, "Phoning (standing)"),
    "Pointing": Action(styled(styled_actions.pointing), 1.0, True, "Directions"),
    "Sitting": Action(sitting, 2.5, False, "Sitting, Eating, Phoning, Smoking seated"),
    "Standing": Action(standing, 2.0, False, "Discussion, Eating, Smoking, Photo, Waiting"),
    "Crouching": Action(crouching, 1.0, False, "working low near the floor"),
    "Kneeling": Action(kneeling, 1.0, False, "on one knee or both"),
    "Lying": Action(lying, 1.5, False, "SittingDown (on the floor), lying, getting up"),
    "Balancing": Action(balancing, 0.5, False, "Posing: one leg, arms out"),
}

#: The actions the rendered ``vidpose synth`` films, in registry order.
RENDERED_ACTIONS = tuple(name for name, action in ACTIONS.items() if action.rendered)


def takes_per_action(takes: int) -> dict[str, int]:
    """Takes of each action in the default mix for ``takes`` takes of a weight-1 action:
    the weight times ``takes``, rounded half up, at least one."""
    return {name: max(1, int(np.floor(a.weight * takes + 0.5))) for name, a in ACTIONS.items()}


def perform_action(
    action: str, subject: Subject, num_frames: int, rng: np.random.Generator
) -> Performance:
    """``subject`` performing ``action`` for ``num_frames`` frames (50 fps); ``rng`` decides
    everything else, so the same generator state gives the same take."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {sorted(ACTIONS)}")
    return ACTIONS[action].perform(subject, num_frames, rng)


def action_motion(
    action: str, subject: Subject, num_frames: int, rng: np.random.Generator
) -> np.ndarray:
    """World joints (F, 17, 3) in metres, z up, of ``subject`` performing ``action``."""
    return perform_action(action, subject, num_frames, rng).joints
