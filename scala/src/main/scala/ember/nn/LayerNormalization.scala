package ember.nn

import ember.tensor.Tensor

/**
 * Layer normalisation over the last dimension (BigDL's `LayerNormalization(hiddenSize)`): each vector of
 * `hiddenSize` values is normalised with its own mean and biased variance, y = (x - mean) / sqrt(var + eps)
 * * weight + bias, with a learnable weight (starting at 1) and bias (starting at 0) of size hiddenSize.
 * Any input [..., hiddenSize]; the same in training and evaluation mode.
 */
class LayerNormalization(val hiddenSize: Int, val eps: Double) extends TensorModule {
  require(hiddenSize > 0, s"LayerNormalization: hiddenSize must be positive, got $hiddenSize")
  require(eps > 0, s"LayerNormalization: eps must be positive, got $eps")

  def this(hiddenSize: Int) = this(hiddenSize, 1e-5)

  val weight: Tensor = Tensor(hiddenSize)
  val bias: Tensor = Tensor(hiddenSize)
  val gradWeight: Tensor = Tensor(hiddenSize)
  val gradBias: Tensor = Tensor(hiddenSize)
  private var invStd = new Array[Float](0)
  private val xhat = new Tensor()
  reset()

  override def reset(): Unit = { weight.fill(1f); bias.zero() }

  private def rows(x: Tensor): Int = {
    require(x.dim >= 1 && x.size(x.dim - 1) == hiddenSize,
      s"LayerNormalization: expected input of shape [..., $hiddenSize], got ${x.shapeString}")
    x.nElement / hiddenSize
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val r = rows(x)
    if (invStd.length < r) invStd = new Array[Float](r)
    val (xs, xo, h) = (x.storage, x.offset, xhat.resize(x.shape))
    val out = outTensor.resize(x.shape)
    val (w, b) = (weight.storage, bias.storage)
    for (row <- 0 until r) {
      val base = xo + row * hiddenSize
      var mean = 0.0
      for (j <- 0 until hiddenSize) mean += xs(base + j)
      mean /= hiddenSize
      var v = 0.0
      for (j <- 0 until hiddenSize) { val d = xs(base + j) - mean; v += d * d }
      val is = 1.0 / math.sqrt(v / hiddenSize + eps)
      invStd(row) = is.toFloat
      for (j <- 0 until hiddenSize) {
        val at = row * hiddenSize + j
        val n = ((xs(base + j) - mean) * is).toFloat
        h.storage(at) = n
        out.storage(out.offset + at) = n * w(weight.offset + j) + b(bias.offset + j)
      }
    }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("LayerNormalization", gradOutput, outTensor)
    val r = rows(input)
    val gi = gradInTensor.resize(input.shape)
    val (gs, go, h, w) = (g.storage, g.offset, xhat.storage, weight.storage)
    for (row <- 0 until r) {
      // with d = g .* weight: gradInput = invStd * (d - mean(d) - xhat * mean(d .* xhat))
      var sumD = 0.0
      var sumDX = 0.0
      for (j <- 0 until hiddenSize) {
        val at = row * hiddenSize + j
        val d = gs(go + at) * w(weight.offset + j)
        sumD += d; sumDX += d * h(at)
      }
      val (mD, mDX) = ((sumD / hiddenSize).toFloat, (sumDX / hiddenSize).toFloat)
      for (j <- 0 until hiddenSize) {
        val at = row * hiddenSize + j
        val d = gs(go + at) * w(weight.offset + j)
        gi.storage(gi.offset + at) = invStd(row) * (d - mD - h(at) * mDX)
      }
    }
    gi
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val g = gradOutput.contiguous()
    val r = rows(input)
    val (gs, go, h) = (g.storage, g.offset, xhat.storage)
    for (row <- 0 until r; j <- 0 until hiddenSize) {
      val at = row * hiddenSize + j
      gradWeight.storage(gradWeight.offset + j) += gs(go + at) * h(at)
      gradBias.storage(gradBias.offset + j) += gs(go + at)
    }
  }

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight), "bias" -> Parameter(bias, gradBias))
  override def config: Seq[(String, Any)] = Seq("hiddenSize" -> hiddenSize, "eps" -> eps)
  override def configDefaults: Seq[(String, Any)] = Seq("eps" -> 1e-5)
}
