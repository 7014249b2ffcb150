package ember.data

import ember.tensor.{Activity, Table, Tensor}

/**
 * A batch of `size` samples: the model `input` (a tensor whose first dimension is the batch, or a Table of
 * such tensors for multi-input models) and the `target` (likewise).
 */
final case class MiniBatch(input: Activity, target: Activity) {
  val size: Int = MiniBatch.batchSize(input)
  require(MiniBatch.batchSize(target) == size,
    s"MiniBatch: input has $size samples but target has ${MiniBatch.batchSize(target)}")

  /** Samples [offset, offset + length) as a batch of views (no copy): how a batch is split among replicas. */
  def slice(offset: Int, length: Int): MiniBatch = {
    require(offset >= 0 && length > 0 && offset + length <= size,
      s"MiniBatch.slice($offset, $length) out of range for a batch of $size")
    MiniBatch(MiniBatch.narrow(input, offset, length), MiniBatch.narrow(target, offset, length))
  }
}

object MiniBatch {

  /**
   * Stacks samples into one batch: feature i of every sample goes into input tensor i of shape
   * [n, featureShape...] (a Table when samples have several features), labels into [n, labelShape...].
   * All samples must have the same shapes; the error names the first sample that differs.
   */
  def fromSamples(samples: Seq[Sample]): MiniBatch = {
    require(samples.nonEmpty, "MiniBatch.fromSamples: no samples")
    val first = samples.head
    samples.iterator.zipWithIndex.foreach { case (s, i) =>
      require(s.numFeatures == first.numFeatures, s"sample $i has ${s.numFeatures} features but sample 0 has ${first.numFeatures}")
      (0 until s.numFeatures).foreach { f =>
        require(java.util.Arrays.equals(s.featureShapes(f), first.featureShapes(f)),
          s"inconsistent feature shapes: sample $i has feature $f of shape ${shape(s.featureShapes(f))} but sample 0 has ${shape(first.featureShapes(f))}")
      }
      if (!java.util.Arrays.equals(s.labelShape, first.labelShape)) {
        val unlabelled = Seq(i -> s, 0 -> first).collectFirst { case (j, u) if shape(u.labelShape) == "[0]" => j }
        throw new IllegalArgumentException(unlabelled.fold("")(j => s"the labels are missing: sample $j has no label; ") +
          s"inconsistent label shapes: sample $i has label shape ${shape(s.labelShape)} but sample 0 has ${shape(first.labelShape)}")
      }
    }
    val features = (0 until first.numFeatures).map(f => stack(samples.map(_.featureData(f)), first.featureShapes(f)))
    val input: Activity = if (features.length == 1) features.head else Table(features: _*)
    MiniBatch(input, stack(samples.map(_.labelData), first.labelShape))
  }

  private def stack(rows: Seq[Array[Float]], rowShape: Array[Int]): Tensor = {
    val rowSize = rows.head.length
    val data = new Array[Float](rows.length * rowSize)
    var i = 0
    rows.foreach { r => System.arraycopy(r, 0, data, i * rowSize, rowSize); i += 1 }
    Tensor.fromArray(data, rows.length +: rowShape)
  }

  private def shape(s: Array[Int]): String = s.mkString("[", ", ", "]")

  private[data] def batchSize(a: Activity): Int = a match {
    case t: Tensor =>
      require(t.dim >= 1, s"MiniBatch: a batch tensor needs a batch dimension, got shape ${t.shapeString}")
      t.size(0)
    case t: Table =>
      require(t.length > 0, "MiniBatch: empty Table")
      val sizes = t.items.map(batchSize).distinct
      require(sizes.length == 1, s"MiniBatch: Table entries have different batch sizes ${sizes.mkString(", ")}")
      sizes.head
    case other => throw new IllegalArgumentException(s"MiniBatch: unsupported activity ${other.getClass.getName}")
  }

  private def narrow(a: Activity, offset: Int, length: Int): Activity = a match {
    case t: Tensor => t.narrow(0, offset, length)
    case t: Table  => Table(t.items.map(narrow(_, offset, length)).toSeq: _*)
    case other     => throw new IllegalArgumentException(s"MiniBatch: unsupported activity ${other.getClass.getName}")
  }
}
