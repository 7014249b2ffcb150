package ember.nn

import ember.tensor.{Activity, RandomGenerator, Table, Tensor}

/**
 * Draws z = mean + exp(logVar / 2) * eps with eps ~ N(0, 1) (BigDL's `GaussianSampler`, a variational
 * auto-encoder's reparameterisation). Input: a table [mean, logVar] of equal shapes; output: z of that
 * shape; gradients: dz/dmean = 1, dz/dlogVar = exp(logVar / 2) * eps / 2 with the eps of the last forward.
 * A fresh eps is drawn on every forward, in evaluation mode too (as BigDL); `setSeed` fixes the draws.
 */
class GaussianSampler extends Module {
  private var rng: java.util.Random = RandomGenerator.forkFor()
  private val eps = new Tensor()

  /** Seeds this layer's own random generator (reproducible draws). */
  def setSeed(seed: Long): this.type = { rng = new java.util.Random(seed); this }

  private def pair(input: Activity): (Tensor, Tensor) = {
    val (mean, logVar) = Targets.pair("GaussianSampler", input)
    require(mean.sameShape(logVar),
      s"GaussianSampler: mean ${mean.shapeString} and logVar ${logVar.shapeString} must have the same shape")
    (mean.contiguous(), logVar.contiguous())
  }

  override def updateOutput(input: Activity): Activity = {
    val (mean, logVar) = pair(input)
    eps.resize(mean.shape).apply1(_ => rng.nextGaussian().toFloat)
    val out = (if (output.isTensor) output.toTensor else new Tensor()).resize(mean.shape)
    val (m, lv, e, y) = (mean.toArray, logVar.toArray, eps.toArray, out.storage)
    for (i <- m.indices) y(out.offset + i) = m(i) + math.exp(lv(i) / 2.0).toFloat * e(i)
    output = out
    out
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (mean, logVar) = pair(input)
    val g = LayerSupport.gradLike("GaussianSampler", gradOutput.toTensor, output.toTensor).view(mean.shape)
    val (lv, e) = (logVar.toArray, eps.toArray)
    val gLogVar = g.clone()
    val s = gLogVar.storage
    for (i <- lv.indices) s(gLogVar.offset + i) *= (math.exp(lv(i) / 2.0) * e(i) / 2.0).toFloat
    gradInput = Table(g.clone(), gLogVar)
    gradInput
  }

  override def samplesIndependent: Boolean = false
}
