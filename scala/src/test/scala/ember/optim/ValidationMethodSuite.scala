package ember.optim

import ember.nn.{ClassNLLCriterion, MSECriterion}
import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

class ValidationMethodSuite extends AnyFunSuite {
  // 4 samples, 6 classes; labels 0-based
  private val out = Tensor.fromArray(Array(
    0.9f, 0.1f, 0.0f, 0.0f, 0.0f, 0.0f, // top1 = 0
    0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, // ranks: 5,4,3,2,1,0
    0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, // top1 = 2
    0.6f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f), 4, 6)
  private val labels = Tensor.fromArray(Array(0f, 4f, 1f, 5f), 4)

  test("Top1Accuracy and Top5Accuracy count correct samples") {
    assert(new Top1Accuracy()(out, labels) == AccuracyResult(1, 4))
    // sample 1: label 4 is 2nd; sample 2: label 1 is 3rd (class 2 higher, tie with class 0 goes to 0); sample 3: 6th
    assert(new Top5Accuracy()(out, labels) == AccuracyResult(3, 4))
    assert(new Top1Accuracy()(out.select(0, 0), Tensor.fromArray(Array(0f), 1)) == AccuracyResult(1, 1))
  }

  test("results merge with + across batches and partitions, and are Serializable") {
    val r = AccuracyResult(3, 4) + AccuracyResult(5, 6)
    assert(r == AccuracyResult(8, 10) && r.score == 0.8f && r.count == 10)
    val l = LossResult(2.0, 4) + LossResult(1.0, 1)
    assert(math.abs(l.score - 0.6f) < 1e-7)
    intercept[IllegalArgumentException](AccuracyResult(1, 1) + LossResult(1, 1))
    val bytes = new java.io.ByteArrayOutputStream()
    new java.io.ObjectOutputStream(bytes).writeObject(new Loss(new ClassNLLCriterion()))
    val back = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray)).readObject().asInstanceOf[ValidationMethod]
    val logp = Tensor.fromArray(Array(-0.1f, -2.0f, -3.0f, -0.5f), 2, 2)
    val y = Tensor.fromArray(Array(0f, 1f), 2)
    val res = back(logp, y)
    assert(res.isInstanceOf[LossResult] && res.count == 2 && math.abs(res.score - 0.3f) < 1e-6)
  }

  test("Loss weights batch losses by batch size, so merged results are the mean over samples") {
    val loss = new Loss(new MSECriterion())
    val a = loss(Tensor.fromArray(Array(1f, 2f, 3f), 3, 1), Tensor.fromArray(Array(0f, 0f, 0f), 3, 1)) // mean 14/3
    val b = loss(Tensor.fromArray(Array(4f), 1, 1), Tensor.fromArray(Array(0f), 1, 1))                // 16
    assert(math.abs((a + b).score - 30f / 4) < 1e-5)
    assert(!loss.higherIsBetter && new Top1Accuracy().higherIsBetter && loss.name == "Loss")
  }

  test("a label outside [0, classes) is an error naming the sample") {
    val e = intercept[IllegalArgumentException](new Top1Accuracy()(out, Tensor.fromArray(Array(0f, 6f, 1f, 2f), 4)))
    assert(e.getMessage.contains("label 6.0 of sample 1") && e.getMessage.contains("[0, 6)"))
  }
}
