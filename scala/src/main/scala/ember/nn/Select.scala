package ember.nn

import ember.tensor.Tensor

/**
 * The slice at `index` of dimension `dim`, with that dimension removed (BigDL's `Select(dim, index)`), as a
 * copy. Both are 0-based (BigDL's are 1-based) over the whole input, batch dimension included; negative
 * values count from the end (index -1 is the last).
 */
class Select(val dim: Int, val index: Int) extends TensorModule {

  private def at(x: Tensor): (Int, Int) = {
    val d = ShapeSupport.resolve("Select", x, dim)
    val i = if (index < 0) index + x.size(d) else index
    require(i >= 0 && i < x.size(d), s"Select: index $index is out of range for dimension $d of size ${x.size(d)} " +
      s"(input ${x.shapeString}; indices are 0-based)")
    (d, i)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val (d, i) = at(input)
    val t = input.select(d, i)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(t.shape).copy(t)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val (d, i) = at(input)
    val g = LayerSupport.gradLike("Select", gradOutput, outTensor)
    ShapeSupport.scatterInto(gradInTensor, input.shape, _.select(d, i), g)
  }

  override def config: Seq[(String, Any)] = Seq("dim" -> dim, "index" -> index)
}
