package ember.ml

import org.apache.spark.ml.linalg.{Vector => MLVector}
import org.apache.spark.mllib.linalg.{Vector => MLlibVector}
import org.apache.spark.sql.Row
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.util.ArrayData
import org.apache.spark.sql.types._

/*
 * DataFrame cells -> float arrays, the decoding under NNEstimator.fit and NNModel.transform.
 *
 * The kind of a column is read from the schema once, on the driver ([[ColumnKind.of]]), so a wrong type
 * fails before any job with a message naming the column. Each cell is then decoded by a loop chosen for
 * that kind, with no boxing and no intermediate collections:
 *   - training reads Spark's internal rows (`queryExecution.toRdd`): a vector is the struct
 *     (type: byte, size: int, indices: array<int>, values: array<double>) that VectorUDT stores, read in
 *     place; arrays are `ArrayData` read by index. This avoids building a `Vector` or a boxed `Seq` per row
 *     (60,000 MNIST rows decode in a fraction of a second; bench/NOTES.md).
 *   - transform reads external `Row`s (it appends columns through `Dataset.mapPartitions`), where cells
 *     are `Vector`s, `Seq`s and image `Row`s.
 * Nested arrays are flattened row-major; their nesting must be rectangular (a ragged row names the column).
 * An image cell (Spark's image schema: height, width, nChannels, mode, data as HWC bytes in BGR(A) order)
 * becomes a CHW float tensor of the byte values 0..255 in the stored channel order.
 */

/** How a column's cells become floats (chosen from the schema). */
sealed trait ColumnKind extends Serializable

object ColumnKind {

  /** Spark ML or MLlib vectors (both stored as the same struct). */
  case object VectorCell extends ColumnKind

  /** Arrays of numbers nested `depth` deep (1: a flat array). */
  final case class ArrayCell(depth: Int, element: DataType) extends ColumnKind

  /** One number per row. */
  final case class ScalarCell(t: DataType) extends ColumnKind

  /** Spark's image schema struct. */
  case object ImageCell extends ColumnKind

  /** True for ML and MLlib vector columns. */
  def isVector(t: DataType): Boolean = t match {
    case u: UserDefinedType[_] =>
      classOf[MLVector].isAssignableFrom(u.userClass) || classOf[MLlibVector].isAssignableFrom(u.userClass)
    case _ => false
  }

  /** True for a struct with the fields of Spark's image schema, in its order (origin, height, width, nChannels, mode, data). */
  def isImage(t: DataType): Boolean = t match {
    case s: StructType => s.fieldNames.take(6).toSeq == Seq("origin", "height", "width", "nChannels", "mode", "data")
    case _ => false
  }

  private def arrayDepth(t: DataType): Option[(Int, DataType)] = t match {
    case ArrayType(e: NumericType, _) => Some((1, e))
    case ArrayType(e, _)              => arrayDepth(e).map { case (d, el) => (d + 1, el) }
    case _                            => None
  }

  /**
   * The kind of column `name` for `role` ("features" / "label"), or an IllegalArgumentException naming the
   * column, its type and what would be accepted.
   */
  def of(schema: StructType, name: String, role: String, scalars: Boolean, images: Boolean): ColumnKind = {
    require(name != null && name.nonEmpty, s"the $role column name is empty")
    require(schema.fieldNames.contains(name),
      s"the DataFrame has no $role column '$name' (columns: ${schema.fieldNames.mkString(", ")})")
    val t = schema(name).dataType
    if (isVector(t)) VectorCell
    else if (images && isImage(t)) ImageCell
    else if (scalars && t.isInstanceOf[NumericType]) ScalarCell(t)
    else arrayDepth(t).map { case (d, e) => ArrayCell(d, e) }.getOrElse(throw new IllegalArgumentException(
      s"$role column '$name' has type ${t.simpleString}; expected " +
        (if (scalars) "a number, " else "") + "a Spark ML/MLlib vector, an array of numbers (nested arrays allowed)" +
        (if (images) " or an image (spark.read.format(\"image\"))" else "")))
  }
}

/**
 * Decodes the cells of one column (`name`, of `kind`) to float arrays. `expected` is the number of values
 * each row must have (-1: any, e.g. while finding the shape from the first row).
 */
final class ColumnDecoder(val name: String, val kind: ColumnKind, val expected: Int) extends Serializable {
  import ColumnKind._

  private def fail(msg: String): Nothing = throw new IllegalArgumentException(s"column '$name': $msg")

  private def checkLength(n: Int, what: => String): Unit =
    if (expected >= 0 && n != expected) fail(s"a row has $n values$what but the feature shape needs $expected " +
      "(a ragged array, or a shape that does not match; set featureSize to the shape of one row)")

  /** The values of cell `ordinal` of an internal row (training path). */
  def internal(row: InternalRow, ordinal: Int): Array[Float] = {
    if (row.isNullAt(ordinal)) fail("null value (drop or impute rows with missing values)")
    kind match {
      case VectorCell =>
        val s = row.getStruct(ordinal, 4)
        val values = s.getArray(3)
        if (s.getByte(0) == 1) { checkLength(values.numElements(), ""); toFloats(values, DoubleType) }
        else {
          val size = s.getInt(1)
          checkLength(size, " (sparse vector size)")
          val out = new Array[Float](size)
          val idx = s.getArray(2)
          var i = 0
          while (i < values.numElements()) { out(idx.getInt(i)) = values.getDouble(i).toFloat; i += 1 }
          out
        }
      case ArrayCell(1, e) =>
        val a = row.getArray(ordinal)
        checkLength(a.numElements(), ""); noNulls(a); toFloats(a, e)
      case ArrayCell(depth, e) => nested(row.getArray(ordinal), depth, e)
      case ScalarCell(t)       => Array(scalar(row, ordinal, t))
      case ImageCell =>
        val s = row.getStruct(ordinal, 6)
        image(s.getInt(1), s.getInt(2), s.getInt(3), s.getBinary(5))
    }
  }

  /** A number cell of an internal row (labels). */
  def scalar(row: InternalRow, ordinal: Int, t: DataType): Float = {
    if (row.isNullAt(ordinal)) fail("null value (drop rows with a missing label)")
    t match {
      case DoubleType     => row.getDouble(ordinal).toFloat
      case FloatType      => row.getFloat(ordinal)
      case IntegerType    => row.getInt(ordinal).toFloat
      case LongType       => row.getLong(ordinal).toFloat
      case ShortType      => row.getShort(ordinal).toFloat
      case ByteType       => row.getByte(ordinal).toFloat
      case d: DecimalType => row.getDecimal(ordinal, d.precision, d.scale).toDouble.toFloat
      case other          => fail(s"unsupported number type ${other.simpleString}")
    }
  }

  private def noNulls(a: ArrayData): Unit = {
    var i = 0
    while (i < a.numElements()) { if (a.isNullAt(i)) fail("null element in an array"); i += 1 }
  }

  private def toFloats(a: ArrayData, e: DataType): Array[Float] = {
    val n = a.numElements()
    val out = new Array[Float](n)
    var i = 0
    e match {
      case DoubleType  => while (i < n) { out(i) = a.getDouble(i).toFloat; i += 1 }
      case FloatType   => while (i < n) { out(i) = a.getFloat(i); i += 1 }
      case IntegerType => while (i < n) { out(i) = a.getInt(i).toFloat; i += 1 }
      case LongType    => while (i < n) { out(i) = a.getLong(i).toFloat; i += 1 }
      case ShortType   => while (i < n) { out(i) = a.getShort(i).toFloat; i += 1 }
      case ByteType    => while (i < n) { out(i) = a.getByte(i).toFloat; i += 1 }
      case other       => fail(s"unsupported array element type ${other.simpleString}")
    }
    out
  }

  private def nested(top: ArrayData, depth: Int, e: DataType): Array[Float] = {
    val leaves = Array.newBuilder[Array[Float]]
    def walk(a: ArrayData, d: Int, width: Array[Int]): Unit = {
      val n = a.numElements()
      if (width(d) < 0) width(d) = n
      else if (width(d) != n) fail(s"ragged nested array: a row has sub-arrays of lengths ${width(d)} and $n at depth $d")
      if (d == depth - 1) { noNulls(a); leaves += toFloats(a, e) }
      else { var i = 0; while (i < n) { if (a.isNullAt(i)) fail("null sub-array"); walk(a.getArray(i), d + 1, width); i += 1 } }
    }
    walk(top, 0, Array.fill(depth)(-1))
    val parts = leaves.result()
    val out = new Array[Float](parts.iterator.map(_.length).sum)
    checkLength(out.length, "")
    var off = 0
    parts.foreach { p => System.arraycopy(p, 0, out, off, p.length); off += p.length }
    out
  }

  private def image(h: Int, w: Int, c: Int, data: Array[Byte]): Array[Float] = {
    if (data == null || data.length != h * w * c) fail(s"image data of ${if (data == null) 0 else data.length} bytes " +
      s"for $h x $w x $c")
    checkLength(h * w * c, s" (image $h x $w x $c; resize images to one size with ImageResize)")
    ImageOps.toChw(data, h, w, c, null, null)
  }

  /** The values of an external cell (transform path). */
  def external(value: Any): Array[Float] = value match {
    case null => fail("null value (drop or impute rows with missing values)")
    case v: MLVector    => vectorValues(v.size, v.toArray)
    case v: MLlibVector => vectorValues(v.size, v.toArray)
    case r: Row if kind == ImageCell =>
      image(r.getInt(1), r.getInt(2), r.getInt(3), r.getAs[Array[Byte]](5))
    case s: scala.collection.Seq[_] =>
      val b = Array.newBuilder[Float]
      flattenSeq(s, b, 0, scala.collection.mutable.Map.empty)
      val out = b.result(); checkLength(out.length, ""); out
    case n: java.lang.Number => Array(n.floatValue)
    case other => fail(s"unsupported value of type ${other.getClass.getName}")
  }

  private def vectorValues(size: Int, values: Array[Double]): Array[Float] = {
    checkLength(size, "")
    val out = new Array[Float](values.length)
    var i = 0
    while (i < out.length) { out(i) = values(i).toFloat; i += 1 }
    out
  }

  private def flattenSeq(s: scala.collection.Seq[_], b: scala.collection.mutable.Builder[Float, Array[Float]], d: Int,
      width: scala.collection.mutable.Map[Int, Int]): Unit = {
    val prev = width.getOrElseUpdate(d, s.length)
    if (prev != s.length) fail(s"ragged nested array: a row has sub-arrays of lengths $prev and ${s.length} at depth $d")
    s.foreach {
      case n: java.lang.Number          => b += n.floatValue
      case t: scala.collection.Seq[_]   => flattenSeq(t, b, d + 1, width)
      case null                         => fail("null element in an array")
      case other                        => fail(s"unsupported array element ${other.getClass.getName}")
    }
  }
}
