package ember.data

import ember.tensor.{Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

class LocalDataSetSuite extends AnyFunSuite {
  // 5 samples of shape [2, 3]: sample i holds i*10 + j
  private val feats = Array.tabulate(5 * 6)(k => (k / 6 * 10 + k % 6).toFloat)
  private val labels = Array(0f, 1f, 2f, 0f, 1f)

  test("batches gather rows in the permutation order, with a smaller last batch") {
    val ds = LocalDataSet.fromArrays(feats, Array(2, 3), labels)
    assert(ds.size == 5 && ds.batchesPerEpoch(2) == 3)
    val order = ds.permutation(1, 42L)
    val batches = ds.batches(2, 1, 42L).toSeq
    assert(batches.map(_.size) == Seq(2, 2, 1))
    val seen = batches.flatMap { b =>
      val x = b.input.toTensor
      assert(x.shape.toSeq == Seq(b.size, 2, 3) && b.target.toTensor.shape.toSeq == Seq(b.size))
      (0 until b.size).map { r =>
        val i = (x(r, 0, 0) / 10).toInt
        assert(x(r, 1, 2) == i * 10 + 5 && b.target.toTensor(r) == labels(i))
        i
      }
    }
    assert(seen == order.toSeq && seen.sorted == (0 until 5))
  }

  test("the epoch order depends only on (seed, epoch); shuffle = false keeps the data order") {
    val ds = LocalDataSet.fromArrays(Array.tabulate(200)(_.toFloat), Array(1), Array.fill(200)(0f))
    assert(ds.permutation(3, 7L).toSeq == ds.permutation(3, 7L).toSeq)
    assert(ds.permutation(3, 7L).toSeq != ds.permutation(4, 7L).toSeq)
    assert(ds.permutation(3, 7L).toSeq != ds.permutation(3, 8L).toSeq)
    assert(ds.permutation(3, 7L, shuffle = false).toSeq == (0 until 200))
  }

  test("samples, multi-feature samples (a Table input) and MiniBatch.slice") {
    val samples = (0 until 4).map(i => Sample(Array(Tensor.fromArray(Array(i.toFloat, i + 0.5f), 2), Tensor.fromArray(Array(-i.toFloat), 1)),
      Tensor.fromArray(Array(i.toFloat), 1)))
    val ds = LocalDataSet(samples)
    val b = ds.batch(Array(3, 1, 0, 2), 0, 4)
    val in = b.input.asInstanceOf[Table]
    assert(in(0).toTensor.shape.toSeq == Seq(4, 2) && in(1).toTensor.shape.toSeq == Seq(4, 1))
    assert(in(0).toTensor(0, 1) == 3.5f && in(1).toTensor(1, 0) == -1f && b.target.toTensor.shape.toSeq == Seq(4, 1))
    val s = b.slice(1, 2)
    assert(s.size == 2 && s.input.asInstanceOf[Table](0).toTensor(0, 0) == 1f && s.target.toTensor(1, 0) == 0f)
    assert(ds.sample(2).feature(1)(0) == -2f)
  }

  test("clear errors: empty data, inconsistent shapes, NaN naming the sample, label count") {
    assert(intercept[IllegalArgumentException](LocalDataSet(Seq.empty)).getMessage.contains("empty data"))
    assert(intercept[IllegalArgumentException](LocalDataSet.fromArrays(Array.empty, Array(3), Array.empty)).getMessage.contains("empty data"))
    val bad = Seq(Sample(Tensor(2, 2), 0f), Sample(Tensor(2, 2), 1f), Sample(Tensor(4), 1f))
    val e = intercept[IllegalArgumentException](LocalDataSet(bad))
    assert(e.getMessage.contains("sample 2 has feature 0 of shape [4] but sample 0 has [2, 2]"))
    val nan = feats.clone(); nan(3 * 6 + 4) = Float.NaN
    val e2 = intercept[IllegalArgumentException](LocalDataSet.fromArrays(nan, Array(2, 3), labels))
    assert(e2.getMessage.contains("feature of sample 3 contains NaN"))
    val e3 = intercept[IllegalArgumentException](LocalDataSet.fromArrays(feats, Array(2, 3), Array(0f, 1f)))
    assert(e3.getMessage.contains("2 label values for 5 samples"))
    val e4 = intercept[IllegalArgumentException](LocalDataSet(Seq(Sample(Tensor(2), Float.PositiveInfinity))))
    assert(e4.getMessage.contains("label of sample 0 contains Infinity"))
  }

  test("Sample is Serializable (it ships in RDDs)") {
    val s = Sample(Tensor.fromArray(Array(1f, 2f, 3f), 3), 2f)
    val bytes = new java.io.ByteArrayOutputStream()
    new java.io.ObjectOutputStream(bytes).writeObject(s)
    val back = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray)).readObject().asInstanceOf[Sample]
    assert(back.feature().toArray.toSeq == Seq(1f, 2f, 3f) && back.label.value() == 2f && back.labelShape.isEmpty)
  }
}
