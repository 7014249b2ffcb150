package ember.ml

import org.apache.spark.ml.image.ImageSchema
import org.apache.spark.ml.param._
import org.apache.spark.ml.util.Identifiable
import org.apache.spark.sql.Row
import org.apache.spark.sql.types._

/*
 * Image preprocessing as JVM Transformers on Spark's image schema (`spark.read.format("image")`: a struct
 * of origin, height, width, nChannels, mode, data with HWC bytes in BGR(A) order). Resize, crops and flip
 * give images again (so they chain in any order); ImageToTensor ends a chain with a CHW float array,
 * normalised per channel, which NNEstimator / NNClassifier read with featureSize [channels, height, width].
 * Each stage is usable alone in a Pipeline or as an estimator's feature preprocessing
 * (`setFeaturePreprocessing`). The pixel loops are in [[ImageOps]].
 */

/** Base of the stages mapping an image to an image. */
abstract class ImageStage(uid: String) extends ColumnStage(uid) {
  setDefault(inputCol -> "image")

  override protected def outputType(name: String, in: DataType): DataType = {
    require(ColumnKind.isImage(in), s"${getClass.getSimpleName}: column '$name' has type ${in.simpleString}; " +
      "expected an image (spark.read.format(\"image\"))")
    ImageSchema.columnSchema
  }

  /** The new (height, width, data) of an image. */
  protected def image(h: Int, w: Int, c: Int, data: Array[Byte], rng: java.util.Random): (Int, Int, Array[Byte])

  override protected def rowFunction(partition: Int): Any => Any = {
    val rng = new java.util.Random(seedOf(partition))
    (v: Any) => {
      val r = v.asInstanceOf[Row]
      val (h, w, c) = (r.getInt(1), r.getInt(2), r.getInt(3)) // the image schema's order (ColumnKind.isImage)
      val (oh, ow, data) = image(h, w, c, r.getAs[Array[Byte]](5), rng)
      Row(r.getString(0), oh, ow, c, r.getInt(4), data)
    }
  }

  protected def seedOf(partition: Int): Long = partition.toLong
}

/** Resizes images to `height` x `width` (bilinear). */
class ImageResize(uid: String) extends ImageStage(uid) {
  final val height = new IntParam(this, "height", "output height", ParamValidators.gt(0))
  final val width = new IntParam(this, "width", "output width", ParamValidators.gt(0))
  def this() = this(Identifiable.randomUID("ImageResize"))
  def this(height: Int, width: Int) = { this(); setHeight(height); setWidth(width) }
  def setHeight(v: Int): this.type = set(height, v)
  def setWidth(v: Int): this.type = set(width, v)
  override protected def image(h: Int, w: Int, c: Int, data: Array[Byte], rng: java.util.Random) =
    ($(height), $(width), ImageOps.resize(data, h, w, c, $(height), $(width)))
}
object ImageResize extends ColumnStageCompanion(classOf[ImageResize])

/** Base of the crops: a `height` x `width` window (an error names the column when an image is smaller). */
abstract class ImageCropBase(uid: String) extends ImageStage(uid) {
  final val height = new IntParam(this, "height", "crop height", ParamValidators.gt(0))
  final val width = new IntParam(this, "width", "crop width", ParamValidators.gt(0))
  def setHeight(v: Int): this.type = set(height, v)
  def setWidth(v: Int): this.type = set(width, v)

  protected def corner(h: Int, w: Int, rng: java.util.Random): (Int, Int)

  override protected def image(h: Int, w: Int, c: Int, data: Array[Byte], rng: java.util.Random) = {
    val (ch, cw) = ($(height), $(width))
    require(ch <= h && cw <= w, s"${getClass.getSimpleName}: column '${$(inputCol)}' has an image of $h x $w, " +
      s"smaller than the crop $ch x $cw (resize first)")
    val (top, left) = corner(h, w, rng)
    (ch, cw, ImageOps.crop(data, h, w, c, top, left, ch, cw))
  }
}

/** The central `height` x `width` window. */
class ImageCenterCrop(uid: String) extends ImageCropBase(uid) {
  def this() = this(Identifiable.randomUID("ImageCenterCrop"))
  def this(height: Int, width: Int) = { this(); setHeight(height); setWidth(width) }
  override protected def corner(h: Int, w: Int, rng: java.util.Random): (Int, Int) = ((h - $(height)) / 2, (w - $(width)) / 2)
}
object ImageCenterCrop extends ColumnStageCompanion(classOf[ImageCenterCrop])

/** A `height` x `width` window at a random position (seeded by `seed` and the partition: reproducible). */
class ImageRandomCrop(uid: String) extends ImageCropBase(uid) {
  final val seed = new LongParam(this, "seed", "random seed")
  setDefault(seed -> 1L)
  def this() = this(Identifiable.randomUID("ImageRandomCrop"))
  def this(height: Int, width: Int) = { this(); setHeight(height); setWidth(width) }
  def setSeed(v: Long): this.type = set(seed, v)
  override protected def seedOf(partition: Int): Long = $(seed) * 1000003L + partition
  override protected def corner(h: Int, w: Int, rng: java.util.Random): (Int, Int) =
    (rng.nextInt(h - $(height) + 1), rng.nextInt(w - $(width) + 1))
}
object ImageRandomCrop extends ColumnStageCompanion(classOf[ImageRandomCrop])

/** Mirrors images left to right with probability `probability` (1: always; seeded as ImageRandomCrop). */
class ImageHFlip(uid: String) extends ImageStage(uid) {
  final val probability = new DoubleParam(this, "probability", "flip probability", ParamValidators.inRange(0, 1))
  final val seed = new LongParam(this, "seed", "random seed")
  setDefault(probability -> 1.0, seed -> 1L)
  def this() = this(Identifiable.randomUID("ImageHFlip"))
  def setProbability(v: Double): this.type = set(probability, v)
  def setSeed(v: Long): this.type = set(seed, v)
  override protected def seedOf(partition: Int): Long = $(seed) * 1000003L + partition
  override protected def image(h: Int, w: Int, c: Int, data: Array[Byte], rng: java.util.Random) =
    if ($(probability) >= 1.0 || rng.nextDouble() < $(probability)) (h, w, ImageOps.hflip(data, h, w, c)) else (h, w, data)
}
object ImageHFlip extends ColumnStageCompanion(classOf[ImageHFlip])

/**
 * Image -> CHW float array: `(pixel * scale - mean(c)) / std(c)` per channel c (torchvision's ToTensor and
 * Normalize with the default scale 1/255), channels in RGB order unless `toRGB` is false (Spark stores BGR).
 */
class ImageToTensor(uid: String) extends ColumnStage(uid) {
  final val scale = new DoubleParam(this, "scale", "factor applied to the 0..255 pixel values first")
  final val mean = new DoubleArrayParam(this, "mean", "per-channel mean subtracted after scaling (empty: 0)")
  final val std = new DoubleArrayParam(this, "std", "per-channel standard deviation divided by (empty: 1)",
    (a: Array[Double]) => a.forall(_ > 0))
  final val toRGB = new BooleanParam(this, "toRGB", "reorder Spark's BGR channels to RGB")
  setDefault(inputCol -> "image", scale -> 1.0 / 255, mean -> Array.emptyDoubleArray, std -> Array.emptyDoubleArray, toRGB -> true)

  def this() = this(Identifiable.randomUID("ImageToTensor"))
  def setScale(v: Double): this.type = set(scale, v)
  def setMean(v: Array[Double]): this.type = set(mean, v)
  def setStd(v: Array[Double]): this.type = set(std, v)
  def setToRGB(v: Boolean): this.type = set(toRGB, v)

  override protected def outputType(name: String, in: DataType): DataType = {
    require(ColumnKind.isImage(in), s"ImageToTensor: column '$name' has type ${in.simpleString}; expected an image")
    ArrayType(FloatType, containsNull = false)
  }

  override protected def rowFunction(partition: Int): Any => Any = {
    val (m, s, k, rgb, name) = ($(mean), $(std), $(scale), $(toRGB), $(inputCol))
    (v: Any) => {
      val r = v.asInstanceOf[Row]
      val (h, w, c) = (r.getInt(1), r.getInt(2), r.getInt(3))
      require((m.isEmpty || m.length == c) && (s.isEmpty || s.length == c),
        s"ImageToTensor: column '$name' has an image of $c channels but mean/std give ${m.length}/${s.length}")
      ImageOps.toChw(r.getAs[Array[Byte]](5), h, w, c, if (m.isEmpty) null else m, if (s.isEmpty) null else s, k, rgb).toSeq
    }
  }
}
object ImageToTensor extends ColumnStageCompanion(classOf[ImageToTensor])

/** BigDL's `NNImageReader`: an image DataFrame (Spark's image schema, column "image") of the files at `path`. */
object NNImageReader {
  def readImages(path: String, spark: org.apache.spark.sql.SparkSession, minPartitions: Int = 0): org.apache.spark.sql.DataFrame = {
    val df = spark.read.format("image").option("dropInvalid", true).load(path)
    if (minPartitions > 0 && df.rdd.getNumPartitions < minPartitions) df.repartition(minPartitions) else df
  }
}
