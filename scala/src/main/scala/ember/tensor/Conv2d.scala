package ember.tensor

/**
 * Geometry of a 2-d convolution over [C, H, W] planes. `padH`/`padW` are the top/left padding; the output
 * size is given explicitly so that asymmetric ("same") padding needs no extra field: positions past the
 * bottom/right edge read as zero like any other padding.
 */
final case class Conv2dShape(
    nIn: Int, inH: Int, inW: Int, nOut: Int, kH: Int, kW: Int,
    strideH: Int, strideW: Int, padH: Int, padW: Int, outH: Int, outW: Int) {
  require(outH > 0 && outW > 0, s"convolution output would be ${outH}x$outW for input ${inH}x$inW, kernel ${kH}x$kW, " +
    s"stride ${strideH}x$strideW, padding ${padH}x$padW")

  /** Rows of the column matrix: one per (input plane, kernel row, kernel column). */
  def colRows: Int = nIn * kH * kW

  /** Output pixels per plane. */
  def outArea: Int = outH * outW
  def inArea: Int = inH * inW
}

object Conv2dShape {

  /** Output size of a convolution with symmetric padding: floor((in + 2 pad - k) / stride) + 1. */
  def outSize(in: Int, k: Int, stride: Int, pad: Int): Int = OutputSize.narrow(OutputSize.windowLong(in, k, stride, pad))
}

/**
 * Convolution kernels: im2col + GEMM (forward), GEMM (weight gradient), GEMM + col2im (input gradient).
 *
 * Why batched: a LeNet-sized convolution per sample is a 6 x 25 x 576 GEMM, too small for BLAS to run at
 * speed, so samples are processed in groups: the column matrices of a group of `g` samples sit side by side
 * in one [colRows, g * outArea] matrix and one GEMM serves the whole group. The group size is bounded by
 * [[Conv2dWorkspace.groupElements]] so the column buffer stays cache- and memory-friendly on big layers.
 * The forward pass keeps the column matrices of the whole batch when they fit [[Conv2dWorkspace.cacheElements]]
 * (as Torch's `finput`), so the weight gradient does not redo im2col; otherwise backward recomputes them.
 *
 * Layouts: input [N, nIn, inH, inW], output [N, nOut, outH, outW], weight [nOut, nIn * kH * kW] (any tensor
 * whose contiguous storage has this order, e.g. [nOut, nIn, kH, kW]), all contiguous.
 */
object Conv2d {

  /** Writes the column matrix of one [nIn, inH, inW] image: row r of length outArea at `colOff + r * ld`. */
  def im2col(s: Conv2dShape, in: Array[Float], inOff: Int, col: Array[Float], colOff: Int, ld: Int): Unit = {
    var c = 0
    var row = colOff
    while (c < s.nIn) {
      val plane = inOff + c * s.inArea
      var ki = 0
      while (ki < s.kH) {
        var kj = 0
        while (kj < s.kW) {
          val (ow0, ow1) = validRange(kj, s.strideW, s.padW, s.inW, s.outW)
          var oh = 0
          while (oh < s.outH) {
            val ih = oh * s.strideH - s.padH + ki
            val dst = row + oh * s.outW
            if (ih < 0 || ih >= s.inH || ow0 >= ow1) java.util.Arrays.fill(col, dst, dst + s.outW, 0f)
            else {
              if (ow0 > 0) java.util.Arrays.fill(col, dst, dst + ow0, 0f)
              val src = plane + ih * s.inW - s.padW + kj
              if (s.strideW == 1) System.arraycopy(in, src + ow0, col, dst + ow0, ow1 - ow0)
              else { var ow = ow0; while (ow < ow1) { col(dst + ow) = in(src + ow * s.strideW); ow += 1 } }
              if (ow1 < s.outW) java.util.Arrays.fill(col, dst + ow1, dst + s.outW, 0f)
            }
            oh += 1
          }
          row += ld
          kj += 1
        }
        ki += 1
      }
      c += 1
    }
  }

  /** Adds a column matrix (layout as in [[im2col]]) back onto one [nIn, inH, inW] image gradient. */
  def col2im(s: Conv2dShape, col: Array[Float], colOff: Int, ld: Int, out: Array[Float], outOff: Int): Unit = {
    var c = 0
    var row = colOff
    while (c < s.nIn) {
      val plane = outOff + c * s.inArea
      var ki = 0
      while (ki < s.kH) {
        var kj = 0
        while (kj < s.kW) {
          val (ow0, ow1) = validRange(kj, s.strideW, s.padW, s.inW, s.outW)
          var oh = 0
          while (oh < s.outH) {
            val ih = oh * s.strideH - s.padH + ki
            if (ih >= 0 && ih < s.inH) {
              val src = row + oh * s.outW
              val dst = plane + ih * s.inW - s.padW + kj
              var ow = ow0
              while (ow < ow1) { out(dst + ow * s.strideW) += col(src + ow); ow += 1 }
            }
            oh += 1
          }
          row += ld
          kj += 1
        }
        ki += 1
      }
      c += 1
    }
  }

  /** Output columns [ow0, ow1) whose input column ow * stride - pad + kj lies inside [0, inW). */
  private def validRange(kj: Int, stride: Int, pad: Int, inW: Int, outW: Int): (Int, Int) = {
    val lo = pad - kj
    val ow0 = if (lo <= 0) 0 else (lo + stride - 1) / stride
    val hi = inW - 1 + pad - kj
    val ow1 = if (hi < 0) 0 else math.min(outW, hi / stride + 1)
    (math.min(ow0, ow1), ow1)
  }

  /** output = conv(input, weight) + bias; `bias` may be null. Shapes are checked by the caller (the layer). */
  def forward(s: Conv2dShape, input: Tensor, weight: Tensor, bias: Tensor, output: Tensor, ws: Conv2dWorkspace): Unit = {
    val n = input.size(0)
    val (in, out, w) = (input.storage, output.storage, weight.storage)
    val (k, a) = (s.colRows, s.outArea)
    val g = ws.groupSize(s, n)
    ws.prepareColumns(s, n, input)
    var n0 = 0
    while (n0 < n) {
      val gs = math.min(g, n - n0)
      val ld = gs * a
      val colOff = ws.colOffset(s, n0)
      var j = 0
      while (j < gs) { im2col(s, in, input.offset + (n0 + j) * s.nIn * s.inArea, ws.col, colOff + j * a, ld); j += 1 }
      val outOff = output.offset + n0 * s.nOut * a
      if (gs == 1) { // the product already has the output layout: write it in place
        fillBias(s, bias, out, outOff)
        Blas.gemm(false, false, s.nOut, a, k, 1f, w, weight.offset, k, ws.col, colOff, ld, if (bias == null) 0f else 1f, out, outOff, a)
      } else {
        val tmp = ws.product(s.nOut * ld)
        Blas.gemm(false, false, s.nOut, ld, k, 1f, w, weight.offset, k, ws.col, colOff, ld, 0f, tmp, 0, ld)
        scatter(s, gs, tmp, bias, out, outOff)
      }
      n0 += gs
    }
  }

  /**
   * Backward: gradInput = col2im(W^T gradOutput) when `grads.gradInput` is non-null, and gradWeight +=
   * gradOutput col^T, gradBias += row sums of gradOutput when those are non-null.
   */
  def backward(s: Conv2dShape, input: Tensor, gradOutput: Tensor, weight: Tensor, grads: Conv2dGrads, ws: Conv2dWorkspace): Unit = {
    val n = input.size(0)
    val (k, a) = (s.colRows, s.outArea)
    val g = ws.groupSize(s, n)
    val cached = ws.hasColumnsFor(s, n, input)
    if (grads.gradInput != null) grads.gradInput.zero()
    var n0 = 0
    while (n0 < n) {
      val gs = math.min(g, n - n0)
      val ld = gs * a
      val goOff = gradOutput.offset + n0 * s.nOut * a
      // gradOutput of the group as a [nOut, gs * outArea] matrix (already so for one sample)
      val (gm, gmOff) = if (gs == 1) (gradOutput.storage, goOff) else (gather(s, gs, gradOutput.storage, goOff, ws), 0)
      if (grads.gradInput != null) {
        val gcol = ws.gradColumns(k * ld)
        Blas.gemm(true, false, k, ld, s.nOut, 1f, weight.storage, weight.offset, k, gm, gmOff, ld, 0f, gcol, 0, ld)
        var j = 0
        val gi = grads.gradInput
        while (j < gs) { col2im(s, gcol, j * a, ld, gi.storage, gi.offset + (n0 + j) * s.nIn * s.inArea); j += 1 }
      }
      if (grads.gradWeight != null) {
        val colOff = ws.colOffset(s, n0)
        if (!cached) {
          var j = 0
          while (j < gs) { im2col(s, input.storage, input.offset + (n0 + j) * s.nIn * s.inArea, ws.col, colOff + j * a, ld); j += 1 }
        }
        val gw = grads.gradWeight
        Blas.gemm(false, true, s.nOut, k, ld, 1f, gm, gmOff, ld, ws.col, colOff, ld, 1f, gw.storage, gw.offset, k)
      }
      if (grads.gradBias != null) addRowSums(gm, gmOff, s.nOut, ld, grads.gradBias)
      n0 += gs
    }
  }

  private def fillBias(s: Conv2dShape, bias: Tensor, out: Array[Float], outOff: Int): Unit =
    if (bias != null) {
      var o = 0
      while (o < s.nOut) { val off = outOff + o * s.outArea; java.util.Arrays.fill(out, off, off + s.outArea, bias.storage(bias.offset + o)); o += 1 }
    }

  /** out[j, o, :] = tmp[o, j * outArea ...] + bias[o] for the gs samples of a group. */
  private def scatter(s: Conv2dShape, gs: Int, tmp: Array[Float], bias: Tensor, out: Array[Float], outOff: Int): Unit = {
    val a = s.outArea
    var o = 0
    while (o < s.nOut) {
      val b = if (bias == null) 0f else bias.storage(bias.offset + o)
      var j = 0
      while (j < gs) {
        val src = o * gs * a + j * a
        val dst = outOff + (j * s.nOut + o) * a
        var i = 0
        while (i < a) { out(dst + i) = tmp(src + i) + b; i += 1 }
        j += 1
      }
      o += 1
    }
  }

  /** The group's gradOutput [gs, nOut, outArea] rearranged as [nOut, gs * outArea] in the workspace. */
  private def gather(s: Conv2dShape, gs: Int, go: Array[Float], goOff: Int, ws: Conv2dWorkspace): Array[Float] = {
    val a = s.outArea
    val buf = ws.product(s.nOut * gs * a)
    var j = 0
    while (j < gs) {
      var o = 0
      while (o < s.nOut) { System.arraycopy(go, goOff + (j * s.nOut + o) * a, buf, (o * gs + j) * a, a); o += 1 }
      j += 1
    }
    buf
  }

  private def addRowSums(m: Array[Float], off: Int, rows: Int, cols: Int, into: Tensor): Unit = {
    var r = 0
    while (r < rows) {
      var acc = 0.0
      var i = off + r * cols
      val end = i + cols
      while (i < end) { acc += m(i); i += 1 }
      into.storage(into.offset + r) += acc.toFloat
      r += 1
    }
  }
}

/** Gradient outputs of [[Conv2d.backward]]; any of them may be null to skip it. */
final case class Conv2dGrads(gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)

/**
 * Scratch buffers of one convolution layer (not shared between threads: each model replica has its own).
 * Buffers grow to the largest size needed and are then reused, so steady-state training allocates nothing.
 */
final class Conv2dWorkspace(val groupElements: Int = Conv2dWorkspace.DefaultGroupElements,
    val cacheElements: Long = Conv2dWorkspace.DefaultCacheElements,
    val minColumns: Int = Conv2dWorkspace.DefaultMinColumns) {
  private[tensor] var col: Array[Float] = Tensor.EmptyStorage
  private var prod: Array[Float] = Tensor.EmptyStorage
  private var gcol: Array[Float] = Tensor.EmptyStorage
  private var cacheAll = false
  private var cachedStorage: Array[Float] = null
  private var cachedOffset = -1
  private var cachedShape: Conv2dShape = null
  private var cachedN = -1

  /**
   * Samples per GEMM: the fewest that give the GEMM `minColumns` columns (one sample when its output plane
   * is that large), within `groupElements` column entries, at least one.
   */
  def groupSize(s: Conv2dShape, n: Int): Int = {
    val wanted = (minColumns.toLong + s.outArea - 1) / s.outArea
    val fits = groupElements.toLong / (s.colRows.toLong * s.outArea)
    math.max(1L, math.min(n.toLong, math.min(wanted, fits))).toInt
  }

  private[tensor] def prepareColumns(s: Conv2dShape, n: Int, input: Tensor): Unit = {
    val total = s.colRows.toLong * s.outArea * n
    cacheAll = total <= cacheElements
    val need = if (cacheAll) total.toInt else s.colRows * s.outArea * groupSize(s, n)
    if (col.length < need) col = new Array[Float](need)
    if (cacheAll) { cachedStorage = input.storage; cachedOffset = input.offset; cachedShape = s; cachedN = n }
    else cachedStorage = null
  }

  /** True when the last forward kept the column matrices of this very input. */
  private[tensor] def hasColumnsFor(s: Conv2dShape, n: Int, input: Tensor): Boolean = {
    val hit = cacheAll && (cachedStorage eq input.storage) && cachedOffset == input.offset && cachedShape == s && cachedN == n
    if (!hit) { // backward without a matching forward: recompute per group into a group-sized buffer
      cacheAll = false; cachedStorage = null
      val need = s.colRows * s.outArea * groupSize(s, n)
      if (col.length < need) col = new Array[Float](need)
    }
    hit
  }

  private[tensor] def colOffset(s: Conv2dShape, n0: Int): Int = if (cacheAll) n0 * s.colRows * s.outArea else 0

  private[tensor] def product(size: Int): Array[Float] = { if (prod.length < size) prod = new Array[Float](size); prod }

  private[tensor] def gradColumns(size: Int): Array[Float] = { if (gcol.length < size) gcol = new Array[Float](size); gcol }

  /** Drops the cached columns (e.g. after the input was modified in place). */
  def invalidate(): Unit = { cachedStorage = null; cacheAll = false }
}

object Conv2dWorkspace {
  /** At most 2M floats (8 MB) of columns per GEMM. */
  val DefaultGroupElements: Int = 1 << 21

  /** Keep the batch's column matrices between forward and backward up to 16M floats (64 MB). */
  val DefaultCacheElements: Long = 1L << 24

  /**
   * GEMM columns (output pixels) worth one GEMM call. Grouping samples costs a gather and a scatter of the
   * output and a column buffer that no longer fits the cache; measured with `LayerBench --variants` (CPU
   * time, one thread): one GEMM per sample is faster as soon as a sample has 64 output pixels (LeNet-5's
   * 24x24 and 8x8 layers: 1.2-1.8x), so only smaller planes are grouped up to that width.
   */
  val DefaultMinColumns: Int = 64
}
