"""Sequence-to-sequence generation: dates written in many human formats, normalised to ISO dates.

Data: generated deterministically by Spark tasks (one seeded generator per partition): random dates 1950-2049
written in 16 formats ("7 March 1994", "Mar 7 1994", "07.03.94", "Monday, March 7, 1994", "7th of march
1994", "19940307", ...; words in lower, upper or title case), each paired with its ISO form "1994-03-07".
Characters become ids with a Spark SQL expression; distinct source strings are split at random (seeded) into
training and held-out sets. Model: ``ember.models.Seq2Seq`` (LSTM encoder-decoder) with attention, trained
by the DistriOptimizer with a per-step ClassNLLCriterion (teacher forcing), its loss on held-out data (Ember's
``Loss`` validation method) each epoch. Decoding: greedy and
beam search (``ember.models.decoding``); metric: exact match of the whole generated date on held-out inputs.
Baseline: the same encoder-decoder without attention, trained identically in the same run.

Run: ``python examples/seq2seq_dates.py`` (or ``spark-submit --jars <ember.jar> examples/seq2seq_dates.py``).
"""
import time

import numpy as np

from ember.models import Seq2Seq
from ember.models.decoding import beam_search, greedy_decode
from ember.nn.criterion import ClassNLLCriterion, TimeDistributedCriterion
from ember.optim.optimizer import Adam, EveryEpoch, Loss, MaxEpoch, Optimizer
from ember.util.application import application_parser, check_floor, start_spark
from ember.util.common import init_engine

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SOURCE_CHARS = " ,.-/'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
TARGET_CHARS = "0123456789-"
PAD, BOS = 0, len(TARGET_CHARS)  # source id 0 is padding; the decoder starts from BOS
SOURCE_LENGTH, TARGET_LENGTH = 32, 10


def ordinal(d):
    return f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


FORMATS = [
    lambda y, m, d, w: f"{d} {MONTHS[m - 1]} {y}",
    lambda y, m, d, w: f"{MONTHS[m - 1]} {d}, {y}",
    lambda y, m, d, w: f"{d:02d}/{m:02d}/{y}",
    lambda y, m, d, w: f"{y}-{m:02d}-{d:02d}",
    lambda y, m, d, w: f"{MONTHS[m - 1][:3]} {d} {y}",
    lambda y, m, d, w: f"{d}-{MONTHS[m - 1][:3]}-{y}",
    lambda y, m, d, w: f"{d:02d}.{m:02d}.{y % 100:02d}",
    lambda y, m, d, w: f"{DAYS[w]}, {MONTHS[m - 1]} {d}, {y}",
    lambda y, m, d, w: f"{ordinal(d)} of {MONTHS[m - 1]} {y}",
    lambda y, m, d, w: f"{y}{m:02d}{d:02d}",
    lambda y, m, d, w: f"{MONTHS[m - 1][:3]}. {d}, {y}",
    lambda y, m, d, w: f"{d} {MONTHS[m - 1][:3]} '{y % 100:02d}",
    lambda y, m, d, w: f"{DAYS[w][:3]} {d} {MONTHS[m - 1][:3]} {y}",
    lambda y, m, d, w: f"{d}.{m}.{y}",
    lambda y, m, d, w: f"{MONTHS[m - 1]} {ordinal(d)}, {y}",
    lambda y, m, d, w: f"{y}/{m}/{d}",
]


def generate(partition, count, seed):
    """``count`` (source, target) pairs drawn by the generator of ``partition``."""
    import datetime

    rng = np.random.RandomState(seed * 7919 + partition)
    first = datetime.date(1950, 1, 1).toordinal()
    span = datetime.date(2049, 12, 31).toordinal() - first + 1
    for _ in range(count):
        date = datetime.date.fromordinal(first + int(rng.randint(span)))
        text = FORMATS[rng.randint(len(FORMATS))](date.year, date.month, date.day, date.weekday())
        text = [str.lower, str.upper, lambda s: s][rng.randint(3)](text)
        yield text, date.isoformat()


def prepare(spark, n, seed, held_out_share, parts):
    """(train, held_out): numpy (source ids, decoder input ids, target ids), generated and encoded with Spark."""
    from pyspark.sql import functions as F

    per_part = -(-n // parts)
    pairs = spark.sparkContext.parallelize(range(parts), parts).flatMap(lambda p: generate(p, per_part, seed))
    df = spark.createDataFrame(pairs, "source string, target string").dropDuplicates(["source"])

    def ids(column, alphabet, offset, length):  # characters -> ids (offset + position in the alphabet)
        chars = F.split(F.col(column), "")
        return F.transform(chars, lambda c: (F.instr(F.lit(alphabet), c) - 1 + offset).cast("float"))

    # sources padded at the front, so that the encoder's last state (the decoder's first) follows the last
    # character rather than a run of padding
    padding = F.array_repeat(F.lit(float(PAD)), SOURCE_LENGTH)
    df = df.select(F.slice(F.concat(padding, ids("source", SOURCE_CHARS, 1, SOURCE_LENGTH)), -SOURCE_LENGTH,
                           SOURCE_LENGTH).alias("src"),
                   ids("target", TARGET_CHARS, 0, TARGET_LENGTH).alias("tgt"))
    train_df, held_df = df.randomSplit([1 - held_out_share, held_out_share], seed=seed)
    return to_arrays(train_df.collect()), to_arrays(held_df.collect())


def to_arrays(rows):
    src = np.array([r.src for r in rows], dtype=np.float32)
    tgt = np.array([r.tgt for r in rows], dtype=np.float32)
    dec = np.concatenate([np.full((len(tgt), 1), BOS, dtype=np.float32), tgt[:, :-1]], axis=1)
    return src, dec, tgt


def train(sc, model, data, held_out, args):
    parts = sc.defaultParallelism
    src, dec, tgt = data
    rdd = sc.parallelize([([s, d], t) for s, d, t in zip(src, dec, tgt)], parts)
    val = sc.parallelize([([s, d], t) for s, d, t in zip(*held_out)], parts)
    criterion = TimeDistributedCriterion(ClassNLLCriterion(), True)
    optimizer = Optimizer(model=model, training_rdd=rdd, criterion=criterion,
                          optim_method=Adam(learningrate=args.learning_rate), end_trigger=MaxEpoch(args.epochs),
                          batch_size=args.batch_size)
    optimizer.set_validation(batch_size=256, val_rdd=val, trigger=EveryEpoch(), val_method=[Loss(criterion)])
    start = time.time()
    optimizer.optimize(progress=args.progress)
    return time.time() - start, model.evaluate(val, 256, [Loss(criterion)])[0].result


def exact_match(predicted, target):
    return float(np.mean(np.all(predicted == target.astype(np.int64), axis=1)))


def as_text(ids):
    return "".join(TARGET_CHARS[i] if i < len(TARGET_CHARS) else "?" for i in ids)


def run(args, sc=None):
    """Generates, trains both models, decodes and returns the figures as a dict."""
    from pyspark.sql import SparkSession

    sc = sc or start_spark(args.master)
    init_engine(seed=args.seed)
    spark = SparkSession.builder.getOrCreate()
    start = time.time()
    data, held_out = prepare(spark, args.examples, args.seed, args.held_out, sc.defaultParallelism)
    print(f"generated and encoded {len(data[0])} training and {len(held_out[0])} held-out dates with Spark "
          f"in {time.time() - start:.1f} s")
    result = {}
    for name, attention in (("attention", True), ("baseline", False)):
        model = Seq2Seq(len(SOURCE_CHARS) + 1, len(TARGET_CHARS) + 1, args.embedding, args.hidden, attention=attention)
        seconds, loss = train(sc, model, data, held_out, args)
        greedy = exact_match(greedy_decode(model, held_out[0], BOS, TARGET_LENGTH), held_out[2])
        result[name] = {"greedy": greedy, "seconds": seconds, "loss": loss}
        if attention:
            tokens, _ = beam_search(model, held_out[0], BOS, TARGET_LENGTH, width=args.beam)
            result[name]["beam"] = exact_match(tokens, held_out[2])
            sample = greedy_decode(model, held_out[0][:3], BOS, TARGET_LENGTH)
            for s, p in zip(held_out[0][:3], sample):
                print(f"  {''.join(SOURCE_CHARS[int(i) - 1] for i in s if i > 0)!r:34} -> {as_text(p)}")
        print(f"{name}: trained {args.epochs} epochs in {seconds:.1f} s, held-out loss {loss:.4f}, "
              f"exact match greedy {greedy:.4f}" + (f", beam({args.beam}) {result[name]['beam']:.4f}"
                                                     if attention else ""))
    return result


def parser():
    p = application_parser(__doc__, epochs=5, batch_size=64, learning_rate=5e-3)
    p.add_argument("--examples", type=int, default=12000, help="dates generated (before removing duplicates)")
    p.add_argument("--held-out", type=float, default=0.1, help="share of distinct inputs held out")
    p.add_argument("--embedding", type=int, default=16)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--min-exact-match", type=float, default=0.95, help="exit with an error below this")
    return p


def main():
    args = parser().parse_args()
    result = run(args)
    best, baseline = result["attention"], result["baseline"]["greedy"]
    check_floor("exact match (greedy)", best["greedy"], args.min_exact_match, baseline)
    check_floor("exact match (beam search)", best["beam"], args.min_exact_match, baseline)


if __name__ == "__main__":
    main()
