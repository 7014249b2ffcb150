package ember.python

import java.nio.{ByteBuffer, ByteOrder}

import org.apache.spark.ml.linalg.Vectors
import org.apache.spark.sql.SparkSession
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

class RddApiSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var spark: SparkSession = _

  override def beforeAll(): Unit =
    spark = SparkSession.builder().master("local[2]").appName("RddApiSuite").config("spark.ui.enabled", "false").getOrCreate()

  override def afterAll(): Unit = if (spark != null) spark.stop()

  /** A record as `_convert.pack_samples` writes it: header ints then float data. */
  private def record(header: Seq[Int], data: Seq[Float]): Array[Byte] = {
    val buf = ByteBuffer.allocate(4 * (header.length + data.length)).order(ByteOrder.LITTLE_ENDIAN)
    header.foreach(buf.putInt); data.foreach(buf.putFloat)
    buf.array()
  }

  test("samplesFromRecord decodes features and labels sample by sample") {
    // 2 samples, 1 feature of shape [2, 1], scalar label ([])
    val r = record(Seq(Convert.SampleRecordMagic, 2, 1, 2, 2, 1, 0), Seq(1f, 2f, 3f, 4f, 7f, 8f))
    val s = Convert.samplesFromRecord(r)
    assert(s.length == 2)
    assert(s(0).feature().shape.sameElements(Array(2, 1)) && s(0).feature().toArray.sameElements(Array(1f, 2f)))
    assert(s(1).feature().toArray.sameElements(Array(3f, 4f)))
    assert(s(0).label.toArray.sameElements(Array(7f)) && s(0).labelShape.isEmpty && s(1).label.toArray.sameElements(Array(8f)))
  }

  test("samplesFromRecord: several features, array labels, no label") {
    val two = Convert.samplesFromRecord(record(Seq(Convert.SampleRecordMagic, 1, 2, 1, 2, 1, 1, 1, 2),
      Seq(1f, 2f, 3f, 5f, 6f)))
    assert(two(0).numFeatures == 2 && two(0).feature(1).toArray.sameElements(Array(3f)) &&
      two(0).label.toArray.sameElements(Array(5f, 6f)))
    val none = Convert.samplesFromRecord(record(Seq(Convert.SampleRecordMagic, 1, 1, 1, 3, -1), Seq(1f, 2f, 3f)))
    assert(none(0).label.nElement == 0 && none(0).feature().toArray.sameElements(Array(1f, 2f, 3f)))
  }

  test("samplesFromRecord rejects bytes that are not a whole record") {
    val bad = intercept[IllegalArgumentException](Convert.samplesFromRecord(record(Seq(42, 1, 1, 1, 1, 0), Seq(1f, 2f))))
    assert(bad.getMessage.contains("bad magic"))
    val short = intercept[IllegalArgumentException](
      Convert.samplesFromRecord(record(Seq(Convert.SampleRecordMagic, 2, 1, 1, 3, 0), Seq(1f, 2f, 3f))))
    assert(short.getMessage.contains("expected 32"))
  }

  test("fromDataFrame reads ML vector and array columns, reshaping features") {
    val s = spark
    import s.implicits._
    val vec = Seq((Vectors.dense(1, 2, 3, 4), 1.0), (Vectors.sparse(4, Array(2), Array(5.0)), 0.0)).toDF("features", "label")
    val a = RddApi.fromDataFrame(vec, "features", "label", Convert.intBytes(Array(2, 2))).collect()
    assert(a.length == 2 && a(0).feature().shape.sameElements(Array(2, 2)))
    assert(a(0).feature().toArray.sameElements(Array(1f, 2f, 3f, 4f)) && a(1).feature().toArray.sameElements(Array(0f, 0f, 5f, 0f)))
    assert(a(0).label.toArray.sameElements(Array(1f)) && a(0).labelShape.isEmpty)
    val arr = Seq((Seq(Seq(1, 2), Seq(3, 4)), Seq(0.5f, 1.5f))).toDF("x", "y")
    val b = RddApi.fromDataFrame(arr, "x", "y", Convert.intBytes(Array())).collect()
    assert(b(0).feature().shape.sameElements(Array(4)) && b(0).feature().toArray.sameElements(Array(1f, 2f, 3f, 4f)))
    assert(b(0).label.toArray.sameElements(Array(0.5f, 1.5f)))
    val unlabelled = RddApi.fromDataFrame(arr, "x", null, Convert.intBytes(Array())).collect()
    assert(unlabelled(0).label.nElement == 0)
  }

  test("fromDataFrame names the column in its errors") {
    val s = spark
    import s.implicits._
    val df = Seq(("a", 1.0)).toDF("text", "label")
    assert(intercept[IllegalArgumentException](RddApi.fromDataFrame(df, "features", "label", Convert.intBytes(Array())))
      .getMessage.contains("no features column 'features' (columns: text, label)"))
    assert(intercept[IllegalArgumentException](RddApi.fromDataFrame(df, "text", "label", Convert.intBytes(Array())))
      .getMessage.contains("features column 'text' has type string"))
    val wrong = Seq((Seq(1.0, 2.0, 3.0), 0.0)).toDF("features", "label")
    val e = intercept[org.apache.spark.SparkException](
      RddApi.fromDataFrame(wrong, "features", "label", Convert.intBytes(Array(2, 2))).count())
    assert(Iterator.iterate[Throwable](e)(_.getCause).takeWhile(_ != null).exists(_.getMessage.contains("does not fit the feature shape [2, 2]")))
  }
}
