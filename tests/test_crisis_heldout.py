"""The held-out set as a regression set. It was written blind, before any training, and its
first run is the detector's reported figure (README, "How the detector hears, and how well").
A change to the rules or the model may not hear fewer of its crisis messages nor raise more
false alarms on it than the shipped detector does. Never tune on these lines to pass."""

from __future__ import annotations

from bot.crisis.detect import detect
from tests.helpers import heldout
from training.crisis import data

# found / false alarms. First run (2026-12-01, rules + classifier): all 659/56, en 417/35,
# es 102/11, pt 47/2, fr 44/3, de 49/5, English ordinary chat 0/10. The floors below are
# the model retrained with peer-support replies added (en_peer, es_peer), which stopped
# answering "I've been there too" with crisis lines: 4 fewer crisis lines, 7 fewer alarms.
FLOORS = {
    "all": (655, 49),
    "lang en": (414, 29),
    "lang es": (101, 10),
    "lang pt": (47, 2),
    "lang fr": (45, 3),
    "lang de": (48, 5),
    "en ordinary chat": (0, 7),
}
# Held-out lines that some training line repeats word for word: common phrases both sets'
# writers wrote ("I want to kill myself"). Copying held-out lines into training raises it.
REPEATED_IN_TRAINING = 39


def test_the_held_out_set_is_heard_no_worse_than_the_shipped_detector() -> None:
    lines = heldout.load()
    assert len(lines) == 1545 and sum(x.crisis for x in lines) == 743  # the set is untouched
    parts = heldout.slices(lines)
    for name, (found, alarms) in FLOORS.items():
        sc = heldout.score(parts[name], lambda text: detect(text).crisis)
        assert sc.found >= found, (name, sc)
        assert sc.alarms <= alarms, (name, sc)


def test_training_does_not_copy_the_held_out_set() -> None:
    lines = heldout.load()
    repeated = len(lines) - len(heldout.unseen(lines, (row.text for row in data.load())))
    assert repeated <= REPEATED_IN_TRAINING
