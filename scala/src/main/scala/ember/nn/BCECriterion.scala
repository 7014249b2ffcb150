package ember.nn

import ember.tensor.Tensor

/**
 * Binary cross-entropy between probabilities `x` and targets `y` in [0, 1] of the same size:
 * loss = -sum w (y log(x + eps) + (1 - y) log(1 - x + eps)), eps = 1e-12 as in BigDL, divided by the number
 * of elements when `sizeAverage`. `weights` (or null) has one entry per element of the input or per element
 * of one sample (then it repeats over the batch).
 */
class BCECriterion(val weights: Array[Float], val sizeAverage: Boolean) extends TensorCriterion {
  def this() = this(null, true)
  def this(weights: Array[Float]) = this(weights, true)

  private val Eps = 1e-12

  private def check(input: Tensor, target: Tensor): Unit = {
    Targets.requireSameShape("BCECriterion", input, target)
    require(weights == null || input.nElement % weights.length == 0 &&
      (weights.length == input.nElement || input.dim > 1 && weights.length == input.nElement / input.size(0)),
      s"BCECriterion: ${weights.length} weights fit neither the input ${input.shapeString} nor one sample of it")
  }

  private def w(i: Int): Double = if (weights == null) 1.0 else weights(i % weights.length).toDouble

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    check(input, target)
    val (x, y) = (input.toArray, target.toArray)
    var acc = 0.0
    var i = 0
    while (i < x.length) {
      val (p, t) = (x(i).toDouble, y(i).toDouble)
      acc -= w(i) * (t * math.log(p + Eps) + (1 - t) * math.log(1 - p + Eps))
      i += 1
    }
    output = (if (sizeAverage) acc / x.length else acc).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    check(input, target)
    val (x, y) = (input.toArray, target.toArray)
    val gi = gradInput.toTensor.resize(input.shape)
    val scale = if (sizeAverage) 1.0 / x.length else 1.0
    var i = 0
    while (i < x.length) {
      val (p, t) = (x(i).toDouble, y(i).toDouble)
      gi.storage(gi.offset + i) = (-w(i) * scale * (t - p) / ((1 - p + Eps) * (p + Eps))).toFloat
      i += 1
    }
    gi
  }

  override def config: Seq[(String, Any)] = Seq("weights" -> weights, "sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("weights" -> null, "sizeAverage" -> true)
}
