package ember.nn

import ember.tensor.Tensor

/**
 * Applies a criterion to every time step of a sequence (BigDL `TimeDistributedCriterion`): the input and
 * target are sliced along `dimension` (0-based, default 1: [batch, time, ...]; BigDL's 1-based 2), the
 * criterion is applied to each slice pair and the losses are summed, or averaged over the time steps with
 * `sizeAverage`.
 */
class TimeDistributedCriterion(val critrn: Criterion, val sizeAverage: Boolean, val dimension: Int) extends TensorCriterion {
  require(critrn != null, "TimeDistributedCriterion: critrn must not be null")
  require(dimension >= 0, s"TimeDistributedCriterion: dimension must be >= 0 (0-based), got $dimension")

  def this(critrn: Criterion, sizeAverage: Boolean) = this(critrn, sizeAverage, 1)
  def this(critrn: Criterion) = this(critrn, false, 1)

  private val name = "TimeDistributedCriterion"

  private def steps(input: Tensor, target: Tensor): Int = {
    require(input.dim > dimension && target.dim > dimension && input.size(dimension) == target.size(dimension),
      s"$name: input ${input.shapeString} and target ${target.shapeString} need the same size along dimension $dimension")
    input.size(dimension)
  }

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    val n = steps(input, target)
    val total = (0 until n).map(t => critrn.forward(input.select(dimension, t).contiguous(), target.select(dimension, t).contiguous()).toDouble).sum
    output = (if (sizeAverage) total / n else total).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val n = steps(input, target)
    val gi = Tensor(input.shape.toIndexedSeq: _*)
    for (t <- 0 until n) {
      val g = critrn.backward(input.select(dimension, t).contiguous(), target.select(dimension, t).contiguous()).toTensor
      val slot = gi.select(dimension, t)
      require(g.nElement == slot.nElement, s"$name: the criterion's gradient ${g.shapeString} does not match the step ${slot.shapeString}")
      slot.copy(g.contiguous().view(slot.shape))
    }
    if (sizeAverage) gi.mul(1f / n)
    gradInput = gi
    gi
  }

  /** `sizeAverage` averages over time steps; over the batch, the inner criterion decides. */
  override def averagesOverBatch: Boolean = critrn.averagesOverBatch

  override def config: Seq[(String, Any)] = Seq("critrn" -> critrn, "sizeAverage" -> sizeAverage, "dimension" -> dimension)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> false, "dimension" -> 1)
}
