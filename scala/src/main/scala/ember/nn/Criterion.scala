package ember.nn

import ember.tensor.{Activity, Tensor}

/**
 * A loss function: `forward(input, target)` returns the loss and `backward(input, target)` the gradient of
 * the loss with respect to `input`. Like [[Module]], [[config]] returns the constructor arguments in order.
 */
abstract class Criterion {
  var output: Float = 0f
  var gradInput: Activity = new Tensor()

  def updateOutput(input: Activity, target: Activity): Float
  def updateGradInput(input: Activity, target: Activity): Activity

  def forward(input: Activity, target: Activity): Float = { output = updateOutput(input, target); output }
  def backward(input: Activity, target: Activity): Activity = updateGradInput(input, target)

  /** Constructor arguments in declaration order (name -> value). */
  def config: Seq[(String, Any)] = Nil

  /**
   * Whether the loss is a mean over the samples of the batch (true) or a sum (false). The optimizers weight
   * the losses and gradients of sub-batches by it (by their share of the batch when averaging), so results
   * do not depend on how a batch is split. Default: the `sizeAverage` argument when there is one, else true.
   */
  def averagesOverBatch: Boolean = config.collectFirst { case ("sizeAverage", b: Boolean) => b }.getOrElse(true)

  /** The defaults of the optional arguments of [[config]], for [[toString]] (see [[Module.configDefaults]]). */
  def configDefaults: Seq[(String, Any)] = Nil

  override def toString: String = LayerSupport.describe(getClass.getSimpleName, config, configDefaults)
}

/** A criterion on one input tensor and one target tensor. */
abstract class TensorCriterion extends Criterion {
  def updateOutput(input: Tensor, target: Tensor): Float
  def updateGradInput(input: Tensor, target: Tensor): Tensor

  final override def updateOutput(input: Activity, target: Activity): Float = updateOutput(input.toTensor, target.toTensor)
  final override def updateGradInput(input: Activity, target: Activity): Activity =
    updateGradInput(input.toTensor, target.toTensor)

  def forward(input: Tensor, target: Tensor): Float = super.forward(input, target)
  def backward(input: Tensor, target: Tensor): Tensor = super.backward(input, target).toTensor
}
