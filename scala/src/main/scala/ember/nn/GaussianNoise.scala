package ember.nn

import ember.tensor.{RandomGenerator, Tensor}

/**
 * Adds zero-mean Gaussian noise of standard deviation `stddev` in training mode; the identity in evaluation
 * mode (BigDL's and Keras's `GaussianNoise(stddev)`). The gradient passes through unchanged. Like
 * [[Dropout]], each instance has its own generator forked from [[RandomGenerator]]; [[setSeed]] re-seeds it.
 */
class GaussianNoise(val stddev: Double) extends TensorModule {
  override def samplesIndependent: Boolean = false // random noise

  require(stddev >= 0, s"GaussianNoise: stddev must be >= 0, got $stddev")

  private var rng: java.util.Random = RandomGenerator.forkFor()

  /** Re-seeds this layer's generator (tests, reproducible runs). */
  def setSeed(seed: Long): this.type = { rng = new java.util.Random(seed); this }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val out = outTensor.resize(x.shape).copy(x)
    if (train && stddev > 0) {
      val (y, yo, n) = (out.storage, out.offset, out.nElement)
      var i = 0
      while (i < n) { y(yo + i) += (stddev * rng.nextGaussian()).toFloat; i += 1 }
    }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("GaussianNoise", gradOutput, outTensor)
    gradInTensor.resize(outTensor.shape).copy(g)
  }

  override def config: Seq[(String, Any)] = Seq("stddev" -> stddev)
}
