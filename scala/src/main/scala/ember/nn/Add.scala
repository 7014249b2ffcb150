package ember.nn

import ember.tensor.Tensor

/**
 * Adds a learnable bias of size `inputSize` to every row of [batch, inputSize] input, or to a single
 * [inputSize] vector (BigDL's `Add(inputSize)`), initialised uniform in +-1/sqrt(inputSize).
 */
class Add(val inputSize: Int) extends TensorModule {
  require(inputSize > 0, s"Add: inputSize must be positive, got $inputSize")

  val bias: Tensor = Tensor(inputSize)
  val gradBias: Tensor = Tensor(inputSize)
  reset()

  override def reset(): Unit = initUniform(inputSize.toDouble, bias)

  private def check(x: Tensor): Unit = require((x.dim == 1 || x.dim == 2) && x.size(x.dim - 1) == inputSize,
    s"Add: expected input of shape [batch, $inputSize] or [$inputSize], got ${x.shapeString}")

  override def updateOutput(input: Tensor): Tensor = {
    check(input)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(input.shape).copy(input).add(Broadcast.expand("Add", bias, input))
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Add", gradOutput, outTensor)
    gradInTensor.resize(input.shape).copy(g)
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit =
    Broadcast.accumulate("Add", gradOutput.contiguous().view(input.shape), gradBias, 1f)

  override def ownParameters: Seq[(String, Parameter)] = Seq("bias" -> Parameter(bias, gradBias))
  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize)
}
