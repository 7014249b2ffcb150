package ember.nn

/**
 * The prior (default, anchor) boxes of a single-stage detector (SSD, Liu et al. 2016; BigDL's `PriorBox`),
 * in image coordinates normalised to [0, 1]. Each feature map of side f (square, f x f cells) puts, at the
 * centre ((j + 0.5) / f, (i + 0.5) / f) of every cell (i row, j column), one box per (size s, aspect ratio r)
 * of width s * sqrt(r) and height s / sqrt(r). Order of the priors: feature map, row, column, size, ratio:
 * the order in which a head of `sizes.length * aspectRatios.length * 4` location channels, transposed to
 * [batch, f, f, channels] and reshaped to [batch, priors, 4], lists them.
 *
 * Boxes are encoded against their prior as SSD does: (dx, dy, dw, dh) = ((cx - pcx) / (pw * v0),
 * (cy - pcy) / (ph * v0), log(w / pw) / v1, log(h / ph) / v1) with variances (v0, v1) = (0.1, 0.2).
 */
final case class PriorBox(featureMapSizes: Array[Int], sizes: Array[Float], aspectRatios: Array[Float]) {
  require(featureMapSizes.nonEmpty && featureMapSizes.forall(_ > 0),
    s"PriorBox: featureMapSizes must be positive, got ${featureMapSizes.mkString(", ")}")
  require(sizes.nonEmpty && sizes.forall(s => s > 0 && s <= 2), s"PriorBox: sizes must be in (0, 2], got ${sizes.mkString(", ")}")
  require(aspectRatios.nonEmpty && aspectRatios.forall(_ > 0),
    s"PriorBox: aspectRatios must be positive, got ${aspectRatios.mkString(", ")}")

  /** Priors per cell. */
  def perCell: Int = sizes.length * aspectRatios.length

  /** Number of priors. */
  def count: Int = featureMapSizes.map(f => f * f).sum * perCell

  /** The priors as (cx, cy, w, h), [count * 4]. */
  lazy val centres: Array[Float] = {
    val out = new Array[Float](count * 4)
    var k = 0
    for (f <- featureMapSizes; i <- 0 until f; j <- 0 until f; s <- sizes; r <- aspectRatios) {
      out(k) = ((j + 0.5) / f).toFloat; out(k + 1) = ((i + 0.5) / f).toFloat
      out(k + 2) = (s * math.sqrt(r)).toFloat; out(k + 3) = (s / math.sqrt(r)).toFloat
      k += 4
    }
    out
  }
}

/** Box arithmetic shared by [[MultiBoxCriterion]], [[DetectionOutput]] and the mean average precision. */
object BoxUtils {
  val Variances: (Double, Double) = (0.1, 0.2)

  /** Intersection over union of corner boxes (x1, y1, x2, y2) a and b given as array + offset. */
  def iou(a: Array[Float], ai: Int, b: Array[Float], bi: Int): Double = {
    val iw = math.min(a(ai + 2), b(bi + 2)) - math.max(a(ai), b(bi))
    val ih = math.min(a(ai + 3), b(bi + 3)) - math.max(a(ai + 1), b(bi + 1))
    if (iw <= 0 || ih <= 0) 0.0
    else {
      val inter = iw.toDouble * ih
      val areaA = (a(ai + 2) - a(ai)).toDouble * (a(ai + 3) - a(ai + 1))
      val areaB = (b(bi + 2) - b(bi)).toDouble * (b(bi + 3) - b(bi + 1))
      inter / (areaA + areaB - inter)
    }
  }

  /** Priors (cx, cy, w, h) as corner boxes. */
  def corners(centres: Array[Float]): Array[Float] = {
    val out = new Array[Float](centres.length)
    var k = 0
    while (k < centres.length) {
      out(k) = centres(k) - centres(k + 2) / 2; out(k + 1) = centres(k + 1) - centres(k + 3) / 2
      out(k + 2) = centres(k) + centres(k + 2) / 2; out(k + 3) = centres(k + 1) + centres(k + 3) / 2
      k += 4
    }
    out
  }

  /** The offsets (dx, dy, dw, dh) of corner box b (at bi) against prior p (centre form, at pi), into out(oi..). */
  def encode(b: Array[Float], bi: Int, p: Array[Float], pi: Int, out: Array[Float], oi: Int): Unit = {
    val (v0, v1) = Variances
    val (w, h) = (math.max(b(bi + 2) - b(bi), 1e-6f).toDouble, math.max(b(bi + 3) - b(bi + 1), 1e-6f).toDouble)
    val (cx, cy) = ((b(bi) + b(bi + 2)) / 2.0, (b(bi + 1) + b(bi + 3)) / 2.0)
    out(oi) = ((cx - p(pi)) / (p(pi + 2) * v0)).toFloat
    out(oi + 1) = ((cy - p(pi + 1)) / (p(pi + 3) * v0)).toFloat
    out(oi + 2) = (math.log(w / p(pi + 2)) / v1).toFloat
    out(oi + 3) = (math.log(h / p(pi + 3)) / v1).toFloat
  }

  /** The corner box that offsets d (at di) give against prior p (centre form, at pi), into out(oi..). */
  def decode(d: Array[Float], di: Int, p: Array[Float], pi: Int, out: Array[Float], oi: Int): Unit = {
    val (v0, v1) = Variances
    val cx = p(pi) + d(di) * v0 * p(pi + 2)
    val cy = p(pi + 1) + d(di + 1) * v0 * p(pi + 3)
    val w = p(pi + 2) * math.exp(math.min(d(di + 2) * v1, 10.0))
    val h = p(pi + 3) * math.exp(math.min(d(di + 3) * v1, 10.0))
    out(oi) = (cx - w / 2).toFloat; out(oi + 1) = (cy - h / 2).toFloat
    out(oi + 2) = (cx + w / 2).toFloat; out(oi + 3) = (cy + h / 2).toFloat
  }

  /**
   * Ground-truth objects of image n from a [batch, maxObjects, 5] target of rows (label, x1, y1, x2, y2):
   * (labels, corner boxes); rows with a negative label are padding.
   */
  def objects(owner: String, t: Array[Float], n: Int, maxObjects: Int): (Array[Int], Array[Float]) = {
    val rows = (0 until maxObjects).filter(m => t((n * maxObjects + m) * 5) >= 0)
    val labels = rows.map(m => t((n * maxObjects + m) * 5).toInt).toArray
    val boxes = rows.flatMap(m => (1 to 4).map(k => t((n * maxObjects + m) * 5 + k))).toArray
    for (i <- labels.indices) require(boxes(4 * i + 2) > boxes(4 * i) && boxes(4 * i + 3) > boxes(4 * i + 1),
      s"$owner: image $n has an object with an empty box (${boxes.slice(4 * i, 4 * i + 4).mkString(", ")}); " +
        "boxes are (label, x1, y1, x2, y2) with x2 > x1 and y2 > y1")
    (labels, boxes)
  }
}
