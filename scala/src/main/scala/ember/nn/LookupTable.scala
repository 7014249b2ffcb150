package ember.nn

import ember.tensor.{RandomGenerator, Tensor}

/**
 * An embedding: maps each index of the input to row `index` of a learnable [nIndex, nOutput] weight (BigDL's
 * `LookupTable(nIndex, nOutput, paddingValue, maxNorm, normType, shouldScaleGradByFreq)`).
 *
 * Indices are **0-based** (BigDL's are 1-based), stored as whole numbers in a Float tensor of any shape;
 * the output has the input's shape plus a last dimension of nOutput. An index that is not a whole number in
 * [0, nIndex) raises `IndexOutOfBoundsException` naming it. Rows of index `paddingValue` receive no gradient
 * (-1, the default, means none). With `maxNorm` finite, every looked-up row whose `normType`-norm exceeds it
 * is rescaled in place to norm `maxNorm` during forward (Torch's renorm). With `shouldScaleGradByFreq`, each
 * row's gradient is divided by the number of times its index occurs in the batch. The input gets a zero
 * gradient (indices are not differentiable). Weights start N(0, 0.1^2) (Torch and BigDL: N(0, 1); see `reset`).
 */
class LookupTable(val nIndex: Int, val nOutput: Int, val paddingValue: Int, val maxNorm: Double, val normType: Double,
    val shouldScaleGradByFreq: Boolean) extends TensorModule {
  require(nIndex > 0, s"LookupTable: nIndex must be positive, got $nIndex")
  require(nOutput > 0, s"LookupTable: nOutput must be positive, got $nOutput")
  require(paddingValue >= -1 && paddingValue < nIndex, s"LookupTable: paddingValue must be -1 (none) or an index in [0, $nIndex), got $paddingValue")
  require(maxNorm > 0, s"LookupTable: maxNorm must be positive, got $maxNorm")
  require(normType > 0, s"LookupTable: normType must be positive, got $normType")

  def this(nIndex: Int, nOutput: Int) = this(nIndex, nOutput, -1, Double.MaxValue, 2.0, false)
  def this(nIndex: Int, nOutput: Int, paddingValue: Int) = this(nIndex, nOutput, paddingValue, Double.MaxValue, 2.0, false)

  val weight: Tensor = Tensor(nIndex, nOutput)
  val gradWeight: Tensor = Tensor(nIndex, nOutput)
  reset()

  /**
   * Normal with standard deviation [[LookupTable.DefaultStdv]] (0.1), not Torch's 1: with N(0, 1) rows a
   * dot product of two embeddings starts with a spread of sqrt(nOutput), which saturates what follows
   * (NeuralCF learnt no more than popularity; TextCNN reached 0.59 accuracy against 0.90 with 0.1).
   * `setInitMethod(RandomNormal(0, 1))` gives Torch's.
   */
  override def reset(): Unit = RandomNormal(0, LookupTable.DefaultStdv).init(weight, nOutput, nIndex)

  /** The input's indices as ints, checked. */
  private def indices(input: Tensor): Array[Int] = {
    val v = input.toArray
    val out = new Array[Int](v.length)
    var i = 0
    while (i < v.length) {
      val k = v(i).toInt
      if (!(k.toFloat == v(i) && k >= 0 && k < nIndex)) throw new IndexOutOfBoundsException(
        s"LookupTable: index ${v(i)} at position $i of input ${input.shapeString} is out of range: indices are " +
          s"0-based whole numbers in [0, $nIndex)")
      out(i) = k
      i += 1
    }
    out
  }

  private def renorm(idx: Array[Int]): Unit = if (maxNorm < Double.MaxValue) {
    for (k <- idx.distinct) {
      val row = weight.select(0, k)
      val norm = math.pow(row.toArray.map(v => math.pow(math.abs(v.toDouble), normType)).sum, 1.0 / normType)
      if (norm > maxNorm) row.mul((maxNorm / (norm + 1e-7)).toFloat)
    }
  }

  override def updateOutput(input: Tensor): Tensor = {
    val idx = indices(input)
    renorm(idx)
    val out = outTensor.resize(input.shape :+ nOutput)
    val (w, wo, y, yo) = (weight.storage, weight.offset, out.storage, out.offset)
    var i = 0
    while (i < idx.length) { System.arraycopy(w, wo + idx(i) * nOutput, y, yo + i * nOutput, nOutput); i += 1 }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    LayerSupport.gradLike("LookupTable", gradOutput, outTensor)
    gradInTensor.resize(input.shape).zero()
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val idx = indices(input)
    val g = LayerSupport.gradLike("LookupTable", gradOutput, outTensor)
    val counts = if (shouldScaleGradByFreq) idx.groupBy(identity).map { case (k, v) => k -> v.length } else Map.empty[Int, Int]
    val (gw, gwo, gs, go) = (gradWeight.storage, gradWeight.offset, g.storage, g.offset)
    var i = 0
    while (i < idx.length) {
      val k = idx(i)
      if (k != paddingValue) {
        val scale = if (shouldScaleGradByFreq) 1f / counts(k) else 1f
        var j = 0
        while (j < nOutput) { gw(gwo + k * nOutput + j) += scale * gs(go + i * nOutput + j); j += 1 }
      }
      i += 1
    }
  }

  override def ownParameters: Seq[(String, Parameter)] = Seq("weight" -> Parameter(weight, gradWeight))
  override def config: Seq[(String, Any)] = Seq("nIndex" -> nIndex, "nOutput" -> nOutput, "paddingValue" -> paddingValue,
    "maxNorm" -> maxNorm, "normType" -> normType, "shouldScaleGradByFreq" -> shouldScaleGradByFreq)
  override def configDefaults: Seq[(String, Any)] =
    Seq("paddingValue" -> -1, "maxNorm" -> Double.MaxValue, "normType" -> 2.0, "shouldScaleGradByFreq" -> false)
}

object LookupTable {

  /** The standard deviation of the default initialisation. */
  val DefaultStdv = 0.1
}
