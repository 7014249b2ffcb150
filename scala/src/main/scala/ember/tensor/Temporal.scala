package ember.tensor

/**
 * 1-d (temporal) convolution and max pooling over sequences stored as contiguous [nFrames, frameSize]
 * matrices (Torch's and BigDL's layout: time first, features last).
 *
 * Convolution: the kW consecutive frames that output frame t reads, starting at frame t * dW, are
 * kW * frameSize contiguous floats, so unfolding the input into [outFrames, kW * frameSize] is one array
 * copy per output frame (BLAS cannot read the overlapping rows in place: it requires a leading dimension
 * of at least the row length). One GEMM with the weight [outputFrameSize, kW * inputFrameSize] then does
 * the forward pass, one more the weight gradient; the input gradient is computed as unfolded rows and added
 * back frame by frame.
 */
object Temporal {

  /** Geometry of a temporal convolution over one sequence. */
  final case class ConvShape(inFrames: Int, inSize: Int, outSize: Int, kW: Int, dW: Int) {
    val outFrames: Int = OutputSize.narrow(OutputSize.windowLong(inFrames, kW, dW, 0))
    require(outFrames > 0, s"temporal convolution: a sequence of $inFrames frames is shorter than the kernel width $kW")
    def rowLength: Int = kW * inSize
    def rowStride: Int = dW * inSize
  }

  /** The unfolded input [outFrames, rowLength] of one sequence into `buffer` (at least that long). */
  def unfold(s: ConvShape, in: Array[Float], inOff: Int, buffer: Array[Float]): Unit =
    for (t <- 0 until s.outFrames) System.arraycopy(in, inOff + t * s.rowStride, buffer, t * s.rowLength, s.rowLength)

  /** output [outFrames, outSize] = unfold(input) W^T + bias, for the sequence at the given offsets. */
  def convForward(s: ConvShape, in: Array[Float], inOff: Int, weight: Tensor, bias: Tensor, out: Array[Float], outOff: Int,
      buffer: Array[Float]): Unit = {
    if (bias != null) for (t <- 0 until s.outFrames)
      System.arraycopy(bias.storage, bias.offset, out, outOff + t * s.outSize, s.outSize)
    unfold(s, in, inOff, buffer)
    Blas.gemm(false, true, s.outFrames, s.outSize, s.rowLength, 1f, buffer, 0, s.rowLength,
      weight.storage, weight.offset, s.rowLength, if (bias == null) 0f else 1f, out, outOff, s.outSize)
  }

  /** gradInput (zeroed here) of one sequence; `buffer` must hold outFrames * rowLength floats. */
  def convGradInput(s: ConvShape, g: Array[Float], gOff: Int, weight: Tensor, gi: Array[Float], giOff: Int,
      buffer: Array[Float]): Unit = {
    java.util.Arrays.fill(gi, giOff, giOff + s.inFrames * s.inSize, 0f)
    Blas.gemm(false, false, s.outFrames, s.rowLength, s.outSize, 1f, g, gOff, s.outSize,
      weight.storage, weight.offset, s.rowLength, 0f, buffer, 0, s.rowLength)
    for (t <- 0 until s.outFrames) Blas.axpy(s.rowLength, 1f, buffer, t * s.rowLength, gi, giOff + t * s.rowStride)
  }

  /** gradWeight += g^T unfold(input), gradBias += column sums of g (either may be null). */
  def convAccGrad(s: ConvShape, in: Array[Float], inOff: Int, g: Array[Float], gOff: Int, gradWeight: Tensor, gradBias: Tensor,
      buffer: Array[Float]): Unit = {
    if (gradWeight != null) {
      unfold(s, in, inOff, buffer)
      Blas.gemm(true, false, s.outSize, s.rowLength, s.outFrames, 1f, g, gOff, s.outSize, buffer, 0, s.rowLength,
        1f, gradWeight.storage, gradWeight.offset, s.rowLength)
    }
    if (gradBias != null) for (t <- 0 until s.outFrames)
      Blas.axpy(s.outSize, 1f, g, gOff + t * s.outSize, gradBias.storage, gradBias.offset)
  }

  /**
   * Max over windows of kW frames with step dW, per feature, for one sequence [inFrames, size]; `argmax`
   * receives the winning frame of each output (NaN wins, as in Torch).
   */
  def maxForward(inFrames: Int, size: Int, kW: Int, dW: Int, in: Array[Float], inOff: Int, out: Array[Float], outOff: Int,
      argmax: Array[Int], argOff: Int): Unit = {
    val outFrames = (inFrames - kW) / dW + 1
    for (t <- 0 until outFrames; f <- 0 until size) {
      var best = Float.NegativeInfinity
      var bestT = t * dW
      var k = t * dW
      while (k < t * dW + kW) {
        val v = in(inOff + k * size + f)
        if (v > best || v != v) { best = v; bestT = k }
        k += 1
      }
      out(outOff + t * size + f) = best
      argmax(argOff + t * size + f) = bestT
    }
  }

  /** Routes each output gradient to its argmax frame; `gi` of the sequence is zeroed first. */
  def maxBackward(inFrames: Int, size: Int, outFrames: Int, g: Array[Float], gOff: Int, argmax: Array[Int], argOff: Int,
      gi: Array[Float], giOff: Int): Unit = {
    java.util.Arrays.fill(gi, giOff, giOff + inFrames * size, 0f)
    for (t <- 0 until outFrames; f <- 0 until size) gi(giOff + argmax(argOff + t * size + f) * size + f) += g(gOff + t * size + f)
  }
}
