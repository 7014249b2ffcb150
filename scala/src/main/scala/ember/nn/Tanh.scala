package ember.nn

import ember.tensor.Tensor
import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * tanh(x), elementwise; the backward pass uses the output: dx = dy * (1 - y^2). On oneDNN (`eltwise_tanh`) only
 * when [[ember.tensor.dnn.DnnOps]] selects it (not by default: the vectorised loop below is as fast).
 */
class Tanh() extends TensorModule {

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val out = outTensor.resize(x.shape)
    if (DnnOps.use(DnnOps.Tanh)) { DnnEltwise.forward(DnnEltwise.tanh, x, out); return out }
    // plain locals, not a tuple pattern: that boxes the Ints and costs a visible share of the layer
    val xs = x.storage; val ys = out.storage
    val xo = x.offset; val yo = out.offset; val n = x.nElement
    // The JIT (C2, JDK 17) vectorises a loop only when its arrays are indexed alike: with two different
    // offsets the same loop ran 7x slower. So copy first when the offsets differ, then work in place.
    val src = if (xo == yo) xs else { System.arraycopy(xs, xo, ys, yo, n); ys }
    var i = yo
    val end = yo + n
    while (i < end) { ys(i) = Tanh.tanh(src(i)); i += 1 }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Tanh", gradOutput, outTensor)
    val gi = gradInTensor.resize(outTensor.shape)
    if (DnnOps.use(DnnOps.Tanh)) { DnnEltwise.backward(DnnEltwise.tanh, outTensor, g, gi); return gi }
    val gs = g.storage; val ys = outTensor.storage; val out = gi.storage
    val go = g.offset; val yo = outTensor.offset; val oo = gi.offset; val n = gi.nElement
    if (go == yo && yo == oo) { // indexed alike: vectorised (see updateOutput)
      var i = oo
      val end = oo + n
      while (i < end) { val y = ys(i); out(i) = gs(i) * (1f - y * y); i += 1 }
    } else {
      var i = 0
      while (i < n) { val y = ys(yo + i); out(oo + i) = gs(go + i) * (1f - y * y); i += 1 }
    }
    gi
  }
}

private object Tanh {
  // Eigen's rational approximation of tanh for Float32 (generic_fast_tanh_float): a degree 13/6 polynomial
  // ratio on [-7.9053, 7.9053], where tanh rounds to +-1 in Float32. Max relative error 3.4e-7 (checked
  // against float64 tanh on 2M points). java.lang.Math.tanh, and even exp, cost 15-40 ns per element and
  // made Tanh the most expensive layer of LeNet-5; this is a few multiply-adds and one division.
  private final val Clamp = 7.90531110763549805f
  private final val A1 = 4.89352455891786e-03f
  private final val A3 = 6.37261928875436e-04f
  private final val A5 = 1.48572235717979e-05f
  private final val A7 = 5.12229709037114e-08f
  private final val A9 = -8.60467152213735e-11f
  private final val A11 = 2.00018790482477e-13f
  private final val A13 = -2.76076847742355e-16f
  private final val B0 = 4.89352518554385e-03f
  private final val B2 = 2.26843463243900e-03f
  private final val B4 = 1.18534705686654e-04f
  private final val B6 = 1.19825839466702e-06f

  /**
   * tanh(v) to Float32 precision (NaN stays NaN). Branch-free (the clamp is Math.min/max, JIT intrinsics), so
   * that a loop over it compiles to AVX instructions: 5x faster than with an `if` for small |v| and the clamp
   * as conditionals (LeNet-5's first Tanh: 1.7 ms -> 0.3 ms per batch of 128). Near 0 the ratio is x * A1 / B0
   * = x * (1 - 1.3e-7), within the approximation's error.
   */
  def tanh(v: Float): Float = {
    val x = java.lang.Math.max(-Clamp, java.lang.Math.min(Clamp, v)) // not scala.math: see below
    val x2 = x * x
    var p = x2 * A13 + A11
    p = x2 * p + A9; p = x2 * p + A7; p = x2 * p + A5; p = x2 * p + A3; p = x2 * p + A1
    p = x * p
    var q = x2 * B6 + B4
    q = x2 * q + B2; q = x2 * q + B0
    p / q
  }
}
