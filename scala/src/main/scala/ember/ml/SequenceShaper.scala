package ember.ml

import org.apache.spark.ml.param._
import org.apache.spark.ml.util.Identifiable
import org.apache.spark.sql.types._

/**
 * Token sequences -> fixed-length arrays of token ids (BigDL's SequenceShaper; Keras' `pad_sequences`),
 * for an embedding network (LookupTable). The input column holds arrays of numbers (ids already), or
 * arrays of strings (tokens, e.g. from RegexTokenizer) mapped through `vocabulary`: word i of the
 * vocabulary gets id i + 1, an unknown word `vocabulary.length + 1`, and 0 is left for padding (so the
 * embedding needs `vocabulary.length + 2` rows; `CountVectorizerModel.vocabulary` is a ready vocabulary).
 * Sequences longer than `length` lose their first (`truncating` "pre") or last ("post", the default)
 * ids; shorter ones are padded with `padValue` after ("post", the default) or before ("pre").
 */
class SequenceShaper(uid: String) extends ColumnStage(uid) {
  final val length = new IntParam(this, "length", "output length", ParamValidators.gt(0))
  final val padValue = new IntParam(this, "padValue", "id used for padding")
  final val padding = new Param[String](this, "padding", "where to pad: pre or post", ParamValidators.inArray(Array("pre", "post")))
  final val truncating = new Param[String](this, "truncating", "where to cut: pre or post",
    ParamValidators.inArray(Array("pre", "post")))
  final val vocabulary = new StringArrayParam(this, "vocabulary", "words of a string-token column (id = index + 1)")
  setDefault(padValue -> 0, padding -> "post", truncating -> "post", vocabulary -> Array.empty[String])

  def this() = this(Identifiable.randomUID("SequenceShaper"))
  def this(length: Int) = { this(); setLength(length) }
  def setLength(v: Int): this.type = set(length, v)
  def setPadValue(v: Int): this.type = set(padValue, v)
  def setPadding(v: String): this.type = set(padding, v)
  def setTruncating(v: String): this.type = set(truncating, v)
  def setVocabulary(v: Array[String]): this.type = set(vocabulary, v)
  def getVocabulary: Array[String] = $(vocabulary)

  override protected def outputType(name: String, in: DataType): DataType = {
    require(isDefined(length), "SequenceShaper: set length")
    in match {
      case ArrayType(_: NumericType, _) =>
      case ArrayType(StringType, _) => require($(vocabulary).nonEmpty,
        s"SequenceShaper: column '$name' holds strings; set a vocabulary (e.g. CountVectorizerModel.vocabulary)")
      case other => throw new IllegalArgumentException(
        s"SequenceShaper: column '$name' has type ${other.simpleString}; expected an array of token ids or of strings")
    }
    ArrayType(IntegerType, containsNull = false)
  }

  override protected def rowFunction(partition: Int): Any => Any = {
    val (n, pad, padPre, cutPre, name) = ($(length), $(padValue), $(padding) == "pre", $(truncating) == "pre", $(inputCol))
    val index = $(vocabulary).zipWithIndex.map { case (w, i) => w -> (i + 1) }.toMap
    val unknown = $(vocabulary).length + 1
    (v: Any) => {
      val ids = v.asInstanceOf[scala.collection.Seq[Any]].iterator.map {
        case s: String => index.getOrElse(s, unknown)
        case x: java.lang.Number =>
          val d = x.doubleValue
          require(d == math.rint(d), s"SequenceShaper: column '$name' has the non-integer token id $d"); d.toInt
        case null => throw new IllegalArgumentException(s"SequenceShaper: column '$name' has a null token")
        case other => throw new IllegalArgumentException(s"SequenceShaper: column '$name' has a ${other.getClass.getName} token")
      }.toArray
      val cut = if (ids.length <= n) ids else if (cutPre) ids.takeRight(n) else ids.take(n)
      val fill = Array.fill(n - cut.length)(pad)
      (if (padPre) fill ++ cut else cut ++ fill).toSeq
    }
  }
}

object SequenceShaper extends ColumnStageCompanion(classOf[SequenceShaper])
