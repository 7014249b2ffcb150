package ember.ml

/**
 * Pixel operations on images in the layout of Spark's image schema: `h x w x c` unsigned bytes, row-major
 * HWC, channels in BGR(A) order. Used by the image preprocessing stages and by the image decoder of
 * [[ColumnDecoder]]; all run on the executors, inside the JVM (no Python worker per row).
 */
object ImageOps {

  private def px(b: Byte): Float = (b & 0xff).toFloat

  /**
   * Bilinear resize to `oh x ow` (pixel centres aligned, as OpenCV's INTER_LINEAR and PIL's bilinear
   * without antialiasing), rounding to the nearest byte.
   */
  def resize(src: Array[Byte], h: Int, w: Int, c: Int, oh: Int, ow: Int): Array[Byte] = {
    require(oh > 0 && ow > 0, s"resize: target size must be positive, got $oh x $ow")
    if (oh == h && ow == w) return src.clone()
    val out = new Array[Byte](oh * ow * c)
    val sy = h.toDouble / oh
    val sx = w.toDouble / ow
    var y = 0
    while (y < oh) {
      val fy = math.max(0.0, (y + 0.5) * sy - 0.5)
      val y0 = math.min(fy.toInt, h - 1)
      val y1 = math.min(y0 + 1, h - 1)
      val dy = fy - y0
      var x = 0
      while (x < ow) {
        val fx = math.max(0.0, (x + 0.5) * sx - 0.5)
        val x0 = math.min(fx.toInt, w - 1)
        val x1 = math.min(x0 + 1, w - 1)
        val dx = fx - x0
        var k = 0
        while (k < c) {
          val top = px(src((y0 * w + x0) * c + k)) * (1 - dx) + px(src((y0 * w + x1) * c + k)) * dx
          val bottom = px(src((y1 * w + x0) * c + k)) * (1 - dx) + px(src((y1 * w + x1) * c + k)) * dx
          val v = math.round(top * (1 - dy) + bottom * dy).toInt
          out((y * ow + x) * c + k) = math.max(0, math.min(255, v)).toByte
          k += 1
        }
        x += 1
      }
      y += 1
    }
    out
  }

  /** The `ch x cw` window whose top-left corner is (`top`, `left`). */
  def crop(src: Array[Byte], h: Int, w: Int, c: Int, top: Int, left: Int, ch: Int, cw: Int): Array[Byte] = {
    require(ch > 0 && cw > 0 && top >= 0 && left >= 0 && top + ch <= h && left + cw <= w,
      s"crop: a $ch x $cw window at ($top, $left) does not fit an image of $h x $w")
    val out = new Array[Byte](ch * cw * c)
    var y = 0
    while (y < ch) { System.arraycopy(src, ((top + y) * w + left) * c, out, y * cw * c, cw * c); y += 1 }
    out
  }

  /** Mirror image along the vertical axis (left <-> right). */
  def hflip(src: Array[Byte], h: Int, w: Int, c: Int): Array[Byte] = {
    val out = new Array[Byte](src.length)
    var y = 0
    while (y < h) {
      var x = 0
      while (x < w) { System.arraycopy(src, (y * w + x) * c, out, (y * w + (w - 1 - x)) * c, c); x += 1 }
      y += 1
    }
    out
  }

  /**
   * HWC bytes -> CHW floats: `(v * scale - mean(k)) / std(k)` for channel k (`mean`/`std` null: 0 / 1,
   * `scale` 1 when called without). With `toRgb`, channels 0 and 2 swap (Spark stores BGR).
   */
  def toChw(src: Array[Byte], h: Int, w: Int, c: Int, mean: Array[Double], std: Array[Double], scale: Double = 1.0,
      toRgb: Boolean = false): Array[Float] = {
    val out = new Array[Float](c * h * w)
    val plane = h * w
    var k = 0
    while (k < c) {
      val srcK = if (toRgb && c >= 3 && k < 3) 2 - k else k
      val m = if (mean == null) 0.0 else mean(k)
      val s = if (std == null) 1.0 else std(k)
      var i = 0
      while (i < plane) { out(k * plane + i) = ((px(src(i * c + srcK)) * scale - m) / s).toFloat; i += 1 }
      k += 1
    }
    out
  }
}
