package ember.nn

import ember.tensor.Tensor

/**
 * The shared body of the criterions whose loss is a sum over elements of a function of one input value and
 * the matching target value (SmoothL1, Abs, Margin, SoftMargin, ...): the input and target must have the
 * same number of elements; with `sizeAverage` the sum is divided by the number of elements. Subclasses give
 * the per-element loss and its derivative in Double.
 */
private[nn] abstract class PointwiseCriterion(sizeAverage: Boolean) extends TensorCriterion {

  protected def name: String = getClass.getSimpleName

  /** The loss of element `i` with input value `x` and target value `y`. */
  protected def lossAt(x: Double, y: Double, i: Int): Double

  /** d lossAt / dx. */
  protected def gradAt(x: Double, y: Double, i: Int): Double

  /** Extra checks of the target values, e.g. labels in {-1, 1}. */
  protected def checkTarget(y: Array[Float]): Unit = ()

  private def read(input: Tensor, target: Tensor): (Array[Float], Array[Float]) = {
    Targets.requireSameShape(name, input, target)
    val y = target.toArray
    checkTarget(y)
    (input.toArray, y)
  }

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    val (x, y) = read(input, target)
    var acc = 0.0
    var i = 0
    while (i < x.length) { acc += lossAt(x(i), y(i), i); i += 1 }
    output = (if (sizeAverage) acc / x.length else acc).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val (x, y) = read(input, target)
    val gi = gradInput.toTensor.resize(input.shape)
    val scale = if (sizeAverage) 1.0 / x.length else 1.0
    var i = 0
    while (i < x.length) { gi.storage(gi.offset + i) = (scale * gradAt(x(i), y(i), i)).toFloat; i += 1 }
    gi
  }
}

/** Checks of targets shared by the criterions. */
private[nn] object Targets {

  /**
   * Requires a non-empty target of the input's shape, size-1 dimensions aside ((N, 1) against (N,) is the
   * same elements in the same order; (N, C) against (C, N) is not, and would give a wrong loss).
   */
  def requireSameShape(owner: String, input: Tensor, target: Tensor): Unit = {
    def squeezed(t: Tensor) = t.shape.filter(_ != 1).toSeq
    require(input.nElement > 0 && squeezed(input) == squeezed(target),
      s"$owner: target of shape ${target.shapeString} does not match input of shape ${input.shapeString}")
  }

  /** Requires every value to be -1 or 1. */
  def requireSigns(owner: String, y: Array[Float]): Unit = {
    var i = 0
    while (i < y.length) {
      if (y(i) != 1f && y(i) != -1f)
        throw new IllegalArgumentException(s"$owner: target value ${y(i)} at index $i is not -1 or 1")
      i += 1
    }
  }

  /** A target given as a tensor, or as a table whose first entry is the tensor (BigDL's form). */
  def tensor(owner: String, target: ember.tensor.Activity): Tensor = target match {
    case t: Tensor => t
    case t: ember.tensor.Table if t.length >= 1 => t(0).toTensor
    case other => throw new IllegalArgumentException(s"$owner: expected the target as a tensor, got $other")
  }

  /** The two tensors of a table input of two entries. */
  def pair(owner: String, input: ember.tensor.Activity): (Tensor, Tensor) = input match {
    case t: ember.tensor.Table if t.length == 2 => (t(0).toTensor, t(1).toTensor)
    case other => throw new IllegalArgumentException(
      s"$owner: expected a table of two tensors as input, got ${other.getClass.getSimpleName}" +
        (other match { case t: ember.tensor.Table => s" of ${t.length} entries"; case _ => "" }))
  }

  /** log(1 + exp(v)) without overflow. */
  def softplus(v: Double): Double = if (v > 0) v + math.log1p(math.exp(-v)) else math.log1p(math.exp(v))

  def sigmoid(v: Double): Double = if (v >= 0) 1 / (1 + math.exp(-v)) else { val e = math.exp(v); e / (1 + e) }
}
