package ember.nn

import ember.tensor.Tensor

/**
 * Euclidean distance of the input to each of `outputSize` learnable points (BigDL's
 * `Euclidean(inputSize, outputSize)`): y[n, j] = |x_n - w[:, j]|, weight [inputSize, outputSize] (BigDL's and
 * Torch's layout: one point per column). The gradient at a zero distance is taken as 0. Input
 * [batch, inputSize] or [inputSize]; weights start uniform in +-1/sqrt(inputSize).
 */
class Euclidean(val inputSize: Int, val outputSize: Int) extends TensorModule {
  require(inputSize > 0 && outputSize > 0, s"Euclidean: sizes must be positive, got inputSize=$inputSize outputSize=$outputSize")

  val weight: Tensor = Tensor(inputSize, outputSize)
  val gradWeight: Tensor = Tensor(inputSize, outputSize)
  reset()

  override def reset(): Unit = initUniform(inputSize.toDouble, weight)

  private def asBatch(x: Tensor): Tensor = {
    require((x.dim == 1 || x.dim == 2) && x.size(x.dim - 1) == inputSize,
      s"Euclidean: expected input of shape [batch, $inputSize] or [$inputSize], got ${x.shapeString}")
    x.contiguous().view(-1, inputSize)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = asBatch(input)
    val (n, xs, xo, w, wo) = (x.size(0), x.storage, x.offset, weight.storage, weight.offset)
    val out = outTensor.resize(n, outputSize)
    for (b <- 0 until n; j <- 0 until outputSize) {
      var acc = 0.0
      var i = 0
      while (i < inputSize) { val d = xs(xo + b * inputSize + i) - w(wo + i * outputSize + j); acc += d * d; i += 1 }
      out.storage(out.offset + b * outputSize + j) = math.sqrt(acc).toFloat
    }
    if (input.dim == 1) output = out.view(outputSize)
    outTensor
  }

  /** Calls f(b, i, j, (x[b, i] - w[i, j]) * g[b, j] / y[b, j]) for every triple with a non-zero distance. */
  private def foreachTerm(x: Tensor, g: Tensor)(f: (Int, Int, Int, Float) => Unit): Unit = {
    val (xs, xo, w, wo, ys, yo, gs, go) = (x.storage, x.offset, weight.storage, weight.offset, outTensor.storage,
      outTensor.offset, g.storage, g.offset)
    for (b <- 0 until x.size(0); j <- 0 until outputSize) {
      val y = ys(yo + b * outputSize + j)
      if (y > 0f) {
        val s = gs(go + b * outputSize + j) / y
        var i = 0
        while (i < inputSize) { f(b, i, j, (xs(xo + b * inputSize + i) - w(wo + i * outputSize + j)) * s); i += 1 }
      }
    }
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = asBatch(input)
    val g = LayerSupport.gradLike("Euclidean", gradOutput, outTensor)
    val gi = gradInTensor.resize(x.size(0), inputSize).zero()
    val (d, o) = (gi.storage, gi.offset)
    foreachTerm(x, g)((b, i, _, v) => d(o + b * inputSize + i) += v)
    if (input.dim == 1) gradInput = gi.view(inputSize)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val x = asBatch(input)
    val g = gradOutput.contiguous()
    val (d, o) = (gradWeight.storage, gradWeight.offset)
    foreachTerm(x, g)((_, i, j, v) => d(o + i * outputSize + j) -= v)
  }

  override def ownParameters: Seq[(String, Parameter)] = Seq("weight" -> Parameter(weight, gradWeight))
  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize, "outputSize" -> outputSize)
}
