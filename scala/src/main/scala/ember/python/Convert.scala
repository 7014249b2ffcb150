package ember.python

import java.io.{File, RandomAccessFile}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.channels.FileChannel

import ember.data.Sample
import ember.tensor.{Activity, Table, Tensor}

/**
 * The JVM half of the numpy <-> JVM boundary (the Python half is `python/ember/_convert.py`).
 *
 * Arrays cross as raw little-endian float32 bytes plus a shape, never as lists: py4j moves a `bytes` object
 * at tens of MB/s but a list at thousands of elements per second. Small arrays travel inside the py4j call
 * as `byte[]`; large ones through a file that one side writes and the other maps ([[readTensorFile]],
 * [[writeTensorFile]]), which runs at memory speed when the file lives under /dev/shm.
 * Shapes and small integer/float arrays also cross as bytes (`int32` / `float32` / `float64` little-endian),
 * so no py4j array is ever filled element by element.
 *
 * Python RDDs reach the JVM as records of many samples each ([[samplesFromRecord]]: the format written by
 * `_convert.pack_samples` inside the Python workers), DataFrame rows through [[sampleFromRow]], and batched
 * outputs go back as [[toBytes]] records.
 */
object Convert {

  private def le(bytes: Array[Byte]): ByteBuffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)

  /** A little-endian int32 byte array as an `Array[Int]` (shapes, kernel sizes). */
  def intArray(bytes: Array[Byte]): Array[Int] = {
    require(bytes.length % 4 == 0, s"intArray: ${bytes.length} bytes is not a whole number of int32 values")
    val out = new Array[Int](bytes.length / 4)
    le(bytes).asIntBuffer().get(out)
    out
  }

  /** A little-endian float32 byte array as an `Array[Float]` (class weights and the like). */
  def floatArray(bytes: Array[Byte]): Array[Float] = {
    require(bytes.length % 4 == 0, s"floatArray: ${bytes.length} bytes is not a whole number of float32 values")
    val out = new Array[Float](bytes.length / 4)
    le(bytes).asFloatBuffer().get(out)
    out
  }

  /** A little-endian float64 byte array as an `Array[Double]`. */
  def doubleArray(bytes: Array[Byte]): Array[Double] = {
    require(bytes.length % 8 == 0, s"doubleArray: ${bytes.length} bytes is not a whole number of float64 values")
    val out = new Array[Double](bytes.length / 8)
    le(bytes).asDoubleBuffer().get(out)
    out
  }

  /** `Array[Int]` -> little-endian int32 bytes (for returning shapes to Python). */
  def intBytes(values: Array[Int]): Array[Byte] = {
    val buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN)
    buf.asIntBuffer().put(values)
    buf.array()
  }

  private def count(shape: Array[Int]): Long = {
    require(shape.forall(_ >= 0), s"negative size in shape ${shape.mkString("[", ", ", "]")}")
    shape.foldLeft(1L)(_ * _)
  }

  /** A new tensor from little-endian float32 `bytes` of the given `shape` (int32 bytes). */
  def toTensor(bytes: Array[Byte], shapeBytes: Array[Byte]): Tensor = {
    val shape = intArray(shapeBytes)
    val n = count(shape)
    require(bytes.length == 4L * n,
      s"toTensor: ${bytes.length} bytes do not hold a float32 array of shape ${shape.mkString("[", ", ", "]")}")
    val data = new Array[Float](n.toInt)
    le(bytes).asFloatBuffer().get(data)
    Tensor.fromArray(data, shape)
  }

  /** The shape of `t` as int32 bytes. */
  def shapeOf(t: Tensor): Array[Byte] = intBytes(t.shape)

  /**
   * `t` in one byte array, so that one py4j call carries it: int32 ndim, int32 sizes, then the elements in
   * row-major order as float32 (all little-endian).
   */
  def toBytes(t: Tensor): Array[Byte] = {
    val buf = ByteBuffer.allocate(4 * (1 + t.dim + t.nElement)).order(ByteOrder.LITTLE_ENDIAN)
    buf.putInt(t.dim)
    t.shape.foreach(s => buf.putInt(s))
    putTensor(t, buf.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer())
    buf.array()
  }

  private def putTensor(t: Tensor, fb: java.nio.FloatBuffer): Unit =
    if (t.nElement == 0) () // an empty view may sit at an offset past its storage's end
    else if (t.isContiguous) fb.put(t.storage, t.offset, t.nElement) else fb.put(t.toArray)

  /**
   * A new tensor of `shape` read from the raw little-endian float32 file at `path` (written by numpy's
   * `tofile`), through a memory map: no intermediate byte array.
   */
  def readTensorFile(path: String, shapeBytes: Array[Byte]): Tensor = {
    val shape = intArray(shapeBytes)
    val n = count(shape)
    val raf = new RandomAccessFile(path, "r")
    try {
      val ch = raf.getChannel
      require(ch.size == 4L * n, s"readTensorFile: $path has ${ch.size} bytes, expected ${4L * n} for shape " +
        shape.mkString("[", ", ", "]"))
      val data = new Array[Float](n.toInt)
      ch.map(FileChannel.MapMode.READ_ONLY, 0, 4L * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data)
      Tensor.fromArray(data, shape)
    } finally raf.close()
  }

  /**
   * Writes the elements of `t` (row-major, little-endian float32) to `path` through a memory map and
   * returns its shape as int32 bytes.
   */
  def writeTensorFile(t: Tensor, path: String): Array[Byte] = {
    val raf = new RandomAccessFile(new File(path), "rw")
    try {
      val bytes = 4L * t.nElement
      raf.setLength(bytes)
      val map = raf.getChannel.map(FileChannel.MapMode.READ_WRITE, 0, bytes).order(ByteOrder.LITTLE_ENDIAN)
      putTensor(t, map.asFloatBuffer())
    } finally raf.close()
    intBytes(t.shape)
  }

  /**
   * `t` for Python in one py4j call: [[toBytes]] when its data fits in `maxInlineBytes`, else the data goes
   * to the file `path` ([[writeTensorFile]]) and the result is the header alone. The first int32 says which
   * (1 = inline, 0 = file).
   */
  def exportTensor(t: Tensor, path: String, maxInlineBytes: Int): Array[Byte] =
    if (4L * t.nElement <= maxInlineBytes) intBytes(Array(1)) ++ toBytes(t)
    else { writeTensorFile(t, path); intBytes(Array(0, t.dim) ++ t.shape) }

  /** A table of the given activities (a Python list of arrays becomes one). */
  def toTable(items: java.util.List[Activity]): Table = {
    val t = new Table()
    items.forEach(a => t.insert(a))
    t
  }

  /** The items of a table, for Python to convert one by one. */
  def tableItems(t: Table): Array[Activity] = t.items.toArray

  /** True when the activity is a tensor (else a table). */
  def isTensor(a: Activity): Boolean = a.isTensor

  // ------------------------------------------------------------------ sample records (Python RDDs)

  /** First int32 of a sample record ("EMS1"); guards against feeding other bytes to [[samplesFromRecord]]. */
  val SampleRecordMagic: Int = 0x31534d45

  /**
   * The samples of one record written by `_convert.pack_samples` (little-endian throughout):
   * {{{
   * int32 magic, int32 n (samples), int32 nFeatures,
   * per feature: int32 ndim, int32[ndim] sizes;   int32 labelNdim (-1: no label), int32[labelNdim] sizes,
   * float32 data: feature 0 of the n samples, ..., feature nFeatures-1, then the n labels
   * }}}
   * Every sample gets its own arrays (a record is one Python chunk of samples with equal shapes). A sample
   * without a label (prediction input) gets an empty label of shape [0].
   */
  def samplesFromRecord(bytes: Array[Byte]): Array[Sample] = {
    require(bytes != null && bytes.length >= 12, s"sample record: ${if (bytes == null) 0 else bytes.length} bytes is too short")
    val buf = le(bytes)
    val magic = buf.getInt()
    require(magic == SampleRecordMagic, f"sample record: bad magic 0x$magic%08x (expected the records of ember._convert.pack_samples)")
    val n = buf.getInt()
    val nFeatures = buf.getInt()
    require(n > 0 && nFeatures > 0, s"sample record: $n samples with $nFeatures features")
    def readShape(what: String): Array[Int] = {
      val ndim = buf.getInt()
      if (ndim == -1) return null
      require(ndim >= 0 && ndim <= 32 && buf.remaining >= 4 * ndim, s"sample record: bad $what rank $ndim")
      val shape = Array.fill(ndim)(buf.getInt())
      require(shape.forall(_ >= 0), s"sample record: negative size in $what shape ${shape.mkString("[", ", ", "]")}")
      shape
    }
    val featureShapes = Array.tabulate(nFeatures)(f => readShape(s"feature $f"))
    require(!featureShapes.contains(null), "sample record: a feature without shape")
    val labelShape = readShape("label")
    val rows = featureShapes.map(count) :+ (if (labelShape == null) 0L else count(labelShape))
    val expected = rows.map(_ * n).sum * 4L
    require(buf.remaining == expected, s"sample record: ${buf.remaining} data bytes, expected $expected for $n samples " +
      s"of features ${featureShapes.map(_.mkString("[", ", ", "]")).mkString(", ")}")
    val floats = buf.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    val features = Array.fill(n)(new Array[Array[Float]](nFeatures))
    (0 until nFeatures).foreach { f =>
      var i = 0
      while (i < n) { val a = new Array[Float](rows(f).toInt); floats.get(a); features(i)(f) = a; i += 1 }
    }
    val labelRow = rows(nFeatures).toInt
    Array.tabulate(n) { i =>
      val label = new Array[Float](labelRow)
      floats.get(label)
      Sample.fromArrays(features(i), featureShapes, label, if (labelShape == null) Array(0) else labelShape)
    }
  }

  // ------------------------------------------------------------------ DataFrame rows

  /**
   * A sample from one DataFrame row's feature and label values. Features: a Spark ML or MLlib `Vector`,
   * or an array column (of any numeric type, nested arrays flattened row-major); `featureShape` (empty:
   * the flat length) reshapes them. Label: a number (a class index or a scalar target, shape []) or a
   * vector/array (shape [length]); null for no label (prediction).
   */
  def sampleFromRow(features: Any, label: Any, featureShape: Array[Int]): Sample = {
    val x = numbers(features, "features")
    val shape = if (featureShape == null || featureShape.isEmpty) Array(x.length) else featureShape
    require(count(shape) == x.length,
      s"features: a row has ${x.length} values, which does not fit the feature shape ${shape.mkString("[", ", ", "]")}")
    label match {
      case null => Sample.fromArrays(Array(x), Array(shape), Array.emptyFloatArray, Array(0))
      case v: java.lang.Number => Sample.fromArrays(Array(x), Array(shape), Array(v.floatValue), Array.emptyIntArray)
      case other =>
        val y = numbers(other, "label")
        Sample.fromArrays(Array(x), Array(shape), y, Array(y.length))
    }
  }

  private def numbers(value: Any, what: String): Array[Float] = value match {
    case v: org.apache.spark.ml.linalg.Vector    => v.toArray.map(_.toFloat)
    case v: org.apache.spark.mllib.linalg.Vector => v.toArray.map(_.toFloat)
    case s: scala.collection.Seq[_]              => s.iterator.flatMap(e => numbers(e, what).iterator).toArray
    case a: Array[_]                             => a.iterator.flatMap(e => numbers(e, what).iterator).toArray
    case n: java.lang.Number                     => Array(n.floatValue)
    case null => throw new IllegalArgumentException(s"$what: null value in a row (drop or impute missing values)")
    case other => throw new IllegalArgumentException(
      s"$what: expected a vector, an array of numbers or a number, got ${other.getClass.getName}")
  }
}
