package ember.nn

import ember.tensor.Tensor

/**
 * A criterion applied to every (sample, time step) of a padded batch of sequences, ignoring the padded
 * steps (BigDL `TimeDistributedMaskCriterion`): the input is [batch, time, ...], the target [batch, time]
 * (e.g. 0-based class labels) or [batch, time, ...]; a step is padding when all its target values equal
 * `paddingValue`. The loss is the mean over the unpadded steps of the criterion applied to that step alone
 * (a batch of one); padded steps get a zero gradient. The default padding value is -1, not BigDL's 0:
 * labels are 0-based, so 0 is a class.
 */
class TimeDistributedMaskCriterion(val critrn: Criterion, val paddingValue: Double) extends TensorCriterion {
  require(critrn != null, "TimeDistributedMaskCriterion: critrn must not be null")
  require(!paddingValue.isNaN, "TimeDistributedMaskCriterion: paddingValue must not be NaN")

  def this(critrn: Criterion) = this(critrn, -1.0)

  private val name = "TimeDistributedMaskCriterion"

  /** (batch index, step, input step [1, ...], target step [1, ...]) of every unpadded step. */
  private def steps(input: Tensor, target: Tensor): Seq[(Int, Int, Tensor, Tensor)] = {
    require(input.dim >= 2 && target.dim >= 2 && input.size(0) == target.size(0) && input.size(1) == target.size(1),
      s"$name: expected input [batch, time, ...] and target [batch, time, ...] of the same batch and time, " +
        s"got ${input.shapeString} and ${target.shapeString}")
    val pad = paddingValue.toFloat
    for {
      b <- 0 until input.size(0)
      t <- 0 until input.size(1)
      y = target.narrow(0, b, 1).narrow(1, t, 1).contiguous()
      if !y.toArray.forall(_ == pad)
    } yield {
      val x = input.narrow(0, b, 1).narrow(1, t, 1).contiguous()
      (b, t, x.view(1 +: x.shape.drop(2)), y.view(1 +: y.shape.drop(2)))
    }
  }

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    val s = steps(input, target)
    output = if (s.isEmpty) 0f else (s.map { case (_, _, x, y) => critrn.forward(x, y).toDouble }.sum / s.length).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val s = steps(input, target)
    val gi = Tensor(input.shape.toIndexedSeq: _*)
    for ((b, t, x, y) <- s) {
      val g = critrn.backward(x, y).toTensor
      val slot = gi.narrow(0, b, 1).narrow(1, t, 1)
      require(g.nElement == slot.nElement, s"$name: the criterion's gradient ${g.shapeString} does not match the step")
      slot.copy(g.contiguous().view(slot.shape).clone().mul(1f / s.length))
    }
    gradInput = gi
    gi
  }

  override def config: Seq[(String, Any)] = Seq("critrn" -> critrn, "paddingValue" -> paddingValue)
  override def configDefaults: Seq[(String, Any)] = Seq("paddingValue" -> -1.0)
}
