package ember.nn

import ember.tensor.Tensor

/**
 * Repeats the input `nFeatures` times along a new dimension inserted at `dim` (BigDL's
 * `Replicate(nFeatures, dim, nDim)`; `dim` is 0-based here, 1-based in BigDL). `nDim` is the number of
 * dimensions of one sample: an input with more has a leading batch dimension and `dim` counts within a
 * sample. The output is a contiguous copy; the gradient sums over the new dimension.
 */
class Replicate(val nFeatures: Int, val dim: Int, val nDim: Int) extends TensorModule {
  require(nFeatures > 0, s"Replicate: nFeatures must be positive, got $nFeatures")
  require(dim >= 0, s"Replicate: dim must be >= 0 (0-based), got $dim")
  require(nDim > 0, s"Replicate: nDim must be positive, got $nDim")

  def this(nFeatures: Int, dim: Int) = this(nFeatures, dim, Int.MaxValue)
  def this(nFeatures: Int) = this(nFeatures, 0, Int.MaxValue)

  private def position(x: Tensor): Int = {
    val p = dim + (if (x.dim > nDim) x.dim - nDim else 0)
    require(p <= x.dim, s"Replicate: dim $dim is out of range for input of shape ${x.shapeString}")
    p
  }

  override def updateOutput(input: Tensor): Tensor = {
    val p = position(input)
    val shape = (input.shape.take(p) :+ nFeatures) ++ input.shape.drop(p)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(shape).copy(input.unsqueeze(p).expand(shape))
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val p = position(input)
    val g = LayerSupport.gradLike("Replicate", gradOutput, outTensor).view(outTensor.shape)
    val gi = gradInTensor.resize(input.shape).zero()
    var k = 0
    while (k < nFeatures) { gi.add(g.select(p, k)); k += 1 }
    gi
  }

  override def config: Seq[(String, Any)] = Seq("nFeatures" -> nFeatures, "dim" -> dim, "nDim" -> nDim)
  override def configDefaults: Seq[(String, Any)] = Seq("dim" -> 0, "nDim" -> Int.MaxValue)
}
