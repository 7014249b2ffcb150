package ember.nn

import ember.tensor.{Activity, Tensor}

/**
 * Applies a module to every time step of a [batch, time, ...] input by folding time into the batch
 * (BigDL's `TimeDistributed(layer)`): the module sees [batch * time, ...] and its output
 * [batch * time, ...] comes back as [batch, time, ...]. One call of the module per batch, not per step.
 */
class TimeDistributed extends Container {

  def this(layer: Module) = { this(); add(layer) }

  override def add(module: Module): this.type = {
    require(modules.isEmpty, "TimeDistributed holds exactly one module; it already has one")
    super.add(module)
  }

  private def layer: Module = { require(modules.nonEmpty, "TimeDistributed: no module; add one first"); modules.head }

  private def folded(x: Tensor): Tensor = {
    require(x.dim >= 3, s"TimeDistributed: expected input of shape [batch, time, ...], got ${x.shapeString}")
    x.contiguous().view(x.size(0) * x.size(1) +: x.shape.drop(2))
  }

  private def unfolded(y: Tensor, x: Tensor): Tensor = {
    require(y.dim >= 1 && y.size(0) == x.size(0) * x.size(1),
      s"TimeDistributed: the module returned ${y.shapeString} for ${x.size(0) * x.size(1)} folded steps")
    y.contiguous().view(Array(x.size(0), x.size(1)) ++ y.shape.drop(1))
  }

  private def foldedGrad(g: Activity): Tensor = { val t = g.toTensor.contiguous(); t.view(t.size(0) * t.size(1) +: t.shape.drop(2)) }

  override def updateOutput(input: Activity): Activity = {
    val x = input.toTensor
    output = unfolded(layer.forward(folded(x)).toTensor, x)
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val x = input.toTensor
    gradInput = layer.updateGradInput(folded(x), foldedGrad(gradOutput)).toTensor.contiguous().view(x.shape)
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit =
    Module.accGrad(layer, folded(input.toTensor), foldedGrad(gradOutput))

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    val x = input.toTensor
    gradInput = layer.backward(folded(x), foldedGrad(gradOutput)).toTensor.contiguous().view(x.shape)
  }
}
