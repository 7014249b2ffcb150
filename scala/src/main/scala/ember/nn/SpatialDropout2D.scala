package ember.nn

import ember.tensor.{RandomGenerator, Tensor}

/**
 * Drops whole feature maps (BigDL's `SpatialDropout2D(initP, format)`, Torch's `SpatialDropout`): in training
 * mode each (sample, channel) plane is zeroed with probability `initP` and kept unscaled; in evaluation mode
 * the output is the input times 1 - initP, so both modes have the same expectation (BigDL's convention,
 * unlike the rescaling [[Dropout]]). Input [N, C, H, W] ("NCHW") or [N, H, W, C] ("NHWC"), or one sample
 * without the batch dimension. The gradient uses the same mask.
 */
class SpatialDropout2D(val initP: Double, val format: String) extends TensorModule {
  override def samplesIndependent: Boolean = false // random masks

  require(initP >= 0 && initP < 1, s"SpatialDropout2D: initP must be in [0, 1), got $initP")
  require(format == "NCHW" || format == "NHWC", s"SpatialDropout2D: format must be \"NCHW\" or \"NHWC\", got \"$format\"")

  def this(initP: Double) = this(initP, "NCHW")
  def this() = this(0.5, "NCHW")

  private var rng: java.util.Random = RandomGenerator.forkFor()
  private val noise = new Tensor()

  /** Re-seeds this layer's generator (tests, reproducible runs). */
  def setSeed(seed: Long): this.type = { rng = new java.util.Random(seed); this }

  /** The mask shape: the input's with the spatial dimensions set to 1. */
  private def maskShape(x: Tensor): Array[Int] = {
    require(x.dim == 3 || x.dim == 4, s"SpatialDropout2D: expected input of shape [batch, C, H, W] or [C, H, W] " +
      s"(format $format), got ${x.shapeString}")
    val s = x.shape
    val spatial = if (format == "NCHW") Seq(s.length - 2, s.length - 1) else Seq(s.length - 3, s.length - 2)
    spatial.foreach(d => s(d) = 1)
    s
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val out = outTensor.resize(x.shape).copy(x)
    if (train) {
      noise.resize(maskShape(x)).apply1(_ => if (rng.nextDouble() < initP) 0f else 1f)
      out.cmul(noise.expand(x.shape))
    } else out.mul((1.0 - initP).toFloat)
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("SpatialDropout2D", gradOutput, outTensor)
    val gi = gradInTensor.resize(outTensor.shape).copy(g)
    if (train) gi.cmul(noise.expand(gi.shape)) else gi.mul((1.0 - initP).toFloat)
    gi
  }

  override def config: Seq[(String, Any)] = Seq("initP" -> initP, "format" -> format)
  override def configDefaults: Seq[(String, Any)] = Seq("format" -> "NCHW")
}
