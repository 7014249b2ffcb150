package ember.nn

import ember.tensor.Tensor
import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * max(0, x), elementwise. With `ip = true` it works in place (BigDL's argument): the output is the input
 * tensor and the input gradient is written into gradOutput, saving two buffers.
 *
 * Both loops are branch-free: on real activations the sign is a coin toss, and written as `if (x <= 0)` the
 * mispredictions made them 10-25x slower (5 ms per million floats; a fifth of a ResNet-20 iteration). The
 * forward pass is `Math.max(x, 0)`, which C2 vectorises (a NaN stays NaN, as in PyTorch); the backward pass
 * multiplies the gradient by a factor that is exactly 1 where y > 0 and 0 elsewhere, also vectorised, and
 * falls back to an integer mask (y's bits as an int lie in (0, bits of +inf] exactly when y > 0) when a NaN
 * shows up, so that the gradient is zero at a NaN output and at y = 0 whatever it was.
 *
 * On oneDNN (`eltwise_relu`) only when [[ember.tensor.dnn.DnnOps]] selects it (not by default: this loop is faster
 * than oneDNN's copy in and out); there an infinite or NaN gradient at y <= 0 gives NaN (oneDNN multiplies it by
 * the zero slope), and a batch holding a NaN runs on the JVM loops (oneDNN's ReLU would turn NaN into 0).
 */
class ReLU(val ip: Boolean) extends TensorModule {
  def this() = this(false)

  override def updateOutput(input: Tensor): Tensor = {
    // the JVM loops unless oneDNN is selected and took the batch (it leaves a batch holding a NaN here)
    if (!(DnnOps.use(DnnOps.Relu) && forwardDnn(input))) {
      if (ip && input.isContiguous) {
        output = input
        val (x, off, n) = (input.storage, input.offset, input.nElement)
        var i = 0
        while (i < n) { x(off + i) = Math.max(x(off + i), 0f); i += 1 }
      } else {
        val x = input.contiguous()
        val out = (if (ip) { output = new Tensor(); outTensor } else outTensor).resize(x.shape)
        Elementwise.map(x, out)(v => Math.max(v, 0f)) // NaN passes through, as in PyTorch
      }
    }
    outTensor
  }

  /** The forward pass on oneDNN; false when it left the batch to the JVM loop (a NaN in it). */
  private def forwardDnn(input: Tensor): Boolean = {
    val inPlace = ip && input.isContiguous
    val x = input.contiguous()
    val out = if (inPlace) input else { if (ip) output = new Tensor(); outTensor.resize(x.shape) }
    DnnEltwise.forward(ReLU.dnn, x, out) && { if (inPlace) output = input; true }
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("ReLU", gradOutput, outTensor)
    // the output, not the input: in place, the input has been overwritten by it (same sign pattern)
    if (DnnOps.use(DnnOps.Relu)) {
      if (ip && (g eq gradOutput)) gradInput = g else gradInTensor.resize(outTensor.shape)
      DnnEltwise.backward(ReLU.dnn, outTensor, g, gradInTensor)
      return gradInTensor
    }
    if (ip && (g eq gradOutput)) gradInput = g else gradInTensor.resize(outTensor.shape).copy(g)
    val (gi, y, gOff, yOff, n) = (gradInTensor.storage, outTensor.storage, gradInTensor.offset, outTensor.offset, g.nElement)
    // y * 2^127 * 2^127 is >= 2^105 for every y > 0 (denormals too) and 0 at y = 0, so the factor is exactly 1 or 0
    // on every non-NaN output, and the loop vectorises (7x faster than the integer mask, which C2 does not) when
    // both arrays are indexed alike (with two different offsets C2 cannot rule out an overlap and does not); + 0
    // turns -0 into 0. A NaN output or an infinite/NaN gradient at y = 0 gives NaN here: then the mask
    // below is applied to the result, which is exact (the result is the gradient wherever the mask keeps it).
    val big = java.lang.Math.scalb(1f, 127)
    var i = 0
    if (gOff == yOff) {
      var j = gOff
      val end = gOff + n
      while (j < end) { gi(j) = gi(j) * Math.min(y(j) * big * big, 1f) + 0f; j += 1 }
    } else while (i < n) { gi(gOff + i) = gi(gOff + i) * Math.min(y(yOff + i) * big * big, 1f) + 0f; i += 1 }
    if (DnnOps.hasNaN(gi, gOff, n)) {
      i = 0
      while (i < n) {
        val yb = java.lang.Float.floatToRawIntBits(y(yOff + i))
        val keep = ((-yb) >> 31) & ((yb - 0x7f800001) >> 31) // all ones when 0 < y <= +inf, else 0
        gi(gOff + i) = java.lang.Float.intBitsToFloat(java.lang.Float.floatToRawIntBits(gi(gOff + i)) & keep)
        i += 1
      }
    }
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("ip" -> ip)
  override def configDefaults: Seq[(String, Any)] = Seq("ip" -> false)
}

private object ReLU {
  val dnn: DnnEltwise.Fn = DnnEltwise.relu(0f)
}
