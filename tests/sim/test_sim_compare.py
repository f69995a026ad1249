"""``python -m frontdesk.sim.compare``: two evaluations of one run, row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from frontdesk.cli import main as cli
from frontdesk.sim.compare import differences, load_details, main


def _details(run: Path, name: str, config: Path | None = None) -> Path:
    path = run.parent / name
    args = ["-q", "eval", str(run), "--json", "--details", str(path)]
    if config is not None:
        args += ["--config", str(config)]
    assert cli(args) == 0
    return path


def test_the_same_engine_twice_differs_nowhere(run: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _details(run, "a.jsonl"), _details(run, "b.jsonl")
    assert not differences(load_details(a), load_details(b))
    capsys.readouterr()
    assert main([str(a), str(b)]) == 0
    assert capsys.readouterr().out.strip().startswith("0 of ")


def test_a_later_alert_shows_in_the_rows_it_changes(run: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The same run with alerts due at 60 s instead of the run's 10 s: every true
    visit whose engine visit raised an alert before is a row that differs, by its
    alert."""
    before = _details(run, "before.jsonl")
    config = run.parent / "late-alerts.yaml"
    settings = yaml.safe_load((run / "config.yaml").read_text())
    settings["engine"]["alert_after_s"], settings["engine"]["escalate_after_s"] = 60.0, 120.0
    config.write_text(yaml.safe_dump(settings))
    after = _details(run, "after.jsonl", config)
    rows = [json.loads(line) for line in before.read_text().splitlines()]
    alerted = {r["truth"]["visit"] for r in rows
               if r["truth"] and r["engine"] and r["engine"]["alert"]}
    assert alerted  # the run has alerts to lose
    found = differences(load_details(before), load_details(after))
    assert {value for (kind, value), _, _ in found if kind == "truth"} >= alerted
    for (kind, value), old, new in found:
        if kind == "truth" and value in alerted:
            assert old is not None and new is not None
            assert old["engine"]["alert"] and not new["engine"]["alert"]
    capsys.readouterr()
    assert main([str(before), str(after)]) == 0
    assert f"{len(found)} of " in capsys.readouterr().out


def test_renumbered_engine_visits_are_the_same_rows(tmp_path: Path) -> None:
    """One engine visit more early in a run renumbers every later one: not a
    difference in the later rows."""
    row = {"truth": {"visit": "v00002", "person": "customer-2"},
           "engine": {"visit_id": "e000007", "track_id": 12, "arrival_t": 5.0,
                      "ack_t": 7.0, "alert": False}}
    moved = json.loads(json.dumps(row))
    moved["engine"]["visit_id"], moved["engine"]["track_id"] = "e000009", 13
    extra = {"truth": None, "engine": {"visit_id": "e000008", "track_id": 11,
                                       "first_seen_t": 1.5, "alert": False},
             "split_of": "v00001"}
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps(row) + "\n")
    b.write_text(json.dumps(extra) + "\n" + json.dumps(moved) + "\n")
    found = differences(load_details(a), load_details(b))
    assert [(key, old) for key, old, _ in found] == [(("engine", "1.5"), None)]


def test_left_over_visits_first_seen_on_one_frame_are_both_kept(tmp_path: Path) -> None:
    """Two engine visits no true visit matched, first seen on the same frame, and one
    without a time: three rows, none lost, and ordered without error."""
    def left_over(visit_id: str, first_seen_t: float | None, alert: bool) -> str:
        return json.dumps({"truth": None, "engine": {"visit_id": visit_id,
                                                     "first_seen_t": first_seen_t,
                                                     "alert": alert}})
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join([left_over("e1", 2.0, False), left_over("e2", 2.0, False),
                            left_over("e3", None, False)]) + "\n")
    b.write_text("\n".join([left_over("e1", 2.0, False), left_over("e2", 2.0, True),
                            left_over("e3", None, True)]) + "\n")
    assert len(load_details(a)) == 3
    found = differences(load_details(a), load_details(b))
    assert [key for key, _, _ in found] == [("engine", "2.0#2"), ("engine", "None")]


def test_a_file_that_is_not_details_is_refused_with_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"truth": null, "engine": null}\nnot json\n')
    assert main([str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "Traceback" not in err


def test_a_row_that_differs_only_where_the_brief_does_not_look_names_the_fields(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two rows alike in everything the brief lines print (arrival, acknowledgement,
    departure, outcome, alert) but the engine's context and when it told the
    departure: the row is listed, and says what differs."""
    row = {"truth": {"visit": "v00003", "person": "customer-3"},
           "engine": {"visit_id": "e000004", "arrival_t": 5.0, "ack_t": 9.0, "left_t": 20.0,
                      "left_event_t": 21.0, "outcome": "acknowledged", "alert": False,
                      "context": "looking_down"}}
    other = json.loads(json.dumps(row))
    other["engine"]["context"], other["engine"]["left_event_t"] = "talking", 24.0
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps(row) + "\n")
    b.write_text(json.dumps(other) + "\n")
    capsys.readouterr()
    assert main([str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split(":", 1)[1].strip() == lines[2].split(":", 1)[1].strip()  # alike
    assert lines[3] == "  differs in: engine.context, engine.left_event_t"
    assert lines[4] == "1 of 1 rows differ"
