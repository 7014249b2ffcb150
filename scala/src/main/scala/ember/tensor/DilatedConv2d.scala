package ember.tensor

/**
 * Geometry of a 2-d convolution with dilation over [nIn, inH, inW] images: kernel tap (ki, kj) of output
 * pixel (oh, ow) reads input pixel (oh * strideH - padH + ki * dilationH, ow * strideW - padW + kj * dilationW);
 * taps outside the image read zero.
 */
final case class DilatedConvShape(nIn: Int, inH: Int, inW: Int, nOut: Int, kH: Int, kW: Int, strideH: Int, strideW: Int,
    padH: Int, padW: Int, dilationH: Int, dilationW: Int) {
  val outH: Int = DilatedConvShape.outSize(inH, kH, strideH, padH, dilationH)
  val outW: Int = DilatedConvShape.outSize(inW, kW, strideW, padW, dilationW)
  require(outH > 0 && outW > 0, s"convolution output would be ${outH}x$outW for input ${inH}x$inW, kernel ${kH}x$kW, " +
    s"stride ${strideH}x$strideW, padding ${padH}x$padW, dilation ${dilationH}x$dilationW")

  def colRows: Int = nIn * kH * kW
  def outArea: Int = outH * outW
  def inArea: Int = inH * inW
}

object DilatedConvShape {

  /** floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1 (PyTorch's and BigDL's rule). */
  def outSize(in: Int, k: Int, stride: Int, pad: Int, dilation: Int): Int =
    OutputSize.narrow(OutputSize.windowLong(in, k, stride, pad, dilation))
}

/**
 * im2col / col2im with dilation, and the dilated convolution built on them (im2col + GEMM per sample, as
 * Torch's `SpatialDilatedConvolution`). The column matrix of one image is [nIn * kH * kW, outH * outW],
 * rows ordered (plane, kernel row, kernel column) like the weight [nOut, nIn, kH, kW]. These are separate
 * from [[Conv2d]] (which is tuned for the undilated case and batches samples per GEMM) and also serve
 * [[FullConv2d]], the transposed convolution.
 */
object DilatedConv2d {

  /** The column matrix of one image at `in(inOff)` into `col(colOff)` (row length outArea). */
  def im2col(s: DilatedConvShape, in: Array[Float], inOff: Int, col: Array[Float], colOff: Int): Unit = {
    var row = colOff
    for (c <- 0 until s.nIn; ki <- 0 until s.kH; kj <- 0 until s.kW) {
      val plane = inOff + c * s.inArea
      var oh = 0
      while (oh < s.outH) {
        val ih = oh * s.strideH - s.padH + ki * s.dilationH
        var ow = 0
        while (ow < s.outW) {
          val iw = ow * s.strideW - s.padW + kj * s.dilationW
          col(row + oh * s.outW + ow) = if (ih >= 0 && ih < s.inH && iw >= 0 && iw < s.inW) in(plane + ih * s.inW + iw) else 0f
          ow += 1
        }
        oh += 1
      }
      row += s.outArea
    }
  }

  /** Adds the column matrix at `col(colOff)` back onto the image gradient at `out(outOff)` (the adjoint of im2col). */
  def col2im(s: DilatedConvShape, col: Array[Float], colOff: Int, out: Array[Float], outOff: Int): Unit = {
    var row = colOff
    for (c <- 0 until s.nIn; ki <- 0 until s.kH; kj <- 0 until s.kW) {
      val plane = outOff + c * s.inArea
      var oh = 0
      while (oh < s.outH) {
        val ih = oh * s.strideH - s.padH + ki * s.dilationH
        if (ih >= 0 && ih < s.inH) {
          var ow = 0
          while (ow < s.outW) {
            val iw = ow * s.strideW - s.padW + kj * s.dilationW
            if (iw >= 0 && iw < s.inW) out(plane + ih * s.inW + iw) += col(row + oh * s.outW + ow)
            ow += 1
          }
        }
        oh += 1
      }
      row += s.outArea
    }
  }

  /** A column buffer of at least `n` floats, reused across calls. */
  final class Workspace { var col: Array[Float] = Tensor.EmptyStorage
    def columns(n: Int): Array[Float] = { if (col.length < n) col = new Array[Float](n); col }
  }

  /** output [N, nOut, outH, outW] = conv(input [N, nIn, inH, inW], weight) + bias (bias may be null); contiguous. */
  def forward(s: DilatedConvShape, input: Tensor, weight: Tensor, bias: Tensor, output: Tensor, ws: Workspace): Unit = {
    val (k, a) = (s.colRows, s.outArea)
    val col = ws.columns(k * a)
    for (b <- 0 until input.size(0)) {
      im2col(s, input.storage, input.offset + b * s.nIn * s.inArea, col, 0)
      val outOff = output.offset + b * s.nOut * a
      if (bias != null) for (o <- 0 until s.nOut)
        java.util.Arrays.fill(output.storage, outOff + o * a, outOff + (o + 1) * a, bias.storage(bias.offset + o))
      Blas.gemm(false, false, s.nOut, a, k, 1f, weight.storage, weight.offset, k, col, 0, a,
        if (bias == null) 0f else 1f, output.storage, outOff, a)
    }
  }

  /**
   * gradInput = col2im(W^T g) (zeroed first) when non-null; gradWeight += g col^T and gradBias += row sums of g
   * when non-null.
   */
  def backward(s: DilatedConvShape, input: Tensor, gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
      gradWeight: Tensor, gradBias: Tensor, ws: Workspace): Unit = {
    val (k, a) = (s.colRows, s.outArea)
    val col = ws.columns(k * a)
    if (gradInput != null) gradInput.zero()
    for (b <- 0 until input.size(0)) {
      val gOff = gradOutput.offset + b * s.nOut * a
      if (gradInput != null) {
        Blas.gemm(true, false, k, a, s.nOut, 1f, weight.storage, weight.offset, k, gradOutput.storage, gOff, a, 0f, col, 0, a)
        col2im(s, col, 0, gradInput.storage, gradInput.offset + b * s.nIn * s.inArea)
      }
      if (gradWeight != null) {
        im2col(s, input.storage, input.offset + b * s.nIn * s.inArea, col, 0)
        Blas.gemm(false, true, s.nOut, k, a, 1f, gradOutput.storage, gOff, a, col, 0, a, 1f, gradWeight.storage, gradWeight.offset, k)
      }
      if (gradBias != null) for (o <- 0 until s.nOut) {
        var acc = 0.0
        var i = gOff + o * a
        while (i < gOff + (o + 1) * a) { acc += gradOutput.storage(i); i += 1 }
        gradBias.storage(gradBias.offset + o) += acc.toFloat
      }
    }
  }
}
