package ember.tensor

/**
 * The transposed ("full", "deconvolution") 2-d convolution: the adjoint of a convolution with the same
 * kernel, stride and padding, so that its output has size (in - 1) * stride - 2 pad + k + adj. With the
 * weight [nIn, nOut, kH, kW] viewed as [nIn, nOut * kH * kW], per sample:
 *
 *   forward:     columns = W^T x,           output = col2im(columns) + bias
 *   gradInput:   gradInput = W im2col(g)
 *   gradWeight:  gradWeight += x im2col(g)^T
 *
 * where im2col/col2im are those of the convolution from the (larger) output image to the input image
 * (`conv`: nIn = this layer's nOut, image = this layer's output, its output = this layer's input).
 */
object FullConv2d {

  /** The convolution whose adjoint this is, for an input [nIn, inH, inW] and output [nOut, outH, outW]. */
  def adjointShape(nIn: Int, inH: Int, inW: Int, nOut: Int, outH: Int, outW: Int, kH: Int, kW: Int,
      strideH: Int, strideW: Int, padH: Int, padW: Int): DilatedConvShape = {
    val conv = DilatedConvShape(nOut, outH, outW, nIn, kH, kW, strideH, strideW, padH, padW, 1, 1)
    require(conv.outH == inH && conv.outW == inW, s"full convolution: inconsistent geometry ${inH}x$inW -> ${outH}x$outW")
    conv
  }

  /** output [N, nOut, outH, outW] (contiguous) from input [N, nIn, inH, inW]; `conv` from [[adjointShape]]. */
  def forward(conv: DilatedConvShape, input: Tensor, weight: Tensor, bias: Tensor, output: Tensor, ws: DilatedConv2d.Workspace): Unit = {
    val (nIn, inArea, rows) = (conv.nOut, conv.outArea, conv.colRows) // this layer's input planes, pixels; nOut*kH*kW
    val col = ws.columns(rows * inArea)
    output.zero()
    for (b <- 0 until input.size(0)) {
      Blas.gemm(true, false, rows, inArea, nIn, 1f, weight.storage, weight.offset, rows,
        input.storage, input.offset + b * nIn * inArea, inArea, 0f, col, 0, inArea)
      val outOff = output.offset + b * conv.nIn * conv.inArea
      DilatedConv2d.col2im(conv, col, 0, output.storage, outOff)
      if (bias != null) for (o <- 0 until conv.nIn) {
        val bv = bias.storage(bias.offset + o)
        var i = outOff + o * conv.inArea
        while (i < outOff + (o + 1) * conv.inArea) { output.storage(i) += bv; i += 1 }
      }
    }
  }

  /** gradInput (when non-null, overwritten), gradWeight and gradBias (when non-null, accumulated). */
  def backward(conv: DilatedConvShape, input: Tensor, gradOutput: Tensor, weight: Tensor, gradInput: Tensor,
      gradWeight: Tensor, gradBias: Tensor, ws: DilatedConv2d.Workspace): Unit = {
    val (nIn, inArea, rows) = (conv.nOut, conv.outArea, conv.colRows)
    val col = ws.columns(rows * inArea)
    for (b <- 0 until input.size(0)) {
      val gOff = gradOutput.offset + b * conv.nIn * conv.inArea
      DilatedConv2d.im2col(conv, gradOutput.storage, gOff, col, 0)
      val inOff = b * nIn * inArea
      if (gradInput != null)
        Blas.gemm(false, false, nIn, inArea, rows, 1f, weight.storage, weight.offset, rows, col, 0, inArea,
          0f, gradInput.storage, gradInput.offset + inOff, inArea)
      if (gradWeight != null)
        Blas.gemm(false, true, nIn, rows, inArea, 1f, input.storage, input.offset + inOff, inArea, col, 0, inArea,
          1f, gradWeight.storage, gradWeight.offset, rows)
      if (gradBias != null) for (o <- 0 until conv.nIn) {
        var acc = 0.0
        var i = gOff + o * conv.inArea
        while (i < gOff + (o + 1) * conv.inArea) { acc += gradOutput.storage(i); i += 1 }
        gradBias.storage(gradBias.offset + o) += acc.toFloat
      }
    }
  }
}
