package ember.nn

import ember.tensor.{RandomGenerator, Tensor}

/**
 * In training mode, zeroes each element with probability `initP` and (when `scale`) multiplies the others
 * by 1 / (1 - initP); in evaluation mode it is the identity (or multiplies by 1 - initP when `scale` is
 * false, so both modes have the same expectation). BigDL's `Dropout(initP, inplace, scale)`.
 *
 * Each instance draws from its own generator, forked from [[RandomGenerator]] when it is built, so a model
 * built after `RandomGenerator.setSeed(s)` drops the same elements run after run; [[setSeed]] re-seeds it.
 */
class Dropout(val initP: Double, val inplace: Boolean, val scale: Boolean) extends TensorModule {
  override def samplesIndependent: Boolean = false // random masks

  require(initP >= 0 && initP < 1, s"Dropout: initP must be in [0, 1), got $initP")

  def this(initP: Double) = this(initP, false, true)
  def this() = this(0.5, false, true)

  private var rng: java.util.Random = RandomGenerator.forkFor()
  private val noise = new Tensor()

  /** Re-seeds this layer's generator (tests, reproducible runs). */
  def setSeed(seed: Long): this.type = { rng = new java.util.Random(seed); this }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val out = if (inplace && (x eq input)) { output = input; input } else {
      if (outTensor eq input) output = new Tensor()
      outTensor.resize(x.shape).copy(x)
    }
    if (train && initP > 0) {
      val keep = (if (scale) 1.0 / (1.0 - initP) else 1.0).toFloat
      val p = initP.toFloat
      noise.resize(x.shape)
      val (m, mo, y, yo, n) = (noise.storage, noise.offset, out.storage, out.offset, out.nElement)
      var i = 0
      while (i < n) { val k = if (rng.nextFloat() < p) 0f else keep; m(mo + i) = k; y(yo + i) *= k; i += 1 }
    } else if (!train && !scale) out.mul((1.0 - initP).toFloat)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Dropout", gradOutput, outTensor)
    if (inplace && (g eq gradOutput)) gradInput = g else gradInTensor.resize(outTensor.shape).copy(g)
    if (train && initP > 0) {
      val (gi, go, m, mo, n) = (gradInTensor.storage, gradInTensor.offset, noise.storage, noise.offset, noise.nElement)
      var i = 0
      while (i < n) { gi(go + i) *= m(mo + i); i += 1 }
    }
    else if (!train && !scale) gradInTensor.mul((1.0 - initP).toFloat)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("initP" -> initP, "inplace" -> inplace, "scale" -> scale)
  override def configDefaults: Seq[(String, Any)] = Seq("inplace" -> false, "scale" -> true)
}
