package ember.data

import ember.tensor.{Activity, Table, Tensor}

/**
 * An in-memory data set for the LocalOptimizer (and for local validation): every feature and the labels
 * are stored as one flat array each, `[n, shape...]` row after row, so a mini-batch is a gather of rows
 * with `System.arraycopy` and no per-sample objects exist after construction.
 *
 * The epoch order is a permutation drawn from `(seed, epoch)` only ([[permutation]], see [[BatchPlan]]), so a
 * resumed run, or the DistriOptimizer fed the same samples, sees exactly the same batches.
 *
 * Construction checks the data: at least one sample, consistent shapes, and no NaN or infinite value (the
 * error names the first bad sample index).
 */
final class LocalDataSet private (
    private val features: Array[Array[Float]],
    val featureShapes: Array[Array[Int]],
    private val labels: Array[Float],
    val labelShape: Array[Int],
    val size: Int
) {
  private val featureRow = featureShapes.map(_.product)
  private val labelRow = labelShape.product

  /** Whether the samples carry labels: unlabelled samples (prediction input) have the label shape [0]. */
  def hasLabels: Boolean = !(labelShape.length == 1 && labelShape(0) == 0)

  /**
   * Refuses data without labels for training, before any step: `what` names the data in the message
   * (e.g. "LocalOptimizer: training data").
   */
  def requireLabels(what: String): this.type = {
    require(hasLabels, s"$what: the labels are missing: the $size samples have no label (label shape [0], as prediction " +
      "input has); training needs samples with a label, e.g. Sample(feature, label)")
    this
  }

  /** Mini-batches per epoch for `batchSize` (the last one may be smaller). */
  def batchesPerEpoch(batchSize: Int): Int = {
    require(batchSize > 0, s"batchSize must be > 0, got $batchSize")
    (size + batchSize - 1) / batchSize
  }

  /** The sample order of `epoch` (1-based): a seeded shuffle, or 0 until size when `shuffle` is false. */
  def permutation(epoch: Int, seed: Long, shuffle: Boolean = true): Array[Int] = BatchPlan.permutation(size, epoch, seed, shuffle)

  /** The batch of samples `order(from until until)`, copied into fresh tensors. */
  def batch(order: Array[Int], from: Int, until: Int): MiniBatch = {
    require(from >= 0 && from < until && until <= order.length, s"batch [$from, $until) out of range for ${order.length} samples")
    val n = until - from
    val inputs = features.indices.map(f => gather(features(f), featureRow(f), featureShapes(f), order, from, n))
    val input: Activity = if (inputs.length == 1) inputs.head else Table(inputs: _*)
    MiniBatch(input, gather(labels, labelRow, labelShape, order, from, n))
  }

  /** The mini-batches of one epoch, in the order of [[permutation]]. */
  def batches(batchSize: Int, epoch: Int, seed: Long, shuffle: Boolean = true): Iterator[MiniBatch] = {
    val order = permutation(epoch, seed, shuffle)
    Iterator.range(0, batchesPerEpoch(batchSize)).map(b => batch(order, b * batchSize, math.min(size, (b + 1) * batchSize)))
  }

  /** Sample `i` (copied), e.g. for tests or conversion to an RDD. */
  def sample(i: Int): Sample = {
    require(i >= 0 && i < size, s"sample index $i out of range [0, $size)")
    Sample.fromArrays(features.indices.map(f => java.util.Arrays.copyOfRange(features(f), i * featureRow(f), (i + 1) * featureRow(f))).toArray,
      featureShapes, java.util.Arrays.copyOfRange(labels, i * labelRow, (i + 1) * labelRow), labelShape)
  }

  private def gather(src: Array[Float], row: Int, shape: Array[Int], order: Array[Int], from: Int, n: Int): Tensor = {
    val out = new Array[Float](n * row)
    var i = 0
    while (i < n) { System.arraycopy(src, order(from + i) * row, out, i * row, row); i += 1 }
    Tensor.fromArray(out, n +: shape)
  }

  override def toString: String =
    s"LocalDataSet($size samples, features ${featureShapes.map(_.mkString("[", ", ", "]")).mkString(", ")}, label ${labelShape.mkString("[", ", ", "]")})"
}

object LocalDataSet {

  /**
   * A data set over one flat feature array of `n * prod(featureShape)` values and a label array of
   * `n * prod(labelShape)` values (arrays are used as they are, not copied): the fast path for numpy data
   * that Python hands over as raw bytes. `labelShape` is per sample: empty for one scalar class index per
   * sample (targets of shape [batch]).
   */
  def fromArrays(features: Array[Float], featureShape: Array[Int], labels: Array[Float], labelShape: Array[Int]): LocalDataSet = {
    require(features != null && labels != null, "LocalDataSet: features and labels must not be null")
    require(featureShape.forall(_ > 0), s"LocalDataSet: featureShape must have positive sizes, got ${featureShape.mkString("[", ", ", "]")}")
    require(labelShape.forall(_ > 0), s"LocalDataSet: labelShape must have positive sizes, got ${labelShape.mkString("[", ", ", "]")}")
    val row = featureShape.product
    require(features.length > 0, "LocalDataSet: empty data (no samples)")
    require(features.length % row == 0,
      s"LocalDataSet: ${features.length} feature values are not a whole number of samples of shape ${featureShape.mkString("[", ", ", "]")}")
    val n = features.length / row
    require(labels.length == n * labelShape.product,
      s"LocalDataSet: ${labels.length} label values for $n samples of label shape ${labelShape.mkString("[", ", ", "]")} (expected ${n * labelShape.product})")
    checkFinite("feature", features, row)
    checkFinite("label", labels, labelShape.product)
    new LocalDataSet(Array(features), Array(featureShape.clone()), labels, labelShape.clone(), n)
  }

  /** The same with scalar labels, one per sample (class indices, 0-based). */
  def fromArrays(features: Array[Float], featureShape: Array[Int], labels: Array[Float]): LocalDataSet =
    fromArrays(features, featureShape, labels, Array.emptyIntArray)

  /** A data set from samples (copied into flat arrays); all samples must have the same shapes. */
  def apply(samples: Seq[Sample]): LocalDataSet = {
    require(samples != null && samples.nonEmpty, "LocalDataSet: empty data (no samples)")
    val batch = MiniBatch.fromSamples(samples) // checks shapes, naming the first inconsistent sample
    val inputs = batch.input match { case t: Tensor => Seq(t); case t: Table => t.items.map(_.toTensor).toSeq; case _ => Nil }
    val target = batch.target.toTensor
    inputs.foreach(t => checkFinite("feature", t.storage, t.nElement / samples.length))
    checkFinite("label", target.storage, math.max(1, target.nElement / samples.length))
    new LocalDataSet(inputs.map(_.storage).toArray, inputs.map(_.shape.drop(1)).toArray, target.storage, target.shape.drop(1),
      samples.length)
  }

  private def checkFinite(what: String, data: Array[Float], row: Int): Unit = {
    var i = 0
    while (i < data.length) {
      val v = data(i)
      if (v.isNaN || v.isInfinite) throw new IllegalArgumentException(
        s"LocalDataSet: $what of sample ${i / math.max(row, 1)} contains $v (value index ${i % math.max(row, 1)}); " +
          "clean or impute the data before training")
      i += 1
    }
  }
}
