package ember.optim

import ember.nn.{BoxUtils, DetectionOutput, MultiBoxCriterion, PriorBox}
import ember.tensor.{Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** The detection pieces: prior layout, box encoding, matching, NMS and mAP against hand-computed values. */
class MeanAveragePrecisionSuite extends AnyFunSuite {

  private def det(rows: Seq[Float]*): Tensor = Tensor.fromArray(rows.flatten.toArray, 1, rows.size, 6)
  private def obj(rows: Seq[Float]*): Tensor = Tensor.fromArray(rows.flatten.toArray, 1, rows.size, 5)

  test("AP of one class: hits and misses by score give the VOC all-point area") {
    val objects = obj(Seq(0, 0, 0, 0.4f, 0.4f), Seq(0, 0.5f, 0.5f, 0.9f, 0.9f))
    // 0.9 hits the first object, 0.8 misses (no overlap), 0.7 hits the second: precision 1, 1/2, 2/3 at
    // recall 1/2, 1/2, 1: envelope 1, 2/3, 2/3: AP = 0.5 * 1 + 0.5 * 2/3
    val out = det(Seq(0, 0.9f, 0, 0, 0.4f, 0.4f), Seq(0, 0.8f, 0.6f, 0, 0.7f, 0.2f), Seq(0, 0.7f, 0.5f, 0.5f, 0.9f, 0.9f))
    val r = new MeanAveragePrecision(1).apply(out, objects)
    assert(math.abs(r.score - (0.5 + 0.5 * 2 / 3.0)) < 1e-6, r)
    // a duplicate of an already matched object is a false positive; a wrong class never matches
    val dup = det(Seq(0, 0.9f, 0, 0, 0.4f, 0.4f), Seq(0, 0.8f, 0, 0, 0.4f, 0.4f), Seq(1, 0.7f, 0.5f, 0.5f, 0.9f, 0.9f), Seq(-1, 0, 0, 0, 0, 0))
    val r2 = new MeanAveragePrecision(2).apply(dup, objects).asInstanceOf[MeanAveragePrecisionResult]
    assert(math.abs(r2.perClass(0) - 0.5) < 1e-6 && r2.perClass(1).isNaN && math.abs(r2.score - 0.5) < 1e-6, r2)
  }

  test("results merged over batches equal the result of one batch") {
    val a = det(Seq(0, 0.6f, 0, 0, 0.5f, 0.5f), Seq(0, 0.9f, 0.5f, 0.5f, 1, 1))
    val b = det(Seq(0, 0.8f, 0.1f, 0.1f, 0.3f, 0.3f), Seq(-1, 0, 0, 0, 0, 0))
    val (oa, ob) = (obj(Seq(0, 0, 0, 0.5f, 0.5f)), obj(Seq(0, 0.6f, 0.6f, 0.9f, 0.9f)))
    val m = new MeanAveragePrecision(1)
    val merged = (m(a, oa) + m(b, ob)).score
    val whole = m(Tensor.fromArray(a.toArray ++ b.toArray, 2, 2, 6), Tensor.fromArray(oa.toArray ++ ob.toArray, 2, 1, 5)).score
    assert(merged == whole)
    // by score: 0.9 miss, 0.8 miss, 0.6 hit of 2 objects: precision 1/3 at recall 1/2
    assert(math.abs(whole - 0.5 / 3) < 1e-6, whole)
  }

  test("priors follow map, row, column, size, ratio order; encode and decode are inverse") {
    val pb = PriorBox(Array(2, 1), Array(0.5f), Array(1f, 4f))
    assert(pb.count == (4 + 1) * 2)
    val c = pb.centres
    assert(c.slice(0, 4).toSeq == Seq(0.25f, 0.25f, 0.5f, 0.5f))
    assert(c.slice(4, 8).toSeq == Seq(0.25f, 0.25f, 1f, 0.25f))
    assert(c.slice(8, 10).toSeq == Seq(0.75f, 0.25f)) // next column
    assert(c.slice(32, 36).toSeq == Seq(0.5f, 0.5f, 0.5f, 0.5f)) // the 1x1 map, after 2 * 2 cells * 2 priors
    val box = Array(0.1f, 0.2f, 0.45f, 0.3f)
    val (enc, back) = (new Array[Float](4), new Array[Float](4))
    BoxUtils.encode(box, 0, c, 4, enc, 0)
    BoxUtils.decode(enc, 0, c, 4, back, 0)
    for (k <- 0 until 4) assert(math.abs(back(k) - box(k)) < 1e-6)
  }

  test("DetectionOutput suppresses overlapping boxes of a class and keeps other classes") {
    // one 1x1 map, two sizes: priors 0.5 and 0.6 wide at the centre (IoU 0.69); class 0 likes both, class 1 the second
    val d = new DetectionOutput(Array(1), Array(0.5f, 0.6f), Array(1f), 2, 0.1, 0.45, 5, 10)
    val loc = Tensor(1, 2, 4)
    val conf = Tensor.fromArray(Array(0f, 4f, 0f, 0f, 3f, 3f), 1, 2, 3)
    val out = d.forward(Table(loc, conf)).toTensor.toArray.grouped(6).toSeq
    val kept = out.filter(_(0) >= 0)
    // class 0: 0.93 (prior 0) and 0.48 (prior 1, suppressed: IoU 0.69); class 1: 0.48 (prior 1); 0.02 is below 0.1
    assert(kept.map(_(0).toInt) == Seq(0, 1), out.map(_.mkString(",")))
    assert(math.abs(kept(0)(1) - math.exp(4) / (math.exp(4) + 2)) < 1e-5)
    assert(math.abs(kept(1)(1) - math.exp(3) / (1 + 2 * math.exp(3))) < 1e-5)
    assert(kept(0).drop(2).toSeq == Seq(0.25f, 0.25f, 0.75f, 0.75f))
  }

  test("MultiBoxCriterion matches each object to its best prior and scores uniform logits as log(classes + 1)") {
    val crit = new MultiBoxCriterion(Array(2), Array(0.5f), Array(1f), 3, 0.5, 3.0)
    val target = Tensor.fromArray(Array(2f, 0f, 0f, 0.5f, 0.5f), 1, 1, 5) // exactly the top-left prior
    val (matched, _, _) = crit.matchPriors(target.toArray, 0, 1)
    assert(matched.toSeq == Seq(0, -1, -1, -1))
    // one positive (offsets 0, location loss 0) and 3 negatives, each with cross-entropy log 4, over 1 match
    val loss = crit.forward(Table(Tensor(1, 4, 4), Tensor(1, 4, 4)), target)
    assert(math.abs(loss - 4 * math.log(4)) < 1e-5, loss)
  }
}
