package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * The KL divergence of a diagonal Gaussian N(mean, exp(logVar)) from the standard normal, the latent term
 * of a variational autoencoder's loss (BigDL `KLDCriterion`):
 * {{{
 *   loss = -0.5 * sum(1 + logVar - mean^2 - exp(logVar))
 * }}}
 * divided by the batch size (the first dimension of a 2-d input) when `sizeAverage`. The input is a table
 * (mean, logVar) of two tensors of the same shape; the target is not used (any activity, e.g. an empty
 * tensor).
 */
class KLDCriterion(val sizeAverage: Boolean) extends Criterion {
  def this() = this(true)

  private val name = "KLDCriterion"

  private def read(input: Activity): (Array[Float], Array[Float], Tensor, Double) = {
    val (mean, logVar) = Targets.pair(name, input)
    require(mean.sameShape(logVar) && mean.nElement > 0,
      s"$name: mean ${mean.shapeString} and logVar ${logVar.shapeString} must have the same non-empty shape")
    val batch = if (sizeAverage && mean.dim >= 2) mean.size(0).toDouble else 1.0
    (mean.toArray, logVar.toArray, mean, batch)
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    val (m, lv, _, batch) = read(input)
    var acc = 0.0
    var i = 0
    while (i < m.length) { acc += 1 + lv(i) - m(i).toDouble * m(i) - math.exp(lv(i).toDouble); i += 1 }
    output = (-0.5 * acc / batch).toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    val (m, lv, mean, batch) = read(input)
    val gm = Tensor.fromArray(m.map(v => (v / batch).toFloat), mean.shape)
    val glv = Tensor.fromArray(lv.map(v => (0.5 * (math.exp(v.toDouble) - 1) / batch).toFloat), mean.shape)
    gradInput = Table(gm, glv)
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> true)
}
