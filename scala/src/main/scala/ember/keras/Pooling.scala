package ember.keras

import ember.nn.{Mean, Module, Reshape => NnReshape, Sequential => NnSequential, SpatialAveragePooling, SpatialMaxPooling,
  TemporalMaxPooling}

/** Shared by the 2-d poolings: a (rows, cols) window moved by strides (default: the window), "valid" or "same". */
abstract class Pooling2D(val poolRow: Int, val poolCol: Int, strideRow: Int, strideCol: Int, val borderMode: String,
    inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  require(poolRow > 0 && poolCol > 0, s"$kind: poolSize must be positive, got ($poolRow, $poolCol)")
  Shapes.checkBorderMode(kind, borderMode)
  /** The strides (the pool size when given as 0 or less, Keras' None). */
  val strides: (Int, Int) = (if (strideRow > 0) strideRow else poolRow, if (strideCol > 0) strideCol else poolCol)

  protected def padding(in: Array[Int]): (Int, Int) =
    if (borderMode == "valid") (0, 0)
    else {
      val (ph, pw) = (Shapes.samePadding(in(1), poolRow, strides._1), Shapes.samePadding(in(2), poolCol, strides._2))
      check(ph % 2 == 0 && pw % 2 == 0, s"'same' needs unequal padding for input ${Shapes.show(in)}; use 'valid'")
      (ph / 2, pw / 2)
    }

  override def outputShape(in: Array[Int]): Array[Int] = {
    checkRank(in, 3, "(channels, rows, cols)")
    val (rows, cols) = (Shapes.windowed(in(1), poolRow, strides._1, borderMode), Shapes.windowed(in(2), poolCol, strides._2, borderMode))
    check(rows > 0 && cols > 0, s"a ${poolRow}x$poolCol window does not fit input ${Shapes.show(in)}")
    padding(in)
    Array(in(0), rows, cols)
  }
}

/** 2-d max pooling (Keras' `MaxPooling2D(pool_size=(2, 2), strides=None, border_mode="valid")`). */
class MaxPooling2D(poolRow: Int, poolCol: Int, strideRow: Int, strideCol: Int, borderMode: String, inputShape: Array[Int], name: String)
    extends Pooling2D(poolRow, poolCol, strideRow, strideCol, borderMode, inputShape, name) {
  def this(poolRow: Int, poolCol: Int) = this(poolRow, poolCol, 0, 0, "valid", null, null)
  def this() = this(2, 2)

  override protected def module(in: Array[Int]): Module = {
    val (ph, pw) = padding(in)
    new SpatialMaxPooling(poolCol, poolRow, strides._2, strides._1, pw, ph)
  }
}

/** 2-d average pooling (Keras' `AveragePooling2D`); with "same", padded cells are not counted (Keras' rule). */
class AveragePooling2D(poolRow: Int, poolCol: Int, strideRow: Int, strideCol: Int, borderMode: String, inputShape: Array[Int],
    name: String) extends Pooling2D(poolRow, poolCol, strideRow, strideCol, borderMode, inputShape, name) {
  def this(poolRow: Int, poolCol: Int) = this(poolRow, poolCol, 0, 0, "valid", null, null)
  def this() = this(2, 2)

  override protected def module(in: Array[Int]): Module = {
    val (ph, pw) = padding(in)
    new SpatialAveragePooling(poolCol, poolRow, strides._2, strides._1, pw, ph, false, false, false, true)
  }
}

/** 1-d max pooling over (steps, features) samples (Keras' `MaxPooling1D(pool_length=2, stride=None)`). */
class MaxPooling1D(val poolLength: Int, stride: Int, inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  require(poolLength > 0, s"MaxPooling1D: poolLength must be positive, got $poolLength")
  val strideLength: Int = if (stride > 0) stride else poolLength
  def this(poolLength: Int) = this(poolLength, 0, null, null)
  def this() = this(2)

  override def outputShape(in: Array[Int]): Array[Int] = {
    checkRank(in, 2, "(steps, features)")
    val steps = Shapes.windowed(in(0), poolLength, strideLength, "valid")
    check(steps > 0, s"a window of $poolLength steps does not fit input ${Shapes.show(in)}")
    Array(steps, in(1))
  }
  override protected def module(in: Array[Int]): Module = new TemporalMaxPooling(poolLength, strideLength)
}

/** The mean over steps of (steps, features) samples: (features,). */
class GlobalAveragePooling1D(inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  def this() = this(null, null)

  override def outputShape(in: Array[Int]): Array[Int] = { checkRank(in, 2, "(steps, features)"); Array(in(1)) }
  override protected def module(in: Array[Int]): Module = new Mean(0, 2, true)
}

/** The mean over rows and cols of (channels, rows, cols) samples: (channels,). */
class GlobalAveragePooling2D(inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  def this() = this(null, null)

  override def outputShape(in: Array[Int]): Array[Int] = { checkRank(in, 3, "(channels, rows, cols)"); Array(in(0)) }
  override protected def module(in: Array[Int]): Module =
    new NnSequential().add(new NnReshape(Array(in(0), in(1) * in(2)), true)).add(new Mean(1, 2, true))
}
