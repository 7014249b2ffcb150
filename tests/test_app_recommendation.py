"""Neural recommendation application (examples/ncf_movielens.py) at reduced size: NeuMF on the real
MovieLens-100k, leave-one-out, fresh negatives each epoch, ranks held-out items above a floor and above
item popularity."""
from app_support import load_example


def test_neumf_ranks_held_out_items_above_popularity(sc):
    app = load_example("ncf_movielens")
    args = app.parser().parse_args(["--epochs", "3", "--no-progress"])
    result = app.run(args, sc)
    assert result["hr"] >= 0.45 and result["ndcg"] >= 0.24, result
    assert result["hr"] > result["baseline_hr"] + 0.08 and result["ndcg"] > result["baseline_ndcg"] + 0.05, result
