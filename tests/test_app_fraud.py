"""Imbalanced detection application (examples/fraud_caravan.py) at reduced size: the class-weighted MLP on
the real Caravan data, stratified splits over two seeds, ROC-AUC and PR-AUC above floors, the MLlib
LogisticRegression baseline (20 iterations) on the same splits."""
from app_support import load_example


def test_class_weighted_mlp_detects_caravan_buyers(sc):
    app = load_example("fraud_caravan")
    args = app.parser().parse_args(["--seeds", "2", "--epochs", "5", "--batch-size", "256", "--learning-rate", "5e-3",
                                    "--baseline-iterations", "20", "--no-progress"])
    result = app.run(args, sc)
    prevalence = 348 / 5822
    assert result["roc"][0] >= 0.65 and result["pr"][0] >= 2 * prevalence, result
    assert result["baseline_roc"][0] >= 0.65, result
    for r in result["runs"]:
        # stratified: each held-out set has a fifth of each class (348 buyers, 5,474 others)
        assert abs(r["held_out"][1.0] - 0.2 * 348) <= 2 and abs(r["held_out"][0.0] - 0.2 * 5474) <= 2, r
        assert 0.0 < r["pr"] < 1.0 and 0.5 < r["roc"] < 1.0, r
