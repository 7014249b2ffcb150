package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * SSD's detection output (BigDL's `DetectionOutputSSD`): turns the head's (locations [batch, priors, 4],
 * scores [batch, priors, classes + 1] logits, column 0 background) into detections. Per image and object
 * class: softmax probabilities, boxes decoded from their priors (see [[PriorBox]]) and clipped to [0, 1],
 * candidates with probability >= `confThreshold` (at most `topKPerClass` best), greedy non-maximum
 * suppression (a box is dropped when its IoU with a kept box of its class exceeds `nmsThreshold`); then the
 * `keepTopK` best detections over all classes.
 *
 * Output: [batch, keepTopK, 6] rows (label, score, x1, y1, x2, y2), labels 0-based object classes, sorted by
 * score; unused rows have label -1 and score 0. This is post-processing for inference: backward returns zero
 * gradients (train the head with [[MultiBoxCriterion]] on the raw outputs).
 */
class DetectionOutput(val featureMapSizes: Array[Int], val sizes: Array[Float], val aspectRatios: Array[Float],
    val numClasses: Int, val confThreshold: Double, val nmsThreshold: Double, val keepTopK: Int, val topKPerClass: Int)
    extends Module {
  require(numClasses >= 1, s"DetectionOutput: numClasses must be >= 1, got $numClasses")
  require(confThreshold >= 0 && confThreshold < 1, s"DetectionOutput: confThreshold must be in [0, 1), got $confThreshold")
  require(nmsThreshold > 0 && nmsThreshold <= 1, s"DetectionOutput: nmsThreshold must be in (0, 1], got $nmsThreshold")
  require(keepTopK > 0 && topKPerClass > 0, s"DetectionOutput: keepTopK and topKPerClass must be > 0, got $keepTopK, $topKPerClass")

  def this(featureMapSizes: Array[Int], sizes: Array[Float], aspectRatios: Array[Float], numClasses: Int) =
    this(featureMapSizes, sizes, aspectRatios, numClasses, 0.01, 0.45, 50, 100)

  private val name = "DetectionOutput"
  val priorBox: PriorBox = PriorBox(featureMapSizes, sizes, aspectRatios)

  override def updateOutput(input: Activity): Activity = {
    val (loc0, conf0) = Targets.pair(name, input)
    val p = priorBox.count
    require(loc0.dim == 3 && loc0.size(1) == p && loc0.size(2) == 4 && conf0.dim == 3 && conf0.size(0) == loc0.size(0) &&
      conf0.size(1) == p && conf0.size(2) == numClasses + 1,
      s"$name: expected locations [batch, $p, 4] and scores [batch, $p, ${numClasses + 1}], got ${loc0.shapeString} and ${conf0.shapeString}")
    val (l, s, batch, c) = (loc0.contiguous().toArray, conf0.contiguous().toArray, loc0.size(0), numClasses + 1)
    val out = new Array[Float](batch * keepTopK * 6)
    for (n <- 0 until batch) {
      val boxes = new Array[Float](p * 4)
      for (k <- 0 until p) {
        BoxUtils.decode(l, (n * p + k) * 4, priorBox.centres, 4 * k, boxes, 4 * k)
        for (j <- 0 until 4) boxes(4 * k + j) = math.min(1f, math.max(0f, boxes(4 * k + j)))
      }
      val probs = Array.tabulate(p) { k =>
        val off = (n * p + k) * c
        val m = (0 until c).map(j => s(off + j)).max
        val e = (0 until c).map(j => math.exp(s(off + j) - m))
        val sum = e.sum
        e.map(v => (v / sum).toFloat).toArray
      }
      val detections = (1 until c).flatMap { j =>
        val candidates = (0 until p).filter(k => probs(k)(j) >= confThreshold).sortBy(k => -probs(k)(j)).take(topKPerClass)
        nms(candidates, boxes).map(k => (j - 1, probs(k)(j), k))
      }.sortBy(-_._2).take(keepTopK)
      for (r <- 0 until keepTopK) {
        val o = (n * keepTopK + r) * 6
        if (r < detections.size) {
          val (label, score, k) = detections(r)
          out(o) = label.toFloat; out(o + 1) = score
          for (j <- 0 until 4) out(o + 2 + j) = boxes(4 * k + j)
        } else out(o) = -1f
      }
    }
    output = Tensor.fromArray(out, batch, keepTopK, 6)
    output
  }

  /** Greedy non-maximum suppression of candidates sorted by decreasing score. */
  private def nms(sorted: Seq[Int], boxes: Array[Float]): Seq[Int] = {
    val kept = scala.collection.mutable.ArrayBuffer.empty[Int]
    for (k <- sorted) if (kept.forall(q => BoxUtils.iou(boxes, 4 * k, boxes, 4 * q) <= nmsThreshold)) kept += k
    kept.toSeq
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (loc, conf) = Targets.pair(name, input)
    gradInput = Table(Tensor(loc.shape: _*), Tensor(conf.shape: _*))
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("featureMapSizes" -> featureMapSizes, "sizes" -> sizes,
    "aspectRatios" -> aspectRatios, "numClasses" -> numClasses, "confThreshold" -> confThreshold,
    "nmsThreshold" -> nmsThreshold, "keepTopK" -> keepTopK, "topKPerClass" -> topKPerClass)

  override def configDefaults: Seq[(String, Any)] =
    Seq("confThreshold" -> 0.01, "nmsThreshold" -> 0.45, "keepTopK" -> 50, "topKPerClass" -> 100)
}
