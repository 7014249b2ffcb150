package ember.nn

import ember.tensor.Tensor

/**
 * numpy-style broadcasting of a parameter over an input, for CAdd, CMul and Add: the parameter's shape is
 * aligned with the input's trailing dimensions and its size-1 dimensions repeat.
 */
private[nn] object Broadcast {

  /** `param` viewed with the shape of `x` (stride 0 along repeated dimensions); fails naming `layer`. */
  def expand(layer: String, param: Tensor, x: Tensor): Tensor = {
    val ps = param.shape
    val xs = x.shape
    val fits = ps.length <= xs.length && ps.indices.forall { i =>
      val (p, s) = (ps(ps.length - 1 - i), xs(xs.length - 1 - i))
      p == s || p == 1
    }
    require(fits, s"$layer: a parameter of shape ${param.shapeString} does not broadcast to input of shape " +
      s"${x.shapeString} (it is aligned with the input's last dimensions; its size-1 dimensions repeat)")
    param.view(Array.fill(xs.length - ps.length)(1) ++ ps).expand(xs)
  }

  /** into += src summed over the broadcast dimensions; `src` is contiguous with the input's shape. */
  def accumulate(layer: String, src: Tensor, into: Tensor, scale: Float): Unit = {
    val e = expand(layer, into, src)
    val (s, so, d) = (src.storage, src.offset, into.storage)
    var i = 0
    e.foreachOffset { o => d(o) += scale * s(so + i); i += 1 }
  }
}
