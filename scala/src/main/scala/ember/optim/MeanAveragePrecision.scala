package ember.optim

import ember.nn.BoxUtils
import ember.tensor.Activity

/**
 * Detection quality as mean average precision (PASCAL VOC's mAP with all-point interpolation; BigDL's
 * `MeanAveragePrecisionObjectDetection`). Output: [batch, K, 6] detections (label, score, x1, y1, x2, y2),
 * label -1 for unused rows (what [[ember.nn.DetectionOutput]] returns). Target: [batch, maxObjects, 5]
 * objects (label, x1, y1, x2, y2), label -1 for padding. Labels 0-based, `numClasses` of them.
 *
 * Per image and class, detections by decreasing score are true positives when their IoU with a not yet
 * matched object of that class is >= `iouThreshold` (the best such object is matched), false positives
 * otherwise. Per class over all images, AP is the area under the precision-recall curve made monotone
 * (precision at recall r = the best precision at recall >= r); mAP is the mean over the classes that have
 * objects. Results of batches merge by concatenating their scored detections, so the figure does not
 * depend on how the data was split.
 */
class MeanAveragePrecision(val numClasses: Int, val iouThreshold: Double) extends ValidationMethod {
  require(numClasses >= 1, s"MeanAveragePrecision: numClasses must be >= 1, got $numClasses")
  require(iouThreshold > 0 && iouThreshold <= 1, s"MeanAveragePrecision: iouThreshold must be in (0, 1], got $iouThreshold")

  def this(numClasses: Int) = this(numClasses, 0.5)

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val (o, t) = (output.toTensor.contiguous(), target.toTensor.contiguous())
    require(o.dim == 3 && o.size(2) == 6, s"$name: expected detections [batch, K, 6], got ${o.shapeString}")
    require(t.dim == 3 && t.size(2) == 5 && t.size(0) == o.size(0),
      s"$name: expected objects [${o.size(0)}, maxObjects, 5] (label, x1, y1, x2, y2), got ${t.shapeString}")
    val (oa, ta, k) = (o.toArray, t.toArray, o.size(1))
    val scored = Array.fill(numClasses)(Vector.newBuilder[(Float, Boolean)])
    val objects = new Array[Long](numClasses)
    for (n <- 0 until o.size(0)) {
      val (labels, boxes) = BoxUtils.objects(name, ta, n, t.size(1))
      for (l <- labels) {
        require(l < numClasses, s"$name: object label $l is not below numClasses = $numClasses")
        objects(l) += 1
      }
      val used = new Array[Boolean](labels.length)
      val rows = (0 until k).filter(r => oa((n * k + r) * 6) >= 0).sortBy(r => -oa((n * k + r) * 6 + 1))
      for (r <- rows) {
        val (label, off) = (oa((n * k + r) * 6).toInt, (n * k + r) * 6 + 2)
        require(label < numClasses, s"$name: detection label $label is not below numClasses = $numClasses")
        val candidates = labels.indices.filter(i => labels(i) == label && !used(i))
        val best = if (candidates.isEmpty) -1 else candidates.maxBy(i => BoxUtils.iou(oa, off, boxes, 4 * i))
        val hit = best >= 0 && BoxUtils.iou(oa, off, boxes, 4 * best) >= iouThreshold
        if (hit) used(best) = true
        scored(label) += ((oa(off - 1), hit))
      }
    }
    MeanAveragePrecisionResult(scored.map(_.result()).toVector, objects.toVector, o.size(0))
  }

  override def toString: String = s"MeanAveragePrecision(numClasses=$numClasses, iouThreshold=$iouThreshold)"
}

/** Scored detections (score, true positive) and object counts per class, over `count` images. */
final case class MeanAveragePrecisionResult(detections: Vector[Vector[(Float, Boolean)]], objects: Vector[Long],
    count: Long) extends ValidationResult {

  /** Average precision of each class (NaN for classes without objects). */
  def perClass: Vector[Double] = detections.zip(objects).map { case (d, nObjects) =>
    if (nObjects == 0) Double.NaN
    else {
      val sorted = d.sortBy(-_._1)
      val tp = sorted.scanLeft(0)((acc, x) => acc + (if (x._2) 1 else 0)).tail
      val precision = tp.zipWithIndex.map { case (hits, i) => hits.toDouble / (i + 1) }
      val recall = tp.map(_.toDouble / nObjects)
      // monotone precision envelope, then the area over the recall steps
      val envelope = precision.scanRight(0.0)(math.max).init
      var (area, previous) = (0.0, 0.0)
      for (i <- recall.indices) { area += (recall(i) - previous) * envelope(i); previous = recall(i) }
      area
    }
  }

  override def result: (Float, Long) = {
    val aps = perClass.filterNot(_.isNaN)
    (if (aps.isEmpty) Float.NaN else (aps.sum / aps.size).toFloat, count)
  }

  override def +(other: ValidationResult): ValidationResult = other match {
    case MeanAveragePrecisionResult(d, o, c) =>
      require(d.size == detections.size, s"cannot add results of ${d.size} and ${detections.size} classes")
      MeanAveragePrecisionResult(detections.zip(d).map { case (a, b) => a ++ b }, objects.zip(o).map { case (a, b) => a + b },
        count + c)
    case o => throw new IllegalArgumentException(s"cannot add ${o.getClass.getSimpleName} to a MeanAveragePrecisionResult")
  }

  override def toString: String = s"MeanAveragePrecision(mAP: $score over $count images, per class: " +
    perClass.map(v => f"$v%.4f").mkString("[", ", ", "]") + ")"
}
