package ember.nn

import ember.tensor.Tensor

/**
 * [[LogSoftMax]] followed by [[ClassNLLCriterion]] on raw scores [batch, nClasses] (or [nClasses]) and
 * 0-based class labels, as BigDL's `CrossEntropyCriterion(weights, sizeAverage)`.
 */
class CrossEntropyCriterion(val weights: Array[Float], val sizeAverage: Boolean) extends TensorCriterion {

  def this() = this(null, true)
  def this(weights: Array[Float]) = this(weights, true)

  private val logSoftMax = new LogSoftMax()
  private val nll = new ClassNLLCriterion(weights, sizeAverage, true)

  private def checkInput(input: Tensor): Unit = require(input.dim == 1 || input.dim == 2,
    s"CrossEntropyCriterion: expected input of shape [batch, nClasses] or [nClasses], got ${input.shapeString}")

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    checkInput(input)
    output = nll.forward(logSoftMax.forward(input), target)
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    checkInput(input)
    val logProb = logSoftMax.forward(input)
    gradInput = logSoftMax.updateGradInput(input, nll.backward(logProb, target))
    gradInput.toTensor
  }

  override def config: Seq[(String, Any)] = Seq("weights" -> weights, "sizeAverage" -> sizeAverage)

  override def configDefaults: Seq[(String, Any)] = Seq("weights" -> null, "sizeAverage" -> true)
}
