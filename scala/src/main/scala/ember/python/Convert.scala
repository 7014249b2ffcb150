package ember.python

import java.io.{File, RandomAccessFile}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.channels.FileChannel

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
    if (t.isContiguous) fb.put(t.storage, t.offset, t.nElement) else fb.put(t.toArray)

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
}
