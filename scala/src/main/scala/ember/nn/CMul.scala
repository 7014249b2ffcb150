package ember.nn

import ember.tensor.Tensor

/**
 * Multiplies the input elementwise by a learnable tensor of shape `size`, broadcast numpy-style as in
 * [[CAdd]] (BigDL's `CMul(size)`). Initialised uniform in +-1/sqrt(number of elements of `size`).
 */
class CMul(val size: Array[Int]) extends TensorModule {
  require(size != null && size.nonEmpty && size.forall(_ > 0),
    s"CMul: size must be a non-empty list of positive sizes, got ${if (size == null) "null" else size.mkString("[", ", ", "]")}")

  val weight: Tensor = Tensor(size.toIndexedSeq: _*)
  val gradWeight: Tensor = Tensor(size.toIndexedSeq: _*)
  reset()

  override def reset(): Unit = initUniform(weight.nElement.toDouble, weight)

  override def updateOutput(input: Tensor): Tensor = {
    val w = Broadcast.expand("CMul", weight, input)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(input.shape).copy(input).cmul(w)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("CMul", gradOutput, outTensor)
    gradInTensor.resize(input.shape).copy(g).cmul(Broadcast.expand("CMul", weight, input))
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val gx = gradOutput.contiguous().clone().view(input.shape).cmul(input)
    Broadcast.accumulate("CMul", gx, gradWeight, 1f)
  }

  override def ownParameters: Seq[(String, Parameter)] = Seq("weight" -> Parameter(weight, gradWeight))
  override def config: Seq[(String, Any)] = Seq("size" -> size)
}
