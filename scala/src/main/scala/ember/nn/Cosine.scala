package ember.nn

import ember.tensor.Tensor

/**
 * Cosine similarity of the input with each of `outputSize` learnable vectors (BigDL's
 * `Cosine(inputSize, outputSize)`): y[n, j] = w_j . x_n / (|w_j| |x_n|), weight [outputSize, inputSize].
 * Norms get 1e-12 added (Torch) so a zero vector gives 0, not NaN. Input [batch, inputSize] or [inputSize].
 * Weights start uniform in +-1/sqrt(inputSize).
 */
class Cosine(val inputSize: Int, val outputSize: Int) extends TensorModule {
  require(inputSize > 0 && outputSize > 0, s"Cosine: sizes must be positive, got inputSize=$inputSize outputSize=$outputSize")

  val weight: Tensor = Tensor(outputSize, inputSize)
  val gradWeight: Tensor = Tensor(outputSize, inputSize)
  reset()

  override def reset(): Unit = initUniform(inputSize.toDouble, weight)

  private def asBatch(x: Tensor): Tensor = {
    require((x.dim == 1 || x.dim == 2) && x.size(x.dim - 1) == inputSize,
      s"Cosine: expected input of shape [batch, $inputSize] or [$inputSize], got ${x.shapeString}")
    x.contiguous().view(-1, inputSize)
  }

  /** Rows of `m` divided by their norms, and the norms. */
  private def normalizeRows(m: Tensor): (Tensor, Array[Float]) = {
    val norms = Array.tabulate(m.size(0))(r => m.select(0, r).norm2() + 1e-12f)
    val out = m.clone()
    for (r <- norms.indices) out.select(0, r).mul(1f / norms(r))
    (out, norms)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = asBatch(input)
    val (xn, _) = normalizeRows(x)
    val (wn, _) = normalizeRows(weight)
    val out = outTensor.resize(x.size(0), outputSize).addmm(0f, 1f, xn, wn.t())
    if (input.dim == 1) output = out.view(outputSize)
    outTensor
  }

  /** Rows of `unit` scaled by the row sums of (g .* y), for the second term of both gradients. */
  private def project(unit: Tensor, coeff: Array[Float]): Tensor = {
    val out = unit.clone()
    for (r <- coeff.indices) out.select(0, r).mul(coeff(r))
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = asBatch(input)
    val g = LayerSupport.gradLike("Cosine", gradOutput, outTensor).view(x.size(0), outputSize)
    val y = outTensor.view(x.size(0), outputSize)
    val (xn, xNorm) = normalizeRows(x)
    val (wn, _) = normalizeRows(weight)
    // dL/dx_n = (g_n Wn - (sum_j g_nj y_nj) xn_n) / |x_n|
    val gy = Array.tabulate(x.size(0))(n => g.select(0, n).dot(y.select(0, n)))
    val gi = gradInTensor.resize(x.size(0), inputSize).addmm(0f, 1f, g, wn).sub(project(xn, gy))
    for (n <- xNorm.indices) gi.select(0, n).mul(1f / xNorm(n))
    if (input.dim == 1) gradInput = gi.view(inputSize)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val x = asBatch(input)
    val g = gradOutput.contiguous().view(x.size(0), outputSize)
    val y = outTensor.view(x.size(0), outputSize)
    val (xn, _) = normalizeRows(x)
    val (wn, wNorm) = normalizeRows(weight)
    // dL/dw_j = (g_j^T Xn - (sum_n g_nj y_nj) wn_j) / |w_j|
    val gy = Array.tabulate(outputSize)(j => g.select(1, j).dot(y.select(1, j)))
    val d = Tensor(outputSize, inputSize).addmm(0f, 1f, g.t(), xn).sub(project(wn, gy))
    for (j <- wNorm.indices) d.select(0, j).mul(1f / wNorm(j))
    gradWeight.add(d)
  }

  override def ownParameters: Seq[(String, Parameter)] = Seq("weight" -> Parameter(weight, gradWeight))
  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize, "outputSize" -> outputSize)
}
