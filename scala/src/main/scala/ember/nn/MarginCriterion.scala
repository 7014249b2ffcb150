package ember.nn

/**
 * Hinge loss for targets in {-1, 1} (BigDL `MarginCriterion`): per element `max(0, margin - x * y)`, or its
 * square when `squared`; summed, divided by the number of elements when `sizeAverage`.
 */
class MarginCriterion(val margin: Double, val sizeAverage: Boolean, val squared: Boolean) extends PointwiseCriterion(sizeAverage) {
  require(!margin.isNaN && !margin.isInfinite, s"MarginCriterion: margin must be finite, got $margin")

  def this(margin: Double, sizeAverage: Boolean) = this(margin, sizeAverage, false)
  def this(margin: Double) = this(margin, true, false)
  def this() = this(1.0)

  override protected def checkTarget(y: Array[Float]): Unit = Targets.requireSigns(name, y)
  override protected def lossAt(x: Double, y: Double, i: Int): Double = {
    val z = margin - x * y; if (z <= 0) 0.0 else if (squared) z * z else z
  }
  override protected def gradAt(x: Double, y: Double, i: Int): Double = {
    val z = margin - x * y; if (z <= 0) 0.0 else if (squared) -2 * z * y else -y
  }

  override def config: Seq[(String, Any)] = Seq("margin" -> margin, "sizeAverage" -> sizeAverage, "squared" -> squared)
  override def configDefaults: Seq[(String, Any)] = Seq("margin" -> 1.0, "sizeAverage" -> true, "squared" -> false)
}
