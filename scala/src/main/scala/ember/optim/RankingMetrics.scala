package ember.optim

import ember.tensor.Activity

/**
 * The rank of each user's positive item among its candidates, for NCF-style ranking evaluation: the output
 * holds one score per (user, item) and the target 1 for the positive item and 0 for the negatives, the
 * items of each user consecutive in groups of `negNum + 1` with exactly one positive per group (the batch
 * size must be a multiple of negNum + 1). Ties with a higher score's item count against the positive.
 * A two-class output [batch, 2] (e.g. `ember.models.NeuralCF`'s log-probabilities) ranks by column 1, the
 * positive class, as [[PrecisionRecallAUC]] does.
 */
private[optim] object Ranking {

  /** The 1-based rank of the positive item of each group. */
  def ranks(method: String, output: Activity, target: Activity, negNum: Int): Array[Int] = {
    val (raw, t) = (output.toTensor, target.toTensor)
    val o = if (raw.dim == 2 && raw.size(1) == 2 && raw.size(0) == t.nElement) raw.select(1, 1) else raw
    val group = negNum + 1
    require(o.nElement == t.nElement, s"$method: ${t.nElement} targets for output of shape ${raw.shapeString} (expected " +
      "one score per item, [batch] or [batch, 1], or two-class scores [batch, 2])")
    require(o.nElement > 0 && o.nElement % group == 0, s"$method: ${o.nElement} scores are not whole groups of " +
      s"negNum + 1 = $group items (one positive and $negNum negatives per user); use a batch size that is a multiple of $group")
    val (s, y) = (o.toArray, t.toArray)
    Array.tabulate(s.length / group) { u =>
      val from = u * group
      val positives = (from until from + group).filter(i => y(i) == 1f)
      require(positives.length == 1 && (from until from + group).forall(i => y(i) == 0f || y(i) == 1f),
        s"$method: user $u (items $from to ${from + group - 1}) must have exactly one target 1 and the rest 0, " +
          s"got ${positives.length} positives")
      val p = positives.head
      1 + (from until from + group).count(i => i != p && (s(i) > s(p) || (s(i) == s(p) && i < p) || s(p).isNaN))
    }
  }
}

/** The fraction of users whose positive item ranks among the top `k` of its `negNum + 1` candidates (BigDL `HitRatio`). */
class HitRatio(val k: Int, val negNum: Int) extends ValidationMethod {
  require(k > 0, s"HitRatio: k must be > 0, got $k")
  require(negNum >= 0, s"HitRatio: negNum must be >= 0, got $negNum")

  def this(k: Int) = this(k, 100)
  def this() = this(10)

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val r = Ranking.ranks(name, output, target, negNum)
    MeanResult(name, r.count(_ <= k).toDouble, r.length)
  }

  override def name: String = s"HitRatio@$k"
}

/**
 * Normalised discounted cumulative gain at `k` with one relevant item per user (BigDL `NDCG`): per user
 * `1 / log2(rank + 1)` when the positive item ranks in the top `k`, else 0; averaged over users.
 */
class NDCG(val k: Int, val negNum: Int) extends ValidationMethod {
  require(k > 0, s"NDCG: k must be > 0, got $k")
  require(negNum >= 0, s"NDCG: negNum must be >= 0, got $negNum")

  def this(k: Int) = this(k, 100)
  def this() = this(10)

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val r = Ranking.ranks(name, output, target, negNum)
    MeanResult(name, r.map(x => if (x <= k) math.log(2) / math.log(x + 1.0) else 0.0).sum, r.length)
  }

  override def name: String = s"NDCG@$k"
}
