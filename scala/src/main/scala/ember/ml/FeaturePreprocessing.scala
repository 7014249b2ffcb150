package ember.ml

import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.types.StructType

/**
 * The feature preprocessing of an estimator and its model (BigDL's `featurePreprocessing`): a chain of
 * [[ColumnStage]]s run from the features column into a temporary column, which the network reads and which
 * is dropped from the output. Saved with the stage under `preprocessing/<i>`.
 */
final class FeaturePreprocessing(val stages: Array[ColumnStage]) extends Serializable {
  def isEmpty: Boolean = stages.isEmpty

  private def chain(featuresCol: String): Array[ColumnStage] = stages.zipWithIndex.map { case (s, i) =>
    s.copy(ParamMap.empty).setInputCol(if (i == 0) featuresCol else FeaturePreprocessing.column)
      .setOutputCol(FeaturePreprocessing.column)
  }

  /** The column the network reads after preprocessing `featuresCol`. */
  def column(featuresCol: String): String = if (isEmpty) featuresCol else FeaturePreprocessing.column

  def transformSchema(schema: StructType, featuresCol: String): StructType =
    chain(featuresCol).foldLeft(schema)((s, st) => st.transformSchema(s))

  def apply(df: DataFrame, featuresCol: String): DataFrame = chain(featuresCol).foldLeft(df)((d, st) => st.transform(d))

  def save(fs: FileSystem, dir: Path, spark: org.apache.spark.sql.SparkSession): Unit = stages.zipWithIndex.foreach {
    case (s, i) => s.write.session(spark).save(new Path(dir, s"preprocessing/$i").toString)
  }
}

object FeaturePreprocessing {
  /** The temporary column of the preprocessed features. */
  val column = "__ember_features"

  val none = new FeaturePreprocessing(Array.empty)

  /** The chain saved under `dir/preprocessing` (none if absent). */
  def load(fs: FileSystem, dir: Path): FeaturePreprocessing = {
    val base = new Path(dir, "preprocessing")
    if (!fs.exists(base)) return none
    val n = fs.listStatus(base).length
    new FeaturePreprocessing(Array.tabulate(n) { i =>
      new EmberReader(classOf[ColumnStage]).load(new Path(base, i.toString).toString)
    })
  }
}
