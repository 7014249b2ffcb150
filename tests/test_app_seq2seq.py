"""Sequence-to-sequence application (examples/seq2seq_dates.py) at reduced size: the attention encoder-decoder
normalises held-out dates written in many formats, greedy and beam search, above a quality floor and above the
same model without attention."""
from app_support import load_example


def test_attention_seq2seq_normalises_held_out_dates(sc):
    app = load_example("seq2seq_dates")
    args = app.parser().parse_args(["--examples", "5000", "--epochs", "8", "--held-out", "0.1", "--no-progress"])
    result = app.run(args, sc)
    attention, baseline = result["attention"], result["baseline"]
    assert attention["greedy"] >= 0.85 and attention["beam"] >= 0.85, result
    assert attention["greedy"] > baseline["greedy"], result
