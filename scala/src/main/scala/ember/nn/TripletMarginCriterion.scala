package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Learns an embedding from triplets (anchor, positive, negative) (PyTorch's `TripletMarginLoss` with p = 2,
 * FaceNet's triplet loss): per row `max(0, d(a, p) - d(a, n) + margin)` with d the Euclidean distance
 * `sqrt(|x - y|^2 + eps)` (eps keeps the gradient finite for identical rows; PyTorch adds its eps to the
 * difference instead, which differs by O(eps)); summed, divided by the rows when `sizeAverage`.
 *
 * The input is a table (anchor, positive, negative) of three [batch, dim] (or [dim]) tensors, or one
 * [batch, 3, dim] tensor (what `TimeDistributed(embeddingNet)` returns for samples holding three images).
 * The target is not used: a triplet carries its own supervision (samples still need a label; any will do).
 */
class TripletMarginCriterion(val margin: Double, val sizeAverage: Boolean) extends Criterion {
  require(margin >= 0, s"TripletMarginCriterion: margin must be >= 0, got $margin")

  def this(margin: Double) = this(margin, true)
  def this() = this(1.0)

  private val name = "TripletMarginCriterion"
  private val Eps = 1e-12

  /** The three row blocks as flat arrays, with the row length and how to shape the gradient. */
  private final class Rows(val a: Array[Float], val p: Array[Float], val n: Array[Float], val rows: Int, val dim: Int,
      val asTensor: Option[Array[Int]], val partShape: Array[Int])

  private def read(input: Activity): Rows = input match {
    case t: Table =>
      require(t.length == 3, s"$name: expected a table (anchor, positive, negative), got a table of ${t.length} entries")
      val (a, p, n) = (t(0).toTensor, t(1).toTensor, t(2).toTensor)
      require(a.sameShape(p) && a.sameShape(n) && (a.dim == 1 || a.dim == 2) && a.nElement > 0,
        s"$name: anchor ${a.shapeString}, positive ${p.shapeString} and negative ${n.shapeString} must have the " +
          "same shape [batch, dim] or [dim]")
      val rows = if (a.dim == 1) 1 else a.size(0)
      new Rows(a.toArray, p.toArray, n.toArray, rows, a.nElement / rows, None, a.shape)
    case x: Tensor =>
      require(x.dim == 3 && x.size(1) == 3 && x.nElement > 0,
        s"$name: expected a tensor of shape [batch, 3, dim] (anchor, positive, negative per row), got ${x.shapeString}")
      val (rows, dim) = (x.size(0), x.size(2))
      val all = x.contiguous().toArray
      def part(k: Int) = Array.tabulate(rows * dim)(i => all((i / dim) * 3 * dim + k * dim + i % dim))
      new Rows(part(0), part(1), part(2), rows, dim, Some(x.shape), Array(rows, dim))
    case other => throw new IllegalArgumentException(s"$name: expected a table of three tensors or a [batch, 3, dim] tensor, got $other")
  }

  /** Distance between rows r of x and y. */
  private def dist(x: Array[Float], y: Array[Float], r: Int, dim: Int): Double = {
    var s = Eps
    var k = r * dim
    while (k < (r + 1) * dim) { val d = x(k).toDouble - y(k); s += d * d; k += 1 }
    math.sqrt(s)
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    val d = read(input)
    var acc = 0.0
    for (r <- 0 until d.rows) acc += math.max(0.0, dist(d.a, d.p, r, d.dim) - dist(d.a, d.n, r, d.dim) + margin)
    output = (if (sizeAverage) acc / d.rows else acc).toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    val d = read(input)
    val (ga, gp, gn) = (new Array[Float](d.a.length), new Array[Float](d.a.length), new Array[Float](d.a.length))
    val scale = if (sizeAverage) 1.0 / d.rows else 1.0
    for (r <- 0 until d.rows) {
      val (dp, dn) = (dist(d.a, d.p, r, d.dim), dist(d.a, d.n, r, d.dim))
      if (dp - dn + margin > 0) for (k <- r * d.dim until (r + 1) * d.dim) {
        // d dp / d a = (a - p) / dp, d dn / d a = (a - n) / dn
        val up = (d.a(k) - d.p(k)) / dp * scale
        val un = (d.a(k) - d.n(k)) / dn * scale
        ga(k) = (up - un).toFloat
        gp(k) = (-up).toFloat
        gn(k) = un.toFloat
      }
    }
    gradInput = d.asTensor match {
      case Some(shape) =>
        val g = new Array[Float](3 * d.a.length)
        for (i <- d.a.indices) {
          val base = (i / d.dim) * 3 * d.dim + i % d.dim
          g(base) = ga(i); g(base + d.dim) = gp(i); g(base + 2 * d.dim) = gn(i)
        }
        Tensor.fromArray(g, shape)
      case None => Table(Tensor.fromArray(ga, d.partShape), Tensor.fromArray(gp, d.partShape), Tensor.fromArray(gn, d.partShape))
    }
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("margin" -> margin, "sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("margin" -> 1.0, "sizeAverage" -> true)
}
