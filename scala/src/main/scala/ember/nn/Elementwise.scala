package ember.nn

import ember.tensor.Tensor

/**
 * Contiguous elementwise loops for activation layers. `Float => Float` is a specialised Function1, so
 * the loop does not box; two-argument loops are written out in the layers because Function2 is not
 * specialised for Float arguments.
 */
private[nn] object Elementwise {

  /** out(i) = f(in(i)); both contiguous with the same number of elements. */
  def map(in: Tensor, out: Tensor)(f: Float => Float): Unit = {
    val (x, y, xo, yo, n) = (in.storage, out.storage, in.offset, out.offset, in.nElement)
    var i = 0
    while (i < n) { y(yo + i) = f(x(xo + i)); i += 1 }
  }
}
