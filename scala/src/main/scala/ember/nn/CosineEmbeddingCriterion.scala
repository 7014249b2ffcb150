package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Learns embeddings from pairs by cosine similarity (BigDL / Torch `CosineEmbeddingCriterion`): the input is
 * a table (x1, x2) of two [batch, dim] (or [dim]) tensors, the target one value in {-1, 1} per row (a tensor,
 * or a table holding it). With cos the cosine of a row pair (squared norms + 1e-12, as Torch): per row
 * `1 - cos` when y = 1 and `max(0, cos - margin)` when y = -1; summed, divided by the batch size when
 * `sizeAverage`.
 */
class CosineEmbeddingCriterion(val margin: Double, val sizeAverage: Boolean) extends Criterion {
  require(margin >= -1 && margin <= 1, s"CosineEmbeddingCriterion: margin must be in [-1, 1], got $margin")

  def this(margin: Double) = this(margin, true)
  def this() = this(0.0)

  private val name = "CosineEmbeddingCriterion"
  private val Eps = 1e-12

  private final class Rows(val a: Array[Float], val b: Array[Float], val y: Array[Float], val dim: Int, val shape: Array[Int])

  private def read(input: Activity, target: Activity): Rows = {
    val (x1, x2) = Targets.pair(name, input)
    require(x1.sameShape(x2) && (x1.dim == 1 || x1.dim == 2) && x1.nElement > 0,
      s"$name: x1 ${x1.shapeString} and x2 ${x2.shapeString} must have the same shape [batch, dim] or [dim]")
    val rows = if (x1.dim == 1) 1 else x1.size(0)
    val t = Targets.tensor(name, target)
    require(t.nElement == rows, s"$name: expected $rows target values (one per row), got shape ${t.shapeString}")
    val y = t.toArray
    Targets.requireSigns(name, y)
    new Rows(x1.toArray, x2.toArray, y, x1.nElement / rows, x1.shape)
  }

  /** (x1.x2, |x1|^2 + eps, |x2|^2 + eps) of row r. */
  private def dots(d: Rows, r: Int): (Double, Double, Double) = {
    var (ab, aa, bb) = (0.0, Eps, Eps)
    var k = r * d.dim
    while (k < (r + 1) * d.dim) { ab += d.a(k).toDouble * d.b(k); aa += d.a(k).toDouble * d.a(k); bb += d.b(k).toDouble * d.b(k); k += 1 }
    (ab, aa, bb)
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    val d = read(input, target)
    val acc = d.y.indices.map { r =>
      val (ab, aa, bb) = dots(d, r)
      val cos = ab / math.sqrt(aa * bb)
      if (d.y(r) > 0) 1 - cos else math.max(0.0, cos - margin)
    }.sum
    output = (if (sizeAverage) acc / d.y.length else acc).toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    val d = read(input, target)
    val (g1, g2) = (new Array[Float](d.a.length), new Array[Float](d.a.length))
    val scale = if (sizeAverage) 1.0 / d.y.length else 1.0
    for (r <- d.y.indices) {
      val (ab, aa, bb) = dots(d, r)
      val norm = math.sqrt(aa * bb)
      val cos = ab / norm
      // d loss / d cos: -1 for similar pairs, +1 for dissimilar pairs above the margin
      val s = (if (d.y(r) > 0) -1.0 else if (cos > margin) 1.0 else 0.0) * scale
      if (s != 0) for (k <- r * d.dim until (r + 1) * d.dim) {
        g1(k) = (s * (d.b(k) / norm - cos * d.a(k) / aa)).toFloat
        g2(k) = (s * (d.a(k) / norm - cos * d.b(k) / bb)).toFloat
      }
    }
    gradInput = Table(Tensor.fromArray(g1, d.shape), Tensor.fromArray(g2, d.shape))
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("margin" -> margin, "sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("margin" -> 0.0, "sizeAverage" -> true)
}
