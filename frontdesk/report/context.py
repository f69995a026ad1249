"""What staff were doing when waits went beyond the target: counts and one sentence.

For every arrived visit whose wait went beyond the target (latency over it, or never
acknowledged after waiting longer), the store keeps the dominant staff context of the
wait (docs/engine.md, "Staff context"). This module counts those waits per context
word, per local hour, over the range and per counter, and writes the one sentence a
manager can act on. Team level only: no figure names or counts a member of staff
(docs/reports.md, "Team level only").

Focus work (a zone marked as such: a dispensing bench, a safe) is the one good
reason to keep a customer waiting: those waits are counted apart and left out of the
sentence's "most".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from frontdesk.engine.context import CONTEXTS, Context

__all__ = ["ContextFigures", "context_figures", "context_sentence", "WORDS", "PHRASES",
           "LABELS"]

WORDS: tuple[str, ...] = tuple(c.value for c in CONTEXTS)
"""The vocabulary, in the order charts and tables list it."""

PHRASES: dict[str, str] = {
    Context.ATTENTIVE.value: "staff were looking toward the customer without meeting her eyes",
    Context.TALKING.value: "staff were talking with each other",
    Context.SERVING_OTHER.value: "staff were serving another customer",
    Context.LOOKING_DOWN.value: "staff had their heads down (till, paperwork, a screen)",
    Context.TURNED_AWAY.value: "staff were turned away from the counter",
    Context.ABSENT.value: "nobody was at the counter",
    Context.FOCUS_WORK.value: "staff were in focus work",
}
"""How the sentence says each word ("... came while PHRASE")."""

LABELS: dict[str, str] = {
    Context.ATTENTIVE.value: "looking her way",
    Context.TALKING.value: "talking with a colleague",
    Context.SERVING_OTHER.value: "serving another customer",
    Context.LOOKING_DOWN.value: "looking down",
    Context.TURNED_AWAY.value: "turned away",
    Context.ABSENT.value: "nobody at the counter",
    Context.FOCUS_WORK.value: "focus work (exempt)",
}
"""Short labels for the chart's legend and the tables."""

_MOST_SHARE = 0.75
"""The sentence says "mostly after HH:00" (or before) when this share of the top word's
late waits came in the later (earlier) part of the hours that had late waits."""


@dataclass(frozen=True)
class ContextFigures:
    """Late waits (beyond the target) by staff context.

    Attributes:
        total: {word: late waits} over the range.
        hours: 24 dicts {word: late waits} by local hour of arrival.
        counters: ((site_id, counter_id), {word: late waits}) per counter with any.
        sentence: the reading, in plain words.
        unknown: late waits with no staff context recorded (stored before it, or by a
            newer frontdesk with a word this one does not know).
    """

    total: dict[str, int]
    hours: list[dict[str, int]]
    counters: list[tuple[tuple[str, str], dict[str, int]]]
    sentence: str
    unknown: int = 0

    @property
    def late_waits(self) -> int:
        return sum(self.total.values())

    @property
    def focus_waits(self) -> int:
        return self.total.get(Context.FOCUS_WORK.value, 0)

    def to_dict(self) -> dict[str, object]:
        return {
            "words": list(WORDS),
            "late_waits": self.late_waits,
            "focus_work_waits": self.focus_waits,
            "total": dict(self.total),
            "hours": [{"hour": h, **counts} for h, counts in enumerate(self.hours)],
            "counters": [{"site_id": s, "counter_id": c, **counts}
                         for (s, c), counts in self.counters],
            "sentence": self.sentence,
            "without_context": self.unknown,
        }


def _zero() -> dict[str, int]:
    return {w: 0 for w in WORDS}


def context_figures(rows: Sequence[tuple[str, str, int, str | None]]) -> ContextFigures:
    """Count late waits given as (site_id, counter_id, local hour, context word).

    Waits without a word, or with one outside the vocabulary (a newer frontdesk wrote
    it), are counted as ``unknown`` only."""
    total = _zero()
    hours = [_zero() for _ in range(24)]
    counters: dict[tuple[str, str], dict[str, int]] = {}
    unknown = 0
    for site_id, counter_id, hour, word in rows:
        if word is None or word not in total:
            unknown += 1
            continue
        total[word] += 1
        hours[hour][word] += 1
        counters.setdefault((site_id, counter_id), _zero())[word] += 1
    sentence = context_sentence(total, hours)
    if unknown:
        sentence += (f" {unknown} wait{'s' if unknown != 1 else ''} beyond the target "
                     f"{'have' if unknown != 1 else 'has'} no staff context recorded "
                     "(stored before frontdesk recorded it).")
        if not sum(total.values()):
            sentence = sentence.replace("No wait went beyond the target. ", "")
    return ContextFigures(total, hours, sorted(counters.items()), sentence, unknown)


def context_sentence(total: dict[str, int], hours: Sequence[dict[str, int]]) -> str:
    """One sentence a manager can act on, e.g. "Most late acknowledgements after
    14:00 (9 of 12) came while staff were talking with each other."""
    late = sum(total.values())
    if late == 0:
        return "No wait went beyond the target."
    focus = total.get(Context.FOCUS_WORK.value, 0)
    coachable = {w: n for w, n in total.items() if w != Context.FOCUS_WORK.value}
    tail = ""
    if focus:
        tail = (f" {focus} of the {late} came during focus work, the one good reason to "
                "finish a task first; they are shown apart.")
    if sum(coachable.values()) == 0:
        return f"Every late acknowledgement ({late}) came during focus work."
    word = max(WORDS, key=lambda w: (coachable.get(w, 0), -WORDS.index(w)))
    n = coachable[word]
    counts = [h.get(word, 0) for h in hours]
    when = _when(counts, [sum(h.values()) for h in hours])
    share = n / sum(coachable.values())
    most = "Most" if share > 0.5 else "The largest share of"
    mostly = f", mostly{when}" if when else ""
    return f"{most} late acknowledgements ({n} of {late}) came while {PHRASES[word]}{mostly}." \
        + tail


def _when(counts: list[int], all_counts: list[int]) -> str:
    """" after 14:00" or " before 11:00" when :data:`_MOST_SHARE` of ``counts`` (one
    word's late waits by hour) fall in the later or earlier part of the hours with any
    late wait (``all_counts``), the narrower of the two; "" when neither leaves hours out."""
    n = sum(counts)
    span = [h for h, c in enumerate(all_counts) if c]
    if n < 3 or not span:
        return ""
    first, last = span[0], span[-1]
    need = _MOST_SHARE * n - 1e-9
    after = max(h for h in range(first, last + 1) if sum(counts[h:]) >= need)
    before = min(h for h in range(first, last + 1) if sum(counts[:h + 1]) >= need)
    after_width, before_width = last - after, before - first
    if min(after_width, before_width) >= last - first:
        return ""
    if after_width <= before_width:
        return f" after {after:02d}:00"
    return f" before {before + 1:02d}:00"
