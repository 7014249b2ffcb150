package ember.nn

import ember.tensor.Tensor

/**
 * The slice of `length` indices of dimension `dimension` starting at `offset` (BigDL's
 * `Narrow(dimension, offset, length)`), as a copy. Dimension and offset are 0-based (BigDL's are 1-based)
 * and count over the whole input, batch dimension included; a negative dimension counts from the end. A
 * negative `length` counts from the end: -1 takes everything from `offset` on, -2 all but the last, ...
 */
class Narrow(val dimension: Int, val offset: Int, val length: Int) extends TensorModule {
  require(offset >= 0, s"Narrow: offset must be >= 0 (0-based), got $offset")
  require(length != 0, "Narrow: length must not be 0")

  def this(dimension: Int, offset: Int) = this(dimension, offset, 1)

  private def slice(x: Tensor): (Int, Int) = {
    val d = ShapeSupport.resolve("Narrow", x, dimension)
    val len = if (length > 0) length else x.size(d) - offset + length + 1
    require(len > 0 && offset + len <= x.size(d), s"Narrow: offset $offset, length $length is out of range for " +
      s"dimension $d of size ${x.size(d)} (input ${x.shapeString})")
    (d, len)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val (d, len) = slice(input)
    val t = input.narrow(d, offset, len)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(t.shape).copy(t)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val (d, len) = slice(input)
    val g = LayerSupport.gradLike("Narrow", gradOutput, outTensor)
    ShapeSupport.scatterInto(gradInTensor, input.shape, _.narrow(d, offset, len), g)
  }

  override def config: Seq[(String, Any)] = Seq("dimension" -> dimension, "offset" -> offset, "length" -> length)
}
