package ember.nn

/**
 * Loss for learning embeddings from distances `x` and targets in {-1, 1} (BigDL / Torch
 * `HingeEmbeddingCriterion`): per element `x` when y = 1 and `max(0, margin - x)` when y = -1; summed,
 * divided by the number of elements when `sizeAverage`.
 */
class HingeEmbeddingCriterion(val margin: Double, val sizeAverage: Boolean) extends PointwiseCriterion(sizeAverage) {
  require(!margin.isNaN && !margin.isInfinite, s"HingeEmbeddingCriterion: margin must be finite, got $margin")

  def this(margin: Double) = this(margin, true)
  def this() = this(1.0)

  override protected def checkTarget(y: Array[Float]): Unit = Targets.requireSigns(name, y)
  override protected def lossAt(x: Double, y: Double, i: Int): Double = if (y > 0) x else math.max(0.0, margin - x)
  override protected def gradAt(x: Double, y: Double, i: Int): Double = if (y > 0) 1.0 else if (margin - x > 0) -1.0 else 0.0

  override def config: Seq[(String, Any)] = Seq("margin" -> margin, "sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("margin" -> 1.0, "sizeAverage" -> true)
}
