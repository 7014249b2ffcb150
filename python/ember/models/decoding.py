"""Decoding of sequence-to-sequence models: :func:`greedy_decode` and :func:`beam_search`.

The model is any module with inputs ``[source ids (N, S), decoder input ids (N, T)]`` and output log-probabilities
(N, T, V) whose step t depends on decoder inputs 0..t only (a recurrent decoder, as :func:`ember.models.Seq2Seq`).
Decoding runs ``length`` steps; step t feeds the tokens chosen so far (after the start token ``bos``, the rest
of the decoder input is filled with ``bos`` and ignored by causality) and reads the distribution of position t.
Each step is one batched forward on the JVM (N rows for greedy, N * width for beam search), so the Python loop
makes ``length`` calls per batch, not one per token or per row.
"""
import numpy as np

__all__ = ["greedy_decode", "beam_search"]


def _check(source, length, batch_size):
    source = np.asarray(source)
    if source.ndim != 2 or source.shape[0] == 0:
        raise ValueError(f"source: expected token ids of shape (N, S) with N > 0, got shape {source.shape}")
    if int(length) < 1:
        raise ValueError(f"length: expected >= 1, got {length}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    return source.astype(np.float32)


def _step(model, source, prefix, t, length, bos):
    """Log-probabilities (rows, V) of position t given the chosen tokens ``prefix`` (rows, t)."""
    dec = np.full((len(source), length), bos, dtype=np.float32)
    dec[:, 1:t + 1] = prefix[:, :t]
    return np.asarray(model.forward([source, dec]))[:, t, :]


def greedy_decode(model, source, bos, length, batch_size=256):
    """The most likely token at each step, in turn (N, length) int array.

    Args:
        model: a sequence-to-sequence module (see the module docstring); switched to evaluation mode.
        source (ndarray): (N, S) source token ids.
        bos (int): the decoder's start token id. length (int): tokens to generate.
        batch_size (int): rows per forward.

    Examples:
        >>> import numpy as np
        >>> from ember.models import Seq2Seq
        >>> greedy_decode(Seq2Seq(5, 4, 4, 8), np.zeros((3, 6)), bos=0, length=2).shape
        (3, 2)
    """
    source = _check(source, length, batch_size)
    model.evaluate()
    out = np.zeros((len(source), length), dtype=np.int64)
    for lo in range(0, len(source), batch_size):
        src = source[lo:lo + batch_size]
        chosen = np.zeros((len(src), length), dtype=np.float32)
        for t in range(length):
            chosen[:, t] = _step(model, src, chosen, t, length, bos).argmax(axis=1)
        out[lo:lo + len(src)] = chosen
    return out


def beam_search(model, source, bos, length, width=4, batch_size=64):
    """The most likely sequence found by a beam of ``width`` hypotheses per row: (tokens (N, length) int
    array, log-probabilities (N,)). Width 1 is greedy decoding.

    Args:
        model, source, bos, length: as :func:`greedy_decode`.
        width (int): hypotheses kept per row after each step.
        batch_size (int): source rows per forward (each forward carries ``batch_size * width`` rows).

    Examples:
        >>> import numpy as np
        >>> from ember.models import Seq2Seq
        >>> tokens, scores = beam_search(Seq2Seq(5, 4, 4, 8), np.zeros((2, 6)), bos=0, length=3, width=2)
        >>> tokens.shape, scores.shape
        ((2, 3), (2,))
    """
    source = _check(source, length, batch_size)
    if int(width) < 1:
        raise ValueError(f"width: expected >= 1, got {width}")
    model.evaluate()
    tokens, scores = np.zeros((len(source), length), dtype=np.int64), np.zeros(len(source))
    for lo in range(0, len(source), batch_size):
        src = source[lo:lo + batch_size]
        t_, s_ = _beam_batch(model, src, bos, length, int(width))
        tokens[lo:lo + len(src)], scores[lo:lo + len(src)] = t_, s_
    return tokens, scores


def _beam_batch(model, src, bos, length, width):
    n = len(src)
    rows = np.repeat(src, width, axis=0)                      # row i * width + b is hypothesis b of source i
    hyp = np.zeros((n * width, length), dtype=np.float32)
    score = np.full((n, width), -np.inf)
    score[:, 0] = 0.0                                          # one live hypothesis at the start
    for t in range(length):
        logp = _step(model, rows, hyp, t, length, bos).astype(np.float64)
        v = logp.shape[1]
        total = (score.reshape(n * width, 1) + logp).reshape(n, width * v)
        best = np.argsort(-total, axis=1, kind="stable")[:, :width]
        parent, token = best // v, best % v
        score = np.take_along_axis(total, best, axis=1)
        src_rows = (np.arange(n)[:, None] * width + parent).reshape(-1)
        hyp = hyp[src_rows]
        hyp[:, t] = token.reshape(-1)
    top = score.argmax(axis=1)
    chosen = hyp.reshape(n, width, length)[np.arange(n), top]
    return chosen.astype(np.int64), score[np.arange(n), top]
