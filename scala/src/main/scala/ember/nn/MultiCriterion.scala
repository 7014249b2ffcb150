package ember.nn

import scala.collection.mutable.ArrayBuffer

import ember.tensor.Activity

/**
 * A weighted sum of criterions applied to the same input and target (BigDL / Torch `MultiCriterion`):
 * `loss = sum_i weight_i * criterion_i(input, target)`, gradient the weighted sum of their gradients. Build it
 * with [[add]]; the criterions and weights are constructor arguments too, so the model file stores them.
 */
class MultiCriterion(criterions: Seq[Criterion], weights: Array[Double]) extends Criterion {
  require(criterions.length == weights.length, s"MultiCriterion: ${criterions.length} criterions but ${weights.length} weights")
  require(criterions.forall(_.isInstanceOf[Criterion]), "MultiCriterion: every entry must be a Criterion")

  def this() = this(Nil, Array.emptyDoubleArray)

  private val name = "MultiCriterion"
  private val members = ArrayBuffer.from(criterions)
  private val scales = ArrayBuffer.from(weights)

  /** Adds `criterion` with weight `weight` (default 1); returns this. */
  def add(criterion: Criterion, weight: Double = 1.0): this.type = {
    require(criterion != null, s"$name: criterion must not be null")
    require(!weight.isNaN && !weight.isInfinite, s"$name: weight must be finite, got $weight")
    members += criterion; scales += weight; this
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    require(members.nonEmpty, s"$name: no criterion added")
    output = members.zip(scales).map { case (c, w) => w * c.forward(input, target) }.sum.toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    require(members.nonEmpty, s"$name: no criterion added")
    var acc: Activity = Activities.scaled(members.head.backward(input, target), scales.head)
    members.indices.drop(1).foreach(i => acc = Activities.addScaled(acc, scales(i), members(i).backward(input, target)))
    gradInput = acc
    gradInput
  }

  override def averagesOverBatch: Boolean = members.forall(_.averagesOverBatch)

  override def config: Seq[(String, Any)] = Seq("criterions" -> members.toList, "weights" -> scales.toArray)

  override def toString: String =
    s"$name(${members.zip(scales).map { case (c, w) => if (w == 1.0) c.toString else s"$w * $c" }.mkString(", ")})"
}
