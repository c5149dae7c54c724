"""The proof checker: every claim passes where it holds and fails on broken input."""

import json

import pytest

from dsn_model.cli import main
from theory.claims import CLAIMS, check_claims


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_each_claim_gives_its_expected_verdict(name):
    claim = CLAIMS[name]
    evidence = claim.check()
    assert evidence.verdict == ("refuted" if claim.literal else "holds"), evidence
    assert evidence.method in {"exact", "symbolic", "statistical", "certified"}
    assert evidence.measured and evidence.bound


@pytest.mark.parametrize(
    ("name", "broken"),
    [
        ("lemma_4_2.diameter", {"width_factor": 3.0}),  # too wide a width
        ("theorem_4_1", {"declared_L": 0.25}),  # target 4x steeper than declared
        ("simulation.switch", {"extra_unit": True}),  # a router that activates s + 1 units
        ("lemma_4_2.probability", {"C": 2, "threshold": 0.74}),  # too few directions for q(4)
    ],
)
def test_broken_inputs_make_the_check_fail(name, broken):
    evidence = CLAIMS[name].check(**broken)
    assert evidence.verdict == "fails", evidence


def test_unknown_claims_are_refused():
    with pytest.raises(ValueError, match="Unknown claim"):
        check_claims(["lemma_9"])


def test_cli_check_prints_a_table_and_writes_json(tmp_path, capsys):
    path = tmp_path / "evidence.json"
    code = main(
        [
            "check",
            "--claim",
            "simulation.knn",
            "--claim",
            "lemma_4_2.count_literal",
            "--json",
            str(path),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "refuted" in out and "holds" in out
    rows = json.loads(path.read_text())
    assert [r["verdict"] for r in rows] == ["holds", "refuted"]
