package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Dot-product attention (Luong et al. 2015, "global attention, dot score"; Keras' `Attention` layer): for
 * queries q [batch, T, dim] and values v [batch, S, dim] (the keys are the values), per batch row
 * `scores = q v^T` [T, S] (divided by sqrt(dim) when `scaled`), `a = softmax(scores)` over S, and the output
 * context `c = a v` [batch, T, dim]. In a sequence-to-sequence model the queries are the decoder's hidden
 * states and the values the encoder's outputs; concatenate the context with the queries before the
 * classifier. Input: a table (queries, values). No parameters.
 *
 * Backward, with g = dL/dc: dL/da = g v^T; dL/dscores = a * (dL/da - rowsum(dL/da * a)) (softmax Jacobian);
 * dL/dq = dscores v (times the scale); dL/dv = a^T g + dscores^T q (times the scale).
 */
class Attention(val scaled: Boolean) extends Module {

  def this() = this(false)

  private val name = "Attention"
  private var weights = new Array[Float](0) // a, [batch, T, S], kept for backward

  /** Attention weights of the last forward, [batch, T, S] (for inspection and plots). */
  def attentionWeights: Array[Float] = weights.clone()

  private def read(input: Activity): (Tensor, Tensor) = {
    val (q, v) = Targets.pair(name, input)
    require(q.dim == 3 && v.dim == 3 && q.size(0) == v.size(0) && q.size(2) == v.size(2) && v.size(1) > 0,
      s"$name: expected queries [batch, T, dim] and values [batch, S, dim] with the same batch and dim, got " +
        s"${q.shapeString} and ${v.shapeString}")
    (q.contiguous(), v.contiguous())
  }

  private def scale(dim: Int): Double = if (scaled) 1.0 / math.sqrt(dim) else 1.0

  override def updateOutput(input: Activity): Activity = {
    val (q, v) = read(input)
    val (b, t, s, d) = (q.size(0), q.size(1), v.size(1), q.size(2))
    val (qa, va) = (q.toArray, v.toArray)
    val c = scale(d)
    weights = new Array[Float](b * t * s)
    val out = new Array[Float](b * t * d)
    val row = new Array[Double](s)
    for (n <- 0 until b; i <- 0 until t) {
      val qOff = (n * t + i) * d
      var max = Double.NegativeInfinity
      for (j <- 0 until s) {
        val vOff = (n * s + j) * d
        var dot = 0.0
        var k = 0
        while (k < d) { dot += qa(qOff + k).toDouble * va(vOff + k); k += 1 }
        row(j) = dot * c
        if (row(j) > max) max = row(j)
      }
      var sum = 0.0
      for (j <- 0 until s) { row(j) = math.exp(row(j) - max); sum += row(j) }
      for (j <- 0 until s) {
        val a = row(j) / sum
        weights((n * t + i) * s + j) = a.toFloat
        val vOff = (n * s + j) * d
        var k = 0
        while (k < d) { out(qOff + k) += (a * va(vOff + k)).toFloat; k += 1 }
      }
    }
    output = Tensor.fromArray(out, b, t, d)
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (q, v) = read(input)
    val (b, t, s, d) = (q.size(0), q.size(1), v.size(1), q.size(2))
    val g = LayerSupport.gradLike(name, gradOutput.toTensor, output.toTensor).contiguous().toArray
    val (qa, va) = (q.toArray, v.toArray)
    val c = scale(d)
    val (gq, gv) = (new Array[Float](qa.length), new Array[Float](va.length))
    val da = new Array[Double](s)
    for (n <- 0 until b; i <- 0 until t) {
      val qOff = (n * t + i) * d
      var dot = 0.0
      for (j <- 0 until s) {
        val vOff = (n * s + j) * d
        var acc = 0.0
        var k = 0
        while (k < d) { acc += g(qOff + k).toDouble * va(vOff + k); k += 1 }
        da(j) = acc
        dot += acc * weights((n * t + i) * s + j)
      }
      for (j <- 0 until s) {
        val a = weights((n * t + i) * s + j).toDouble
        val ds = a * (da(j) - dot) * c
        val vOff = (n * s + j) * d
        var k = 0
        while (k < d) {
          gq(qOff + k) += (ds * va(vOff + k)).toFloat
          gv(vOff + k) += (a * g(qOff + k) + ds * qa(qOff + k)).toFloat
          k += 1
        }
      }
    }
    gradInput = Table(Tensor.fromArray(gq, q.shape), Tensor.fromArray(gv, v.shape))
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("scaled" -> scaled)
  override def configDefaults: Seq[(String, Any)] = Seq("scaled" -> false)
}
