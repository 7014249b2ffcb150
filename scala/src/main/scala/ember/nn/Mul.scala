package ember.nn

import ember.tensor.{RandomGenerator, Tensor}

/** Multiplies the input by one learnable scalar (BigDL's `Mul()`), initialised uniform in [-1, 1). */
class Mul() extends TensorModule {
  val weight: Tensor = Tensor(1)
  val gradWeight: Tensor = Tensor(1)
  reset()

  override def reset(): Unit = weight.fill(RandomGenerator.random.nextFloat() * 2 - 1)

  override def updateOutput(input: Tensor): Tensor = {
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(input.shape).copy(input).mul(weight.value())
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Mul", gradOutput, outTensor)
    gradInTensor.resize(input.shape).copy(g).mul(weight.value())
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val (g, x) = (gradOutput.toArray, input.toArray)
    var acc = 0.0
    var i = 0
    while (i < g.length) { acc += g(i).toDouble * x(i); i += 1 }
    gradWeight.storage(gradWeight.offset) += acc.toFloat
  }

  override def ownParameters: Seq[(String, Parameter)] = Seq("weight" -> Parameter(weight, gradWeight))
}
