"""The proof checker: every claim gives its verdict, and a broken input flips it."""

import json

import pytest

from dsn_model.cli import main
from dsn_model.model.features import RandomFeatures
from theory.claims import CLAIMS, FINDINGS, VERDICTS, BinomialTest, check_claims, fit_power_law

EXPECTED: dict = {}

#: Every claim's registered breaking input (the two without one are broken by hand below).
BROKEN = {name: claim.broken for name, claim in CLAIMS.items() if claim.broken}


@pytest.mark.parametrize("name", list(CLAIMS))
def test_each_claim_gives_its_expected_verdict(name):
    claim = CLAIMS[name]
    evidence = claim.check()
    assert evidence.verdict == EXPECTED.get(name, claim.expect), evidence
    assert evidence.method in {"exact", "numeric", "certified", "statistical", "symbolic"}
    assert evidence.summary and evidence.checked and evidence.statement
    json.dumps(evidence.as_dict())  # numbers stay plain JSON


def test_theorem_4_1_fails_when_the_fallback_does_the_work():
    # 1/25 of the certified width: nearly every point takes the nearest-point fallback; the
    # uniform error is still met (by 1-NN), so the check must not credit LSH with it
    evidence = CLAIMS["theorem_4_1"].check(width_scale=0.04)
    assert evidence.verdict == "fails"
    assert evidence.measured["lsh_successes"] >= 16  # the success itself is real
    assert evidence.measured["trained_volume_median"] < 0.5


@pytest.mark.parametrize("name", ["theorem_4_1.table_size", "lemma_4_2.count_scaling"])
def test_scaling_verdicts_hold_when_the_draws_triple(name):
    claim = CLAIMS[name]
    assert claim.check(seeds=3).verdict == claim.check().verdict == "holds"


def test_every_claim_has_a_breaking_input():
    assert set(CLAIMS) - {"simulation.lsh", "lemma_4_2.count"} == set(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_inputs_flip_the_verdict(name):
    evidence = CLAIMS[name].check(**BROKEN[name])
    assert evidence.verdict == CLAIMS[name].breaks_to, evidence


def test_simulation_lsh_fails_for_a_model_whose_dsm_or_hash_is_wrong():
    import numpy as np

    from dsn_model.lsh.regressor import LSHRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (2000, 3))
    y = np.sin(3 * X.sum(axis=1))
    model = LSHRegressor(n_tables=4, n_hashes=6, hash_dtype="float64", random_state=0).fit(X, y)
    assert CLAIMS["simulation.lsh"].check(model=model).verdict == "holds"
    good = model.to_dsm()
    model.to_dsm = lambda: type(good)(good.features, good.router, good.top_weights[::-1].copy())
    assert CLAIMS["simulation.lsh"].check(model=model).verdict == "fails"
    lazy = LSHRegressor(n_tables=4, n_hashes=6, hash_dtype="float64", random_state=0)
    lazy.fit(X, y)
    lazy.family_._keys = lambda Z: np.zeros((len(Z), 4, 1), dtype=np.int64)  # one bucket
    assert CLAIMS["simulation.lsh"].check(model=lazy).verdict == "fails"


def test_the_count_fails_when_enumeration_disagrees(monkeypatch):
    from theory.claims import lemma_4_2

    real = lemma_4_2.arrangement_cell_count
    monkeypatch.setattr(lemma_4_2, "arrangement_cell_count", lambda *a: (real(*a)[0] + 1, 0))
    assert CLAIMS["lemma_4_2.count"].check().verdict == "fails"


def test_full_check_runs_each_breaking_input_and_fails_a_claim_that_cannot_fail(monkeypatch):
    claim = CLAIMS["simulation.knn"]
    (evidence,) = check_claims(["simulation.knn"], full=True)
    assert evidence.verdict == "holds"
    assert evidence.breaking == {"input": {"k_router": 6}, "verdict": "fails", "flipped": True}
    monkeypatch.setattr(claim, "broken", {"k_router": 7})  # no longer breaks anything
    (evidence,) = check_claims(["simulation.knn"], full=True)
    assert evidence.verdict == "fails" and "did not flip" in evidence.summary


def test_findings_are_kept_apart_from_claims():
    assert not set(FINDINGS) & set(CLAIMS)
    for finding in FINDINGS.values():
        assert finding.check().verdict == "holds"


def test_refutation_is_only_for_quoted_sentences():
    refutable = [c for c in CLAIMS.values() if c.expect != "holds"]
    assert refutable and all(c.quote for c in refutable)
    assert VERDICTS == ("holds", "fails", "refuted", "erratum", "not reproduced")


def test_an_erratum_fails_when_its_correction_fails_too():
    evidence = CLAIMS["simulation.knn_distance"].check(unit=False)
    assert evidence.verdict == "fails" and "corrected sentence" in evidence.summary


def test_consistency_checks_are_labelled_and_printed_apart(capsys):
    own = {n for n, c in CLAIMS.items() if c.kind == "consistency"}
    assert {"dsm.identity", "lemma_4_2.count", "targets.hypercube_lipschitz"} <= own
    code = main(["check", "--claim", "dsm.identity", "--claim", "simulation.knn", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    paper, rest = out.split("Consistency checks of this implementation")
    assert "[holds] simulation.knn" in paper and "dsm.identity" in rest
    assert "The paper: 1 claim(s) hold" in out and "Consistency checks: 1 pass, 0 fail" in out
    assert "tested at: n=300, d=5, k=7" in out


def test_check_list_names_every_claim(capsys):
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in [*CLAIMS, *FINDINGS])


def test_binomial_test_matches_scipy_and_reports_power():
    from scipy import stats

    for p0, trials in [(0.8, 20), (0.8, 50), (0.9, 20), (0.9, 100), (0.8, 100)]:
        test = BinomialTest(p0, trials)
        c = test.critical
        assert stats.binom.cdf(c, trials, p0) <= 0.01 < stats.binom.cdf(c + 1, trials, p0)
        power = test.power()
        assert stats.binom.cdf(c, trials, power) == pytest.approx(0.8, abs=1e-6)
    assert BinomialTest(0.9, 20).critical == 13  # not the 0.8 table's 11
    with pytest.raises(ValueError, match="p0"):
        BinomialTest(1.5, 10)


def test_power_law_fit_recovers_a_known_exponent():
    import numpy as np

    x = np.array([1.0, 2, 4, 8, 16])
    y = 5 * x**1.5 * np.exp(np.array([0.01, -0.02, 0.0, 0.02, -0.01]))
    law = fit_power_law(x, y)
    assert law.low < 1.5 < law.high and law.constant == pytest.approx(5, rel=0.05)
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2, 3], [1, 0, 2])


def test_unknown_claims_are_refused():
    with pytest.raises(ValueError, match="Unknown claim"):
        check_claims(["lemma_9"])


def test_cli_check_prints_each_claim_and_writes_numbers(tmp_path, capsys):
    path = tmp_path / "evidence.json"
    args = ["check", "--claim", "simulation.knn", "--claim", "simulation.knn_distance"]
    code = main([*args, "--json", str(path), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "[holds] simulation.knn" in out and "[erratum] simulation.knn_distance" in out
    assert 'the paper: "||x - b_i||_2 = 2 - 2<x, b_i>"' in out
    rows = json.loads(path.read_text())["claims"]
    assert [r["verdict"] for r in rows] == ["holds", "erratum"]
    assert isinstance(rows[0]["measured"]["max_error"], float)


def test_cli_check_exits_non_zero_when_a_claim_fails(monkeypatch, capsys):
    from theory.claims import section3

    monkeypatch.setitem(CLAIMS["simulation.switch"].quick, "leak", True)
    assert main(["check", "--claim", "simulation.switch", "--no-progress"]) == 1
    assert "[fails] simulation.switch" in capsys.readouterr().out
    assert section3  # the module that registered it


def test_theorem_4_3_features_of_full_width_cannot_be_certified_to_miss():
    # w = N features instead of N - 1: no null vector, so the certificate must not pass
    from theory.claims.theorem_4_3 import grid_centres

    Z, _ = grid_centres(8, 2, 1.0, 0.2, 1.25)
    phi = RandomFeatures.random(8, len(Z) + 20, random_state=0)
    assert CLAIMS["theorem_4_3"].check(features=phi).verdict == "fails"


@pytest.mark.parametrize(
    "broken",
    [
        {"declared_L": 0.5},  # the target is twice as steep as declared
        {"width_power": 0.5},  # cells wider than the certified width
        {"perturb": 0.1},  # stored values moved
    ],
)
def test_the_certificate_fails_on_each_kind_of_broken_learner(broken):
    evidence = CLAIMS["theorem_4_1.certified"].check(**broken)
    assert evidence.verdict == "fails", evidence
    assert evidence.measured["lower"] <= evidence.measured["upper"] + 1e-9 or (
        "INCONSISTENT" in evidence.summary
    )


def test_check_and_report_print_the_same_fig4_verdicts(tmp_path):
    from dsn_model.experiments.fig4 import EXPERIMENT, FIG4_COMPARISONS
    from theory.claims.section5 import _fig4_records

    records = list(_fig4_records(True, 4))  # the records the quick claims judge (4 seeds)
    report = EXPERIMENT.section(records, tmp_path, False)
    names = {
        ("DSM", "dense"): "experiments.dsm_beats_dense",
        ("LSH", "dense"): "experiments.lsh_beats_dense",
        ("dense", "random hash"): "experiments.hash_worse_than_dense",
    }
    assert set(names) == set(FIG4_COMPARISONS)
    for name in names.values():
        evidence = CLAIMS[name].check()
        sentence = evidence.summary.split("; fig4")[0]
        assert sentence in report
        assert (evidence.verdict == "holds") == (": reproduced" in sentence)
    (tmp_path / "fig4.json").write_text(json.dumps(records))
    from_folder = CLAIMS["experiments.dsm_beats_dense"].check(records=str(tmp_path))
    assert from_folder.measured == CLAIMS["experiments.dsm_beats_dense"].check().measured
    with pytest.raises(ValueError, match="records"):
        CLAIMS["experiments.dsm_beats_dense"].check(records=str(tmp_path / "missing"))
