package ember.nn

import java.util.Random

import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

/** Criterion values against direct formulas, and label/shape errors. */
class CriterionSuite extends AnyFunSuite {
  private val rng = new Random(9)
  private val x = Tensor.normal(rng, 0f, 1f, 4, 5)
  private val t = Tensor.fromArray(Array(0f, 4f, 2f, 2f), 4)

  private def logSoftMax(r: Int): Seq[Double] = {
    val v = (0 until 5).map(x(r, _).toDouble); val lse = math.log(v.map(math.exp).sum); v.map(_ - lse)
  }

  test("ClassNLLCriterion: mean of -x[i, label], weighted mean with weights, sum without sizeAverage") {
    val labels = Seq(0, 4, 2, 2)
    assert(math.abs(new ClassNLLCriterion().forward(x, t) - labels.indices.map(i => -x(i, labels(i))).sum / 4) < 1e-6)
    val w = Array(1f, 2f, 3f, 4f, 5f)
    val ref = -labels.indices.map(i => w(labels(i)) * x(i, labels(i))).sum / labels.map(w(_)).sum
    assert(math.abs(new ClassNLLCriterion(w).forward(x, t) - ref) < 1e-6)
    assert(math.abs(new ClassNLLCriterion(null, false).forward(x, t) - labels.indices.map(i => -x(i, labels(i))).sum) < 1e-5)
    assert(new ClassNLLCriterion().forward(x, t.view(4, 1)) == new ClassNLLCriterion().forward(x, t))
  }

  test("CrossEntropyCriterion equals LogSoftMax + ClassNLL") {
    val ref = -Seq(0, 4, 2, 2).zipWithIndex.map { case (l, i) => logSoftMax(i)(l) }.sum / 4
    assert(math.abs(new CrossEntropyCriterion().forward(x, t) - ref) < 1e-5)
    // gradient: (softmax - onehot) / batch
    val g = new CrossEntropyCriterion().backward(x, t)
    assert(math.abs(g(1, 4) - (math.exp(logSoftMax(1)(4)) - 1) / 4) < 1e-6)
    assert(math.abs(g(1, 0) - math.exp(logSoftMax(1)(0)) / 4) < 1e-6)
  }

  test("MSECriterion and BCECriterion match their formulas") {
    val y = Tensor.normal(rng, 0f, 1f, 4, 5)
    val d = x.toArray.zip(y.toArray).map { case (a, b) => (a - b).toDouble }
    assert(math.abs(new MSECriterion().forward(x, y) - d.map(v => v * v).sum / 20) < 1e-5)
    assert(math.abs(new MSECriterion(false).forward(x, y) - d.map(v => v * v).sum) < 1e-4)
    val p = Tensor.uniform(rng, 0.05f, 0.95f, 4, 5)
    val q = Tensor.uniform(rng, 0f, 1f, 4, 5)
    val bce = p.toArray.zip(q.toArray).map { case (a, b) => -(b * math.log(a) + (1 - b) * math.log(1 - a)) }
    assert(math.abs(new BCECriterion().forward(p, q) - bce.sum / 20) < 1e-5)
    val w = Array(1f, 2f, 3f, 4f, 5f) // one weight per element of a sample, repeated over the batch
    assert(math.abs(new BCECriterion(w, false).forward(p, q) - bce.zipWithIndex.map { case (v, i) => v * w(i % 5) }.sum) < 1e-3)
  }

  test("a label outside [0, nClasses) or not an integer is an IllegalArgumentException naming it") {
    val bad = Tensor.fromArray(Array(0f, 1f, 2f, 10f), 4)
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion().forward(Tensor(4, 10), bad)).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: label 10 at index 3 is outside [0, 10)")
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion().backward(Tensor(4, 10), bad)).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: label 10 at index 3 is outside [0, 10)")
    val negative = Tensor.fromArray(Array(-1f, 1f), 2)
    assert(intercept[IllegalArgumentException](new CrossEntropyCriterion().forward(Tensor(2, 3), negative)).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: label -1 at index 0 is outside [0, 3)")
    val fractional = Tensor.fromArray(Array(0f, 1.5f), 2)
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion().forward(Tensor(2, 3), fractional)).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: label 1.5 at index 1 is not an integer class index")
    val nan = Tensor.fromArray(Array(Float.NaN, 1f), 2)
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion().forward(Tensor(2, 3), nan)).getMessage.contains("label NaN at index 0"))
  }

  test("wrong target and input shapes are rejected with both shapes") {
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion().forward(Tensor(4, 5), Tensor(3))).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: expected a target of 4 class indices (shape [4] or [4, 1]) for input [4, 5], got [3]")
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion().forward(Tensor(2, 4, 5), Tensor(2))).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: expected input of shape [batch, nClasses] or [nClasses], got [2, 4, 5]")
    assert(intercept[IllegalArgumentException](new ClassNLLCriterion(Array(1f, 2f)).forward(Tensor(2, 3), Tensor(2))).getMessage.stripPrefix("requirement failed: ") ==
      "ClassNLLCriterion: weights has 2 entries but the input has 3 classes")
    assert(intercept[IllegalArgumentException](new MSECriterion().forward(Tensor(2, 3), Tensor(3, 3))).getMessage.stripPrefix("requirement failed: ") ==
      "MSECriterion: target of shape [3, 3] does not match input of shape [2, 3]")
    assert(intercept[IllegalArgumentException](new BCECriterion(Array(1f, 2f)).forward(Tensor(2, 3), Tensor(2, 3))).getMessage.stripPrefix("requirement failed: ") ==
      "BCECriterion: 2 weights fit neither the input [2, 3] nor one sample of it")
  }

  test("pointwise criterions reject a transposed target naming both shapes; size-1 dimensions aside") {
    val x = Tensor.fromArray(Array(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f), 2, 3)
    val signs = Tensor.fromArray(Array(1f, -1f, 1f, -1f, 1f, -1f), 3, 2)
    val crits: Seq[(Criterion, Tensor)] = Seq(new MSECriterion() -> x.t().contiguous(), new AbsCriterion() -> x.t().contiguous(),
      new BCECriterion() -> x.t().contiguous(), new SmoothL1Criterion() -> x.t().contiguous(),
      new SoftMarginCriterion() -> signs, new MarginCriterion() -> signs, new HingeEmbeddingCriterion() -> signs,
      new PoissonCriterion() -> x.t().contiguous(), new DistKLDivCriterion() -> x.t().contiguous())
    for ((c, t) <- crits) {
      val msg = intercept[IllegalArgumentException](c.forward(x, t)).getMessage
      assert(msg.contains("target of shape [3, 2] does not match input of shape [2, 3]"), s"$c: $msg")
    }
    val col = Tensor.fromArray(Array(1f, 2f, 3f), 3, 1)
    assert(new MSECriterion().forward(col, Tensor.fromArray(Array(1f, 2f, 5f), 3)) == 4f / 3)
  }
}
