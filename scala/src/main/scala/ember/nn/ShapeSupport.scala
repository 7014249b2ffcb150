package ember.nn

import ember.tensor.Tensor

/** Dimension arithmetic shared by the shape layers (Padding, Narrow, Select, Squeeze, Unsqueeze, Replicate). */
private[nn] object ShapeSupport {

  /**
   * A 0-based dimension of `x`: negative values count from the end (-1 is the last), and when the layer
   * is told its samples have `nInputDim` dimensions (> 0) and `x` has more, the batch dimension is skipped.
   */
  def resolve(layer: String, x: Tensor, dim: Int, nInputDim: Int = 0): Int = {
    val d0 = if (dim < 0) dim + x.dim else dim + (if (nInputDim > 0 && x.dim > nInputDim) x.dim - nInputDim else 0)
    require(d0 >= 0 && d0 < x.dim, s"$layer: dimension $dim (0-based) is out of range for input of shape ${x.shapeString}")
    d0
  }

  /** Input gradient of a layer whose output is a copy of the region `region(gi)` of its input. */
  def scatterInto(gi: Tensor, inputShape: Array[Int], region: Tensor => Tensor, g: Tensor): Tensor = {
    gi.resize(inputShape).zero()
    region(gi).copy(g)
    gi
  }
}
