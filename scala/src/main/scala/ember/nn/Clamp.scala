package ember.nn

/** Clamps every element to [min, max] (BigDL's `Clamp(min, max)`): a [[HardTanh]] with those bounds. */
class Clamp(val min: Double, val max: Double) extends HardTanh(min, max, false) {
  override def config: Seq[(String, Any)] = Seq("min" -> min, "max" -> max)
}
