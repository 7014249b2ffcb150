package ember.keras

import ember.nn.{Module, SpatialConvolution, TemporalConvolution}

/**
 * 2-d convolution over (channels, rows, cols) samples, channels first as in BigDL's Keras API (Keras'
 * `Convolution2D(nb_filter, nb_row, nb_col, border_mode, subsample)`): [[ember.nn.SpatialConvolution]].
 * "same" pads so that the output has ceil(rows / stride) rows; it needs equal padding on both sides (an odd
 * kernel, or a size the stride divides).
 */
class Conv2D(val nbFilter: Int, val nbRow: Int, val nbCol: Int, activation: String, val borderMode: String,
    val subsampleRow: Int, val subsampleCol: Int, val withBias: Boolean, inputShape: Array[Int], name: String)
    extends ActivatedLayer(activation, inputShape, name) {
  require(nbFilter > 0 && nbRow > 0 && nbCol > 0, s"Conv2D: nbFilter, nbRow and nbCol must be positive, got $nbFilter, $nbRow, $nbCol")
  require(subsampleRow > 0 && subsampleCol > 0, s"Conv2D: subsample must be positive, got ($subsampleRow, $subsampleCol)")
  Shapes.checkBorderMode("Conv2D", borderMode)
  def this(nbFilter: Int, nbRow: Int, nbCol: Int, activation: String, inputShape: Array[Int]) =
    this(nbFilter, nbRow, nbCol, activation, "valid", 1, 1, true, inputShape, null)
  def this(nbFilter: Int, nbRow: Int, nbCol: Int, activation: String) = this(nbFilter, nbRow, nbCol, activation, null)
  def this(nbFilter: Int, nbRow: Int, nbCol: Int) = this(nbFilter, nbRow, nbCol, null, null)

  private def padding(in: Array[Int]): (Int, Int) =
    if (borderMode == "valid") (0, 0)
    else {
      val (ph, pw) = (Shapes.samePadding(in(1), nbRow, subsampleRow), Shapes.samePadding(in(2), nbCol, subsampleCol))
      check(ph % 2 == 0 && pw % 2 == 0, s"'same' needs unequal padding ($ph rows, $pw cols in all) for input ${Shapes.show(in)}; " +
        "use an odd kernel or 'valid'")
      (ph / 2, pw / 2)
    }

  override def outputShape(in: Array[Int]): Array[Int] = {
    checkRank(in, 3, "(channels, rows, cols)")
    val (rows, cols) = (Shapes.windowed(in(1), nbRow, subsampleRow, borderMode), Shapes.windowed(in(2), nbCol, subsampleCol, borderMode))
    check(rows > 0 && cols > 0, s"a ${nbRow}x$nbCol kernel does not fit input ${Shapes.show(in)}")
    padding(in)
    Array(nbFilter, rows, cols)
  }

  override protected def core(in: Array[Int]): Module = {
    val (ph, pw) = padding(in)
    new SpatialConvolution(in(0), nbFilter, nbCol, nbRow, subsampleCol, subsampleRow, pw, ph, withBias)
  }
}

/** BigDL's name of [[Conv2D]]. */
class Convolution2D(nbFilter: Int, nbRow: Int, nbCol: Int, activation: String, borderMode: String, subsampleRow: Int,
    subsampleCol: Int, withBias: Boolean, inputShape: Array[Int], name: String)
    extends Conv2D(nbFilter, nbRow, nbCol, activation, borderMode, subsampleRow, subsampleCol, withBias, inputShape, name) {
  def this(nbFilter: Int, nbRow: Int, nbCol: Int, activation: String, inputShape: Array[Int]) =
    this(nbFilter, nbRow, nbCol, activation, "valid", 1, 1, true, inputShape, null)
  def this(nbFilter: Int, nbRow: Int, nbCol: Int, activation: String) = this(nbFilter, nbRow, nbCol, activation, null)
}

/**
 * 1-d convolution over (steps, features) samples (Keras' `Convolution1D(nb_filter, filter_length,
 * subsample_length)`, "valid" only): [[ember.nn.TemporalConvolution]].
 */
class Conv1D(val nbFilter: Int, val filterLength: Int, activation: String, val subsampleLength: Int, inputShape: Array[Int],
    name: String) extends ActivatedLayer(activation, inputShape, name) {
  require(nbFilter > 0 && filterLength > 0 && subsampleLength > 0,
    s"Conv1D: nbFilter, filterLength and subsampleLength must be positive, got $nbFilter, $filterLength, $subsampleLength")
  def this(nbFilter: Int, filterLength: Int, activation: String, inputShape: Array[Int]) =
    this(nbFilter, filterLength, activation, 1, inputShape, null)
  def this(nbFilter: Int, filterLength: Int) = this(nbFilter, filterLength, null, 1, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = {
    checkRank(in, 2, "(steps, features)")
    val steps = Shapes.windowed(in(0), filterLength, subsampleLength, "valid")
    check(steps > 0, s"a kernel of $filterLength steps does not fit input ${Shapes.show(in)}")
    Array(steps, nbFilter)
  }
  override protected def core(in: Array[Int]): Module = new TemporalConvolution(in(1), nbFilter, filterLength, subsampleLength)
}
