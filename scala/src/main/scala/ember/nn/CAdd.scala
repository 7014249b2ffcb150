package ember.nn

import ember.tensor.Tensor

/**
 * Adds a learnable tensor of shape `size` to the input, broadcasting it numpy-style over the input's
 * leading dimensions and its own size-1 dimensions (BigDL's `CAdd(size)`): `size` = [C, 1, 1] gives one
 * bias per channel of [N, C, H, W] input. Initialised uniform in +-1/sqrt(number of elements of `size`).
 */
class CAdd(val size: Array[Int]) extends TensorModule {
  require(size != null && size.nonEmpty && size.forall(_ > 0),
    s"CAdd: size must be a non-empty list of positive sizes, got ${if (size == null) "null" else size.mkString("[", ", ", "]")}")

  val bias: Tensor = Tensor(size.toIndexedSeq: _*)
  val gradBias: Tensor = Tensor(size.toIndexedSeq: _*)
  reset()

  override def reset(): Unit = initUniform(bias.nElement.toDouble, bias)

  override def updateOutput(input: Tensor): Tensor = {
    val b = Broadcast.expand("CAdd", bias, input)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(input.shape).copy(input).add(b)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("CAdd", gradOutput, outTensor)
    gradInTensor.resize(input.shape).copy(g)
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit =
    Broadcast.accumulate("CAdd", gradOutput.contiguous().view(input.shape), gradBias, 1f)

  override def ownParameters: Seq[(String, Parameter)] = Seq("bias" -> Parameter(bias, gradBias))
  override def config: Seq[(String, Any)] = Seq("size" -> size)
}
