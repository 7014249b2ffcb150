package ember.python

import ember.data.Sample
import ember.nn.Module
import ember.optim.{Predictor, ValidationMethod, ValidationResult}
import org.apache.spark.api.java.JavaRDD
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.types.{ArrayType, DataType, NumericType, UserDefinedType}
import org.apache.spark.storage.StorageLevel

/**
 * Python RDDs and DataFrames in, `RDD[Sample]` out, and distributed inference results back to Python.
 *
 * Python data never crosses py4j sample by sample: a Python RDD is turned inside the Python workers into
 * records of many samples each (raw little-endian float32, `_convert.pack_samples`), which Spark ships to
 * the JVM as `byte[]` on its own serialized partition path; [[toSamples]] decodes them in the tasks with
 * [[Convert.samplesFromRecord]]. DataFrames are read on the JVM alone ([[fromDataFrame]]). Inference
 * results go back as one record per mini-batch ([[Convert.toBytes]], or int32 class indices) for Python to
 * split into per-sample arrays.
 */
object RddApi {

  /** The samples of the records that `_convert.pack_samples` wrote in the Python workers. */
  def toSamples(records: JavaRDD[Array[Byte]]): RDD[Sample] = {
    require(records != null, "toSamples: records must not be null")
    records.rdd.flatMap(r => Convert.samplesFromRecord(r).iterator)
  }

  /**
   * Samples from a DataFrame: `featuresCol` (a Spark ML / MLlib vector column, or an array column of
   * numbers, nested arrays flattened) reshaped to `featureShape` (int32 bytes; empty: flat), and
   * `labelCol` (a number or a vector/array per row; null for no label, as for prediction).
   */
  def fromDataFrame(df: DataFrame, featuresCol: String, labelCol: String, featureShapeBytes: Array[Byte]): RDD[Sample] = {
    require(df != null, "fromDataFrame: the DataFrame must not be null")
    val shape = Convert.intArray(featureShapeBytes)
    require(shape.forall(_ > 0), s"feature_shape must have positive sizes, got ${shape.mkString("[", ", ", "]")}")
    checkColumn(df, featuresCol, "features", labelAllowed = false)
    val hasLabel = labelCol != null
    if (hasLabel) checkColumn(df, labelCol, "label", labelAllowed = true)
    val selected = if (hasLabel) df.select(featuresCol, labelCol) else df.select(featuresCol)
    val (fc, lc) = (featuresCol, labelCol)
    selected.rdd.map { row =>
      if (row.isNullAt(0)) throw new IllegalArgumentException(s"column '$fc' has a null value (drop or impute missing rows)")
      if (hasLabel && row.isNullAt(1)) throw new IllegalArgumentException(s"column '$lc' has a null value (drop unlabelled rows)")
      Convert.sampleFromRow(row.get(0), if (hasLabel) row.get(1) else null, shape)
    }
  }

  private def checkColumn(df: DataFrame, name: String, role: String, labelAllowed: Boolean): Unit = {
    require(name != null && df.columns.contains(name),
      s"the DataFrame has no $role column '$name' (columns: ${df.columns.mkString(", ")})")
    val t = df.schema(name).dataType
    require(numericArray(t) || isVector(t) || (labelAllowed && t.isInstanceOf[NumericType]),
      s"$role column '$name' has type ${t.simpleString}; expected ${if (labelAllowed) "a number, " else ""}" +
        "a vector or an array of numbers")
  }

  private def numericArray(t: DataType): Boolean = t match {
    case ArrayType(e, _) => e.isInstanceOf[NumericType] || numericArray(e)
    case _ => false
  }

  private def isVector(t: DataType): Boolean = t match {
    case u: UserDefinedType[_] =>
      classOf[org.apache.spark.ml.linalg.Vector].isAssignableFrom(u.userClass) ||
        classOf[org.apache.spark.mllib.linalg.Vector].isAssignableFrom(u.userClass)
    case _ => false
  }

  /**
   * Per mini-batch outputs of `model` on `data`, each a [[Convert.toBytes]] record [b, ...]. Computed now
   * and kept (memory, then disk), so that a bad input fails this call, where Ember maps the error to a
   * Python exception, rather than a later pyspark action on the result, where it would not.
   */
  def predict(model: Module, data: RDD[Sample], batchSize: Int): JavaRDD[Array[Byte]] =
    computed(Predictor(model, batchSize).predictBatches(data).map(Convert.toBytes))

  /** Per mini-batch 0-based predicted classes (little-endian int32 per batch), computed now as [[predict]]. */
  def predictClass(model: Module, data: RDD[Sample], batchSize: Int): JavaRDD[Array[Byte]] =
    computed(Predictor(model, batchSize).predictBatches(data).map(t => Convert.intBytes(Predictor.argmax(t))))

  private def computed(records: RDD[Array[Byte]]): JavaRDD[Array[Byte]] = {
    records.setName("ember predictions").persist(StorageLevel.MEMORY_AND_DISK).count()
    records.toJavaRDD()
  }

  /** The results of `methods` over `data`, merged over all partitions. */
  def evaluate(model: Module, data: RDD[Sample], methods: Array[ValidationMethod], batchSize: Int): Array[ValidationResult] =
    Predictor(model, batchSize).evaluate(data, methods)
}
