package ember.nn

import ember.tensor.Tensor

/**
 * Regression of class scores onto the vertices of a regular simplex (BigDL / Torch `ClassSimplexCriterion`):
 * class c (0-based) is embedded as vertex c of a regular (nClasses - 1)-simplex in nClasses dimensions (unit
 * vectors, pairwise equidistant, the last coordinate 0), and the loss is the mean squared error between the
 * input [batch, nClasses] (or [nClasses]) and the vertices of the target labels.
 */
class ClassSimplexCriterion(val nClasses: Int) extends TensorCriterion {
  require(nClasses > 1, s"ClassSimplexCriterion: nClasses must be > 1, got $nClasses")

  private val name = "ClassSimplexCriterion"

  /** Vertex c in row c: Torch's construction, coordinate k of vertex k makes it a unit vector. */
  val simplex: Array[Array[Double]] = {
    val n = nClasses - 1
    val a = Array.ofDim[Double](nClasses, nClasses)
    for (k <- 0 until n) {
      a(k)(k) = if (k == 0) 1.0 else math.sqrt(1 - (0 until k).map(j => a(k)(j) * a(k)(j)).sum)
      val c = (a(k)(k) * a(k)(k) - 1 - 1.0 / n) / a(k)(k)
      for (r <- k + 1 to n) a(r)(k) = c
    }
    a
  }

  private def targets(input: Tensor, target: Tensor): (Tensor, Array[Int]) = {
    val (x, labels) = ClassLabels.read(name, input, target)
    require(x.size(1) == nClasses, s"$name: expected input of shape [batch, $nClasses], got ${input.shapeString}")
    (x, labels)
  }

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    val (x, labels) = targets(input, target)
    val v = x.toArray
    var acc = 0.0
    for (i <- labels.indices; c <- 0 until nClasses) { val d = v(i * nClasses + c) - simplex(labels(i))(c); acc += d * d }
    output = (acc / v.length).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val (x, labels) = targets(input, target)
    val v = x.toArray
    val g = Array.tabulate(v.length)(k => (2.0 * (v(k) - simplex(labels(k / nClasses))(k % nClasses)) / v.length).toFloat)
    gradInput = Tensor.fromArray(g, input.shape)
    gradInput.toTensor
  }

  override def config: Seq[(String, Any)] = Seq("nClasses" -> nClasses)
}
