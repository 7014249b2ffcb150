package ember.ml

import ember.data.Sample
import org.apache.spark.ml.attribute.AttributeGroup
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.types.NumericType

/**
 * What a training DataFrame holds, decided on the driver before any training job: the decoder of each
 * column and the shapes of one sample's features and label.
 */
final case class FrameLayout(features: ColumnDecoder, featureShape: Array[Int], label: Option[ColumnDecoder],
    labelShape: Array[Int])

/**
 * DataFrame rows -> `RDD[Sample]` for training, validation and the benchmark.
 *
 * The rows are read as Spark's internal rows (`queryExecution.toRdd`) and decoded in place by
 * [[ColumnDecoder]] (see the notes there), one sample per row, in the row order of each partition. Label
 * values pass `labelCheck` (the classifier refuses class indices outside [0, classes)), whose error names
 * the column and the value.
 */
object FrameSamples {

  /** The shape of one row's features: `featureSize` if given, else the vector size or the first row's shape. */
  def featureShape(df: DataFrame, col: String, kind: ColumnKind, featureSize: Array[Int]): Array[Int] = {
    if (featureSize.nonEmpty) return featureSize
    kind match {
      case ColumnKind.VectorCell if AttributeGroup.fromStructField(df.schema(col)).size > 0 =>
        Array(AttributeGroup.fromStructField(df.schema(col)).size)
      case _ =>
        val first = df.select(col).na.drop().head(1)
        require(first.nonEmpty, s"column '$col': the DataFrame has no rows with features")
        valueShape(first(0).get(0), col)
    }
  }

  /** The shape of one cell's value (nested arrays: their sizes; an image: [channels, height, width]). */
  def valueShape(value: Any, col: String): Array[Int] = value match {
    case v: org.apache.spark.ml.linalg.Vector    => Array(v.size)
    case v: org.apache.spark.mllib.linalg.Vector => Array(v.size)
    case r: Row => Array(r.getInt(3), r.getInt(1), r.getInt(2)) // image schema: nChannels, height, width
    case s: scala.collection.Seq[_] =>
      require(s.nonEmpty, s"column '$col': the first row holds an empty array")
      s.head match {
        case inner: scala.collection.Seq[_] => s.length +: valueShape(inner, col)
        case _                              => Array(s.length)
      }
    case n: java.lang.Number => Array.emptyIntArray
    case other => throw new IllegalArgumentException(s"column '$col': unsupported value ${other.getClass.getName}")
  }

  /**
   * The layout of `df` for training: features of `featureShape` from `featuresCol`; a label from
   * `labelCol` (None: no label, for prediction) of `labelSize` if given, else [] for a number (`scalarShape`
   * overrides, e.g. [1] for a regression network with one output) and [n] for an array or vector.
   */
  def layout(df: DataFrame, featuresCol: String, featureShape: Array[Int], labelCol: Option[String],
      labelSize: Array[Int], scalarShape: Array[Int]): FrameLayout = {
    val fKind = ColumnKind.of(df.schema, featuresCol, "features", scalars = false, images = true)
    val features = new ColumnDecoder(featuresCol, fKind, featureShape.product)
    labelCol match {
      case None => FrameLayout(features, featureShape, None, Array(0))
      case Some(lc) =>
        val lKind = ColumnKind.of(df.schema, lc, "label", scalars = true, images = false)
        val shape = if (labelSize.nonEmpty) labelSize else lKind match {
          case ColumnKind.ScalarCell(_) => scalarShape
          case _ => featureShapeOfLabel(df, lc, lKind)
        }
        val expected = if (lKind.isInstanceOf[ColumnKind.ScalarCell]) -1 else shape.product
        require(!lKind.isInstanceOf[ColumnKind.ScalarCell] || shape.product == 1,
          s"label column '$lc' holds one number per row but labelSize is ${shape.mkString("[", ", ", "]")}")
        FrameLayout(features, featureShape, Some(new ColumnDecoder(lc, lKind, expected)), shape)
    }
  }

  private def featureShapeOfLabel(df: DataFrame, lc: String, kind: ColumnKind): Array[Int] =
    Array(featureShape(df, lc, kind, Array.emptyIntArray).product)

  /** The samples of `df` (one per row) under `layout`; each label value goes through `labelCheck`. */
  def samples(df: DataFrame, layout: FrameLayout, labelCheck: LabelCheck = LabelCheck.Any): RDD[Sample] = {
    val fi = df.schema.fieldIndex(layout.features.name)
    val li = layout.label.map(l => df.schema.fieldIndex(l.name)).getOrElse(-1)
    val FrameLayout(features, fShape, label, lShape) = layout
    internalRows(df).mapPartitions { rows =>
      rows.map { row =>
        val x = features.internal(row, fi)
        val y = label match {
          case None => Array.emptyFloatArray
          case Some(l) =>
            val v = l.kind match {
              case ColumnKind.ScalarCell(t) => Array(l.scalar(row, li, t))
              case _                        => l.internal(row, li)
            }
            labelCheck(l.name, v)
            v
        }
        Sample.fromArrays(Array(x), Array(fShape), y, lShape)
      }
    }
  }

  /** The internal rows of `df` (no conversion to external `Row`s). */
  def internalRows(df: DataFrame): RDD[org.apache.spark.sql.catalyst.InternalRow] = df match {
    case c: org.apache.spark.sql.classic.Dataset[_] => c.queryExecution.toRdd
    case other => throw new IllegalArgumentException(s"ember.ml needs a classic (server-side) DataFrame, got ${other.getClass.getName}")
  }

  /** True for number columns (labels of one value per row). */
  def isNumber(df: DataFrame, col: String): Boolean = df.schema(col).dataType.isInstanceOf[NumericType]
}

/** A check applied to every decoded label (Serializable: it runs in the tasks). */
trait LabelCheck extends Serializable {
  def apply(column: String, values: Array[Float]): Unit
}

object LabelCheck {
  val Any: LabelCheck = new LabelCheck { def apply(column: String, values: Array[Float]): Unit = () }

  /** 0-based class indices: whole numbers in [0, classes) (classes <= 0: no upper bound known). */
  final case class ClassIndex(classes: Int) extends LabelCheck {
    def apply(column: String, values: Array[Float]): Unit = values.foreach { v =>
      if (v.isNaN || v < 0 || v != math.floor(v) || (classes > 0 && v >= classes)) throw new IllegalArgumentException(
        s"label column '$column': value $v is not a 0-based class index in [0, ${if (classes > 0) classes.toString else "classes"}) " +
          s"(the network has $classes outputs)")
    }
  }
}
