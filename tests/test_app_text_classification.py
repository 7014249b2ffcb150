"""Text classification application (examples/text_classification_bbc.py) at reduced size: the
bag-of-embeddings model and the GRU classify held-out BBC news articles above a floor; the TF-IDF +
LogisticRegression baseline runs on the same split."""
from app_support import load_example


def test_embedding_and_gru_models_classify_held_out_bbc_articles(sc):
    app = load_example("text_classification_bbc")
    args = app.parser().parse_args(["--files", "0*.txt", "--epochs", "8", "--gru-epochs", "4", "--hidden", "64",
                                    "--length", "200", "--baseline-iterations", "30", "--no-progress"])
    result = app.run(args, sc)
    assert result["bag_of_embeddings"]["accuracy"] >= 0.9, result
    assert result["gru"]["accuracy"] >= 0.85, result
    assert result["baseline"] >= 0.85, result
