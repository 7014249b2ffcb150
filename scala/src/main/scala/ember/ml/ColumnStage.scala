package ember.ml

import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param.{Param, ParamMap, Params}
import org.apache.spark.ml.util.{MLReadable, MLReader, MLWritable, MLWriter}
import org.apache.spark.sql.{DataFrame, Dataset, Encoders, Row}
import org.apache.spark.sql.types.{DataType, StructField, StructType}

/** A stage Ember saves itself ([[StageIO]]): params in Spark's metadata layout plus the stage's own files. */
trait EmberWritable extends MLWritable { self: Params =>

  /** Params left out of the saved metadata (stored as files instead). */
  protected def paramsStoredAsFiles: Set[String] = Set.empty

  /** Writes the stage's own files into `dir` (the temporary directory of an atomic save). */
  protected def saveFiles(fs: FileSystem, dir: Path): Unit = ()

  /** Reads the files [[saveFiles]] wrote (called on a freshly loaded stage). */
  private[ml] def loadFiles(fs: FileSystem, dir: Path): Unit = ()

  override def write: MLWriter = new MLWriter {
    override protected def saveImpl(path: String): Unit =
      StageIO.save(self, path, sparkSession, paramsStoredAsFiles)((fs, dir) => saveFiles(fs, dir))
  }
}

/** The reader of an [[EmberWritable]] stage of class `cls`. */
class EmberReader[T <: Params with EmberWritable](cls: Class[T]) extends MLReader[T] {
  override def load(path: String): T = StageIO.load(path, cls, sparkSession)((fs, dir, stage) => stage.loadFiles(fs, dir))
}

/**
 * A Transformer computing one column from another, row by row on the executors: the base of the
 * preprocessing stages. `outputCol` empty (the default) replaces the input column in place; otherwise the
 * output is appended (or replaces a column of that name). Every other column and every row is kept.
 */
abstract class ColumnStage(override val uid: String) extends Transformer with EmberWritable {
  final val inputCol = new Param[String](this, "inputCol", "input column name")
  final val outputCol = new Param[String](this, "outputCol", "output column name (empty: replace the input column)")
  setDefault(outputCol -> "")

  def setInputCol(value: String): this.type = set(inputCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def getInputCol: String = $(inputCol)
  def getOutputCol: String = $(outputCol)

  /** The output column's type for an input column of type `in` (or an error naming column `name`). */
  protected def outputType(name: String, in: DataType): DataType

  /** The function applied to each input value (built once per partition, e.g. with its own random generator). */
  protected def rowFunction(partition: Int): Any => Any

  private def target: String = if ($(outputCol).isEmpty) $(inputCol) else $(outputCol)

  override def transformSchema(schema: StructType): StructType = {
    require(isDefined(inputCol), s"${getClass.getSimpleName}: set inputCol")
    require(schema.fieldNames.contains($(inputCol)),
      s"${getClass.getSimpleName}: the DataFrame has no column '${$(inputCol)}' (columns: ${schema.fieldNames.mkString(", ")})")
    val field = StructField(target, outputType($(inputCol), schema($(inputCol)).dataType), nullable = false)
    if (schema.fieldNames.contains(target)) StructType(schema.fields.map(f => if (f.name == target) field else f))
    else schema.add(field)
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val df = dataset.toDF()
    val outSchema = transformSchema(df.schema, logging = true)
    val in = df.schema.fieldIndex($(inputCol))
    val out = outSchema.fieldIndex(target)
    val appended = out == df.schema.length
    val (name, stage) = ($(inputCol), this.copy(ParamMap.empty).asInstanceOf[ColumnStage])
    df.mapPartitions { rows =>
      val f = stage.rowFunction(org.apache.spark.TaskContext.getPartitionId())
      rows.map { r =>
        val value = r.get(in)
        if (value == null) throw new IllegalArgumentException(s"column '$name': null value (drop or impute missing rows)")
        val y = f(value)
        val cells = r.toSeq.toArray[Any]
        Row.fromSeq(if (appended) cells.toSeq :+ y else { cells(out) = y; cells.toSeq })
      }
    }(Encoders.row(outSchema))
  }

  override def copy(extra: ParamMap): ColumnStage = defaultCopy(extra)
}

/** Companion base of the column stages: `read` and `load` (static forwarders for Spark Connect and pyspark). */
abstract class ColumnStageCompanion[T <: ColumnStage](cls: Class[T]) extends MLReadable[T] {
  override def read: MLReader[T] = new EmberReader(cls)
}
