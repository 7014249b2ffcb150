package ember.nn

/** Mean (or, without `sizeAverage`, summed) absolute difference |x - y| (BigDL `AbsCriterion`). */
class AbsCriterion(val sizeAverage: Boolean) extends PointwiseCriterion(sizeAverage) {
  def this() = this(true)

  override protected def lossAt(x: Double, y: Double, i: Int): Double = math.abs(x - y)
  override protected def gradAt(x: Double, y: Double, i: Int): Double = math.signum(x - y)

  override def config: Seq[(String, Any)] = Seq("sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> true)
}
