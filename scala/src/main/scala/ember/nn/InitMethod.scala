package ember.nn

import ember.tensor.{RandomGenerator, Tensor}

/**
 * How a parameter tensor is initialised (BigDL's `InitializationMethod`), given with
 * [[Module.setInitMethod]]. `fanIn` and `fanOut` are those of the layer's weight, as BigDL and PyTorch
 * compute them: for a weight of shape [out, in, k...], fanIn = in * prod(k) and fanOut = out * prod(k); for
 * a 1-d weight both are its size. A bias uses the fans of its layer's weight.
 */
sealed trait InitMethod extends Serializable {
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit
}

/** All zeros. */
case object Zeros extends InitMethod {
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = t.fill(0f)
}

/** All ones. */
case object Ones extends InitMethod {
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = t.fill(1f)
}

/** Every value `value`. */
case class ConstInitMethod(value: Double) extends InitMethod {
  require(!value.isNaN && !value.isInfinite, s"ConstInitMethod: value must be finite, got $value")
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = t.fill(value.toFloat)
}

/** Uniform in [lower, upper); without bounds (BigDL's `RandomUniform()`), uniform in +-1/sqrt(fanIn). */
case class RandomUniform(lower: Double, upper: Double, scaled: Boolean) extends InitMethod {
  require(!scaled || (lower == 0 && upper == 0), "RandomUniform: bounds are given or scaled, not both")
  require(scaled || (lower <= upper && !lower.isInfinite && !upper.isInfinite),
    s"RandomUniform: need finite lower <= upper, got lower=$lower upper=$upper")
  def this(lower: Double, upper: Double) = this(lower, upper, false)
  def this() = this(0, 0, true)
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = {
    val (lo, hi) = if (scaled) { val b = 1.0 / math.sqrt(math.max(fanIn, 1).toDouble); (-b, b) } else (lower, upper)
    val rng = RandomGenerator.random
    t.apply1(_ => (lo + (hi - lo) * rng.nextDouble()).toFloat)
  }
}

/** Normal with mean `mean` and standard deviation `stdv`. */
case class RandomNormal(mean: Double, stdv: Double) extends InitMethod {
  require(stdv >= 0 && !stdv.isInfinite && !mean.isNaN && !mean.isInfinite,
    s"RandomNormal: need a finite mean and stdv >= 0, got mean=$mean stdv=$stdv")
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = {
    val rng = RandomGenerator.random
    t.apply1(_ => (mean + stdv * rng.nextGaussian()).toFloat)
  }
}

/** Glorot / Xavier: uniform in +-sqrt(6 / (fanIn + fanOut)). */
case object Xavier extends InitMethod {
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = {
    val b = math.sqrt(6.0 / math.max(fanIn + fanOut, 1))
    new RandomUniform(-b, b).init(t, fanIn, fanOut)
  }
}

/** He / Kaiming (Caffe's MSRA filler): normal with std sqrt(2 / n), n = fanOut (default, as BigDL) or fanIn. */
case class MsraFiller(varianceNormAtFanOut: Boolean) extends InitMethod {
  def this() = this(true)
  def init(t: Tensor, fanIn: Int, fanOut: Int): Unit = {
    val n = math.max(if (varianceNormAtFanOut) fanOut else fanIn, 1)
    RandomNormal(0, math.sqrt(2.0 / n)).init(t, fanIn, fanOut)
  }
}

object InitMethod {

  /** The parameterless methods, by name, for Python (Scala objects have no public constructor). */
  def named(name: String): InitMethod = name match {
    case "Zeros"  => Zeros
    case "Ones"   => Ones
    case "Xavier" => Xavier
    case other    => throw new IllegalArgumentException(s"unknown init method '$other': expected Zeros, Ones or Xavier")
  }

  /** (fanIn, fanOut) of a weight of shape `shape` (see [[InitMethod]]). */
  def fans(shape: Array[Int]): (Int, Int) = shape.length match {
    case 0 => (1, 1)
    case 1 => (shape(0), shape(0))
    case _ =>
      val receptive = shape.drop(2).map(_.toLong).product
      ((shape(1) * receptive).toInt, (shape(0) * receptive).toInt)
  }
}
