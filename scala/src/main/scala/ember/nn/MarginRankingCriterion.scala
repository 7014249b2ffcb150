package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Ranking loss of two score vectors (BigDL / Torch `MarginRankingCriterion`): the input is a table
 * (x1, x2) of two tensors of n scores each, the target n values in {-1, 1} (a tensor, or a table holding it
 * as BigDL passes it): y = 1 means x1 should rank higher than x2. Per pair `max(0, -y * (x1 - x2) + margin)`;
 * summed, divided by n when `sizeAverage`.
 */
class MarginRankingCriterion(val margin: Double, val sizeAverage: Boolean) extends Criterion {
  require(!margin.isNaN && !margin.isInfinite, s"MarginRankingCriterion: margin must be finite, got $margin")

  def this(margin: Double) = this(margin, true)
  def this() = this(1.0)

  private val name = "MarginRankingCriterion"

  private def read(input: Activity, target: Activity): (Array[Float], Array[Float], Array[Float], Tensor, Tensor) = {
    val (a, b) = Targets.pair(name, input)
    val t = Targets.tensor(name, target)
    require(a.nElement == b.nElement && a.nElement == t.nElement && a.nElement > 0,
      s"$name: x1 ${a.shapeString}, x2 ${b.shapeString} and target ${t.shapeString} must have the same number of elements")
    val y = t.toArray
    Targets.requireSigns(name, y)
    (a.toArray, b.toArray, y, a, b)
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    val (x1, x2, y, _, _) = read(input, target)
    var acc = 0.0
    var i = 0
    while (i < y.length) { acc += math.max(0.0, -y(i) * (x1(i).toDouble - x2(i)) + margin); i += 1 }
    output = (if (sizeAverage) acc / y.length else acc).toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    val (x1, x2, y, a, b) = read(input, target)
    val scale = if (sizeAverage) 1.0 / y.length else 1.0
    val g = y.indices.map(i => if (-y(i) * (x1(i).toDouble - x2(i)) + margin > 0) (-y(i) * scale).toFloat else 0f).toArray
    gradInput = Table(Tensor.fromArray(g, a.shape), Tensor.fromArray(g.map(-_), b.shape))
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("margin" -> margin, "sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("margin" -> 1.0, "sizeAverage" -> true)
}
