package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * SSD's multibox loss (Liu et al. 2016; BigDL's `MultiBoxLoss`) over the priors of a [[PriorBox]].
 *
 * Input: a table (locations [batch, priors, 4] encoded offsets, scores [batch, priors, classes + 1] raw
 * logits, column 0 the background). Target: [batch, maxObjects, 5] rows (label, x1, y1, x2, y2), labels
 * 0-based object classes (score column label + 1), coordinates in [0, 1], rows with label -1 padding.
 *
 * Per image: (1) matching: each object takes the prior it overlaps most, then every other prior whose best
 * IoU with an object is >= `overlapThreshold` takes that object; (2) the matched priors' offsets against
 * their object (see [[PriorBox]]) are the location targets, SmoothL1 summed over the 4 values; (3) the
 * softmax cross-entropy of every prior against its class (background when unmatched) is computed, and hard
 * negative mining keeps only the `negPosRatio` * matches (at least `negPosRatio`) unmatched priors with the
 * highest background loss; (4) the loss is (location loss + cross-entropy of matched and kept priors)
 * divided by the batch's number of matched priors (at least 1).
 */
class MultiBoxCriterion(val featureMapSizes: Array[Int], val sizes: Array[Float], val aspectRatios: Array[Float],
    val numClasses: Int, val overlapThreshold: Double, val negPosRatio: Double) extends Criterion {
  require(numClasses >= 1, s"MultiBoxCriterion: numClasses must be >= 1, got $numClasses")
  require(overlapThreshold > 0 && overlapThreshold <= 1, s"MultiBoxCriterion: overlapThreshold must be in (0, 1], got $overlapThreshold")
  require(negPosRatio >= 0, s"MultiBoxCriterion: negPosRatio must be >= 0, got $negPosRatio")

  def this(featureMapSizes: Array[Int], sizes: Array[Float], aspectRatios: Array[Float], numClasses: Int) =
    this(featureMapSizes, sizes, aspectRatios, numClasses, 0.5, 3.0)

  private val name = "MultiBoxCriterion"
  val priorBox: PriorBox = PriorBox(featureMapSizes, sizes, aspectRatios)
  private lazy val priorCorners = BoxUtils.corners(priorBox.centres)

  /** The matched object of each prior of image n (-1: background), and the objects' labels and boxes, of a flat
   * [batch, maxObjects, 5] target. */
  def matchPriors(t: Array[Float], n: Int, maxObjects: Int): (Array[Int], Array[Int], Array[Float]) = {
    val (labels, boxes) = BoxUtils.objects(name, t, n, maxObjects)
    val p = priorBox.count
    val matched = Array.fill(p)(-1)
    val bestIou = new Array[Double](p)
    for (k <- 0 until p; o <- labels.indices) {
      val v = BoxUtils.iou(priorCorners, 4 * k, boxes, 4 * o)
      if (v > bestIou(k)) { bestIou(k) = v; if (v >= overlapThreshold) matched(k) = o }
    }
    for (o <- labels.indices) { // every object gets its best prior, even below the threshold
      val best = (0 until p).maxBy(k => BoxUtils.iou(priorCorners, 4 * k, boxes, 4 * o))
      matched(best) = o
    }
    (matched, labels, boxes)
  }

  private def read(input: Activity, target: Activity): (Tensor, Tensor, Tensor) = {
    val (loc, conf) = Targets.pair(name, input)
    val p = priorBox.count
    require(loc.dim == 3 && loc.size(1) == p && loc.size(2) == 4,
      s"$name: expected locations [batch, $p, 4] for ${p} priors, got ${loc.shapeString}")
    require(conf.dim == 3 && conf.size(0) == loc.size(0) && conf.size(1) == p && conf.size(2) == numClasses + 1,
      s"$name: expected scores [${loc.size(0)}, $p, ${numClasses + 1}] (background + $numClasses classes), got ${conf.shapeString}")
    val t = Targets.tensor(name, target)
    require(t.dim == 3 && t.size(0) == loc.size(0) && t.size(2) == 5,
      s"$name: expected the target as [batch, maxObjects, 5] rows (label, x1, y1, x2, y2), got ${t.shapeString}")
    (loc.contiguous(), conf.contiguous(), t.contiguous())
  }

  /** The loss and, when `grad`, its gradients (locations, scores). */
  private def compute(input: Activity, target: Activity, grad: Boolean): (Double, Array[Float], Array[Float]) = {
    val (loc, conf, t) = read(input, target)
    val (batch, p, c) = (loc.size(0), priorBox.count, numClasses + 1)
    val (l, s, ta) = (loc.toArray, conf.toArray, t.toArray)
    val (gl, gs) = (if (grad) new Array[Float](l.length) else null, if (grad) new Array[Float](s.length) else null)
    val encoded = new Array[Float](4)
    val perImage = (0 until batch).map { n =>
      val (matched, labels, boxes) = matchPriors(ta, n, t.size(1))
      // per-prior softmax (log-sum-exp) and the cross-entropy against its class
      val lse = Array.tabulate(p) { k =>
        val off = (n * p + k) * c
        val m = (0 until c).map(j => s(off + j).toDouble).max
        m + math.log((0 until c).map(j => math.exp(s(off + j) - m)).sum)
      }
      def cls(k: Int) = if (matched(k) >= 0) labels(matched(k)) + 1 else 0
      def ce(k: Int) = lse(k) - s((n * p + k) * c + cls(k))
      val positives = (0 until p).filter(matched(_) >= 0)
      val keepNeg = math.round(negPosRatio * math.max(positives.size, 1)).toInt
      val negatives = (0 until p).filter(matched(_) < 0).sortBy(k => -ce(k)).take(keepNeg)
      (n, matched, boxes, lse, positives, negatives, (k: Int) => cls(k), (k: Int) => ce(k))
    }
    val norm = math.max(perImage.map(_._5.size).sum, 1).toDouble
    var total = 0.0
    for ((n, matched, boxes, lse, positives, negatives, cls, ce) <- perImage) {
      for (k <- positives) {
        BoxUtils.encode(boxes, 4 * matched(k), priorBox.centres, 4 * k, encoded, 0)
        for (j <- 0 until 4) {
          val d = l((n * p + k) * 4 + j).toDouble - encoded(j)
          total += (if (math.abs(d) < 1) 0.5 * d * d else math.abs(d) - 0.5)
          if (grad) gl((n * p + k) * 4 + j) = ((if (math.abs(d) < 1) d else math.signum(d)) / norm).toFloat
        }
      }
      for (k <- positives ++ negatives) {
        total += ce(k)
        if (grad) for (j <- 0 until c) {
          val off = (n * p + k) * c + j
          gs(off) = ((math.exp(s(off) - lse(k)) - (if (j == cls(k)) 1 else 0)) / norm).toFloat
        }
      }
    }
    (total / norm, gl, gs)
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    output = compute(input, target, grad = false)._1.toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    val (_, gl, gs) = compute(input, target, grad = true)
    val (loc, conf) = Targets.pair(name, input)
    gradInput = Table(Tensor.fromArray(gl, loc.shape), Tensor.fromArray(gs, conf.shape))
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("featureMapSizes" -> featureMapSizes, "sizes" -> sizes,
    "aspectRatios" -> aspectRatios, "numClasses" -> numClasses, "overlapThreshold" -> overlapThreshold,
    "negPosRatio" -> negPosRatio)

  override def configDefaults: Seq[(String, Any)] = Seq("overlapThreshold" -> 0.5, "negPosRatio" -> 3.0)
}
