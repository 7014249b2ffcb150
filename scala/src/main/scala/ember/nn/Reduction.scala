package ember.nn

import ember.tensor.Tensor

/**
 * The shared body of the reductions over one dimension ([[Sum]], [[Mean]], [[Max]], [[Min]]; BigDL's
 * `Sum(dimension, nInputDims, sizeAverage, squeeze)` and friends, with a **0-based** dimension, negative
 * counting from the end).
 *
 * The input is seen as [outer, size, inner] around the reduced dimension, contiguous; the output is
 * [outer, inner] reshaped to the input's shape without that dimension (`squeeze`, the default) or with it
 * kept at size 1 (PyTorch's keepdim). With `nInputDims` > 0, an input of more dimensions is a batch and
 * `dimension` counts within one sample (BigDL's convention), so the same layer serves single samples and
 * batches. Sum and mean spread the gradient over the reduced positions; max and min send it to the chosen
 * one (the first, on ties; NaN wins, as in PyTorch).
 */
private[nn] abstract class Reduction(name: String, dimension: Int, nInputDims: Int, squeeze: Boolean) extends TensorModule {

  /** Reduces `size` values of `x` from `off` with stride `stride`; returns (value, chosen index or -1). */
  protected def reduce(x: Array[Float], off: Int, stride: Int, size: Int): (Float, Int)

  /** The gradient's weight at position k of a group whose reduction chose `chosen`. */
  protected def weight(k: Int, chosen: Int, size: Int): Float

  private var chosen: Array[Int] = Array.emptyIntArray

  protected def axis(x: Tensor): Int = {
    val shift = if (nInputDims > 0 && x.dim > nInputDims) x.dim - nInputDims else 0
    val d = if (dimension < 0) x.dim + dimension else dimension + shift
    require(d >= 0 && d < x.dim, s"$name: dimension $dimension out of range for input of shape ${x.shapeString}")
    d
  }

  private def outShape(x: Tensor, d: Int): Array[Int] =
    if (squeeze) x.shape.patch(d, Nil, 1) else x.shape.updated(d, 1)

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val d = axis(x)
    val (size, inner) = (x.size(d), x.shape.drop(d + 1).product)
    val outer = x.shape.take(d).product
    require(size > 0 || outer * inner == 0, s"$name: cannot reduce an empty dimension $d of input ${x.shapeString}")
    val out = outTensor.resize(outShape(x, d))
    chosen = new Array[Int](outer * inner)
    val (xs, ys, yo) = (x.storage, out.storage, out.offset)
    var o = 0
    while (o < outer) {
      var i = 0
      while (i < inner) {
        val (v, c) = reduce(xs, x.offset + o * size * inner + i, inner, size)
        ys(yo + o * inner + i) = v
        chosen(o * inner + i) = c
        i += 1
      }
      o += 1
    }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = input.contiguous()
    val d = axis(x)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val (size, inner, outer) = (x.size(d), x.shape.drop(d + 1).product, x.shape.take(d).product)
    val gi = gradInTensor.resize(x.shape)
    val (gs, go, out, oo) = (g.storage, g.offset, gi.storage, gi.offset)
    var o = 0
    while (o < outer) {
      var k = 0
      while (k < size) {
        var i = 0
        while (i < inner) {
          out(oo + (o * size + k) * inner + i) = gs(go + o * inner + i) * weight(k, chosen(o * inner + i), size)
          i += 1
        }
        k += 1
      }
      o += 1
    }
    gi
  }
}

/** Sum and mean: every position weighs 1 (or 1/size). */
private[nn] abstract class SumBase(name: String, dimension: Int, nInputDims: Int, average: Boolean, squeeze: Boolean)
    extends Reduction(name, dimension, nInputDims, squeeze) {
  protected def reduce(x: Array[Float], off: Int, stride: Int, size: Int): (Float, Int) = {
    var acc = 0.0
    var k = 0
    while (k < size) { acc += x(off + k * stride); k += 1 }
    ((if (average) acc / size else acc).toFloat, -1)
  }
  protected def weight(k: Int, chosen: Int, size: Int): Float = if (average) 1f / size else 1f
}

/** Max and min: the chosen position takes the whole gradient. */
private[nn] abstract class ExtremumBase(name: String, dimension: Int, nInputDims: Int, squeeze: Boolean, max: Boolean)
    extends Reduction(name, dimension, nInputDims, squeeze) {
  protected def reduce(x: Array[Float], off: Int, stride: Int, size: Int): (Float, Int) = {
    var (best, at) = (x(off), 0)
    var k = 1
    while (k < size && !best.isNaN) {
      val v = x(off + k * stride)
      if (v.isNaN || (if (max) v > best else v < best)) { best = v; at = k }
      k += 1
    }
    (best, at)
  }
  protected def weight(k: Int, chosen: Int, size: Int): Float = if (k == chosen) 1f else 0f
}
