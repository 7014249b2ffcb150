package ember.io

import java.io.{ByteArrayOutputStream, File, IOException}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, StandardCopyOption}

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.{ArrayNode, ObjectNode}
import ember.nn.{Container, Criterion, Module}
import ember.nn.quantized.QuantizedLayer
import ember.tensor.Tensor

/** The model file is missing, corrupt, of an unknown version, or names a class Ember cannot build. */
class ModelFileException(message: String, cause: Throwable = null) extends IOException(message, cause)

/**
 * Ember's one model file format, shared by Scala and Python: the safetensors layout.
 *
 * {{{
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][raw little-endian F32 tensor data]
 * }}}
 * The header maps each tensor name ("0.weight", "3.running_mean") to its dtype, shape and byte range, as
 * safetensors does, so numpy or the `safetensors` package can read the weights. Its `__metadata__` (a
 * string map, as safetensors requires) holds `format` = "ember", `format_version`, and `model`: the module
 * structure as JSON, `{"class": ..., "args": {name: value, ...}, "children": [...], "name": ...}`, where
 * args are the constructor arguments in order ([[Module.config]]). Loading rebuilds each module by class
 * name with those arguments, then copies tensors by name, checking every shape.
 *
 * Tensors are F32, except the weights of int8 (quantized) layers, stored as I8 (one byte per weight). A file
 * with I8 tensors has format version 2, so an Ember that predates int8 refuses it with "unsupported model format
 * version" instead of misreading it; files without them stay version 1.
 */
object ModelFile {
  val FormatVersion = "1"
  /** The version of files holding int8 tensors. */
  val Int8FormatVersion = "2"
  private val mapper = new ObjectMapper()
  private val MaxHeader = 100L * 1024 * 1024

  /** Writes `module` to `path` atomically (temp file + rename): a failed save leaves no partial file. */
  def save(module: Module, path: String, overWrite: Boolean): Unit = {
    val target = FileChecks.forWriting(path, "model file", overWrite)
    val dir = Option(target.getAbsoluteFile.getParentFile).getOrElse(new File("."))
    if (!dir.isDirectory && !dir.mkdirs()) throw new IOException(s"cannot create directory $dir for $path")
    val tmp = File.createTempFile(s".${target.getName}.", ".tmp", dir)
    try {
      Files.write(tmp.toPath, toBytes(module))
      Files.move(tmp.toPath, target.toPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
    } finally tmp.delete()
  }

  def load(path: String): Module = {
    val f = FileChecks.forReading(path, "model file")
    try fromBytes(Files.readAllBytes(f.toPath))
    catch {
      case e: ModelFileException => throw new ModelFileException(s"$path: ${e.getMessage}", e.getCause)
      // a structure that names a real class but with arguments its constructor rejects, and the like
      case e: IllegalArgumentException => throw new ModelFileException(s"$path: ${e.getMessage}", e)
      case e: IndexOutOfBoundsException => throw new ModelFileException(s"$path: ${e.getMessage}", e)
    }
  }

  /** The whole file as bytes: tensors are the module's parameters followed by its buffers. */
  def toBytes(module: Module, extraMetadata: Map[String, String] = Map.empty): Array[Byte] = {
    val tensors = module.namedParameters.map { case (n, p) => n -> p.value } ++ module.namedBuffers
    val int8 = int8Names(module, "")
    writeTensors(tensors, Map("format" -> "ember", "format_version" -> (if (int8.isEmpty) FormatVersion else Int8FormatVersion),
      "model" -> mapper.writeValueAsString(structure(module))) ++ extraMetadata, int8)
  }

  /** Full names of the tensors the model file stores as I8: the int8 weights of quantized layers. */
  private def int8Names(m: Module, prefix: String): Set[String] = (m match {
    case q: QuantizedLayer => q.int8Buffers.map(prefix + _)
    case _ => Set.empty[String]
  }) ++ m.children.zipWithIndex.flatMap { case (c, i) => int8Names(c, s"$prefix$i.") }

  def fromBytes(bytes: Array[Byte]): Module = {
    val (meta, tensors) = readTensors(bytes)
    if (!meta.get("format").contains("ember")) throw new ModelFileException("not an Ember model file (no format=ember in its metadata)")
    if (!meta.get("format_version").exists(Set(FormatVersion, Int8FormatVersion)))
      throw new ModelFileException(s"unsupported model format version ${meta.getOrElse("format_version", "?")}; " +
        s"this Ember reads $FormatVersion and $Int8FormatVersion")
    val json = try mapper.readTree(meta.getOrElse("model", "")) catch {
      case e: Exception => throw new ModelFileException(s"corrupt model structure: ${e.getMessage}", e)
    }
    val module = ModuleSpec.build(json)
    assignTensors(module, tensors)
    module
  }

  /** The JSON structure of a module: class, constructor args, name and children. */
  def structure(module: Module): ObjectNode = ModuleSpec.describe(module)

  /** Copies `tensors` into the module's parameters and buffers by name, checking names and shapes. */
  def assignTensors(module: Module, tensors: Map[String, Tensor]): Unit = {
    val targets = module.namedParameters.map { case (n, p) => n -> p.value } ++ module.namedBuffers
    val missing = targets.map(_._1).filterNot(tensors.contains)
    if (missing.nonEmpty) throw new ModelFileException(s"tensors missing from the file: ${missing.mkString(", ")}")
    val unexpected = tensors.keySet -- targets.map(_._1)
    if (unexpected.nonEmpty) throw new ModelFileException(s"unexpected tensors in the file: ${unexpected.toSeq.sorted.mkString(", ")}")
    for ((name, t) <- targets) {
      val src = tensors(name)
      if (!src.sameShape(t)) throw new ModelFileException(
        s"tensor $name has shape ${src.shapeString} in the file but ${t.shapeString} in the model")
      t.copy(src)
    }
  }

  // ------------------------------------------------------------------ safetensors layout

  /** Serialises named tensors and string metadata in the safetensors layout: F32, or I8 for the names in `int8`
   * (whose values must be integers in -128..127). */
  def writeTensors(tensors: Seq[(String, Tensor)], metadata: Map[String, String], int8: Set[String] = Set.empty): Array[Byte] = {
    val header = mapper.createObjectNode()
    val metaNode = header.putObject("__metadata__")
    metadata.toSeq.sortBy(_._1).foreach { case (k, v) => metaNode.put(k, v) }
    var offset = 0L
    for ((name, t) <- tensors) {
      require(name != "__metadata__" && !header.has(name), s"duplicate or reserved tensor name $name")
      val entry = header.putObject(name)
      val width = if (int8(name)) 1 else 4
      entry.put("dtype", if (int8(name)) "I8" else "F32")
      val shape = entry.putArray("shape"); t.shape.foreach(s => shape.add(s))
      val range = entry.putArray("data_offsets"); range.add(offset); range.add(offset + width.toLong * t.nElement)
      offset += width.toLong * t.nElement
    }
    var headerBytes = mapper.writeValueAsBytes(header)
    val pad = (8 - headerBytes.length % 8) % 8 // data starts 8-byte aligned, as safetensors writes it
    headerBytes = headerBytes ++ Array.fill[Byte](pad)(' ')
    require(8L + headerBytes.length + offset <= Int.MaxValue, "model file over 2 GB is not supported")
    val buf = ByteBuffer.allocate((8 + headerBytes.length + offset).toInt).order(ByteOrder.LITTLE_ENDIAN)
    buf.putLong(headerBytes.length.toLong).put(headerBytes)
    for ((name, t) <- tensors) {
      val values = t.toArray
      if (int8(name)) values.foreach { v =>
        require(v == math.rint(v) && v >= -128f && v <= 127f, s"tensor $name is stored as I8 but holds $v")
        buf.put(v.toByte)
      }
      else { buf.asFloatBuffer().put(values); buf.position(buf.position() + 4 * values.length) }
    }
    buf.array()
  }

  /** Parses a safetensors byte array into (metadata, name -> tensor); F32, and I8 read as whole floats. */
  def readTensors(bytes: Array[Byte]): (Map[String, String], Map[String, Tensor]) = {
    if (bytes.length < 8) throw new ModelFileException(s"file too short (${bytes.length} bytes) to be a model file")
    val buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
    val n = buf.getLong(0)
    if (n <= 0 || n > MaxHeader || 8 + n > bytes.length)
      throw new ModelFileException(s"corrupt header length $n for a file of ${bytes.length} bytes")
    val header = try mapper.readTree(new String(bytes, 8, n.toInt, "UTF-8")) catch {
      case e: Exception => throw new ModelFileException(s"corrupt JSON header: ${e.getMessage}", e)
    }
    if (header == null || !header.isObject) throw new ModelFileException("corrupt header: not a JSON object")
    val dataStart = 8 + n.toInt
    val meta = Option(header.get("__metadata__")).map(fields).getOrElse(Map.empty).map { case (k, v) => k -> v.asText() }
    val tensors = fields(header).filter(_._1 != "__metadata__").map { case (name, e) => name -> readTensor(name, e, bytes, dataStart) }
    (meta, tensors)
  }

  private def readTensor(name: String, e: JsonNode, bytes: Array[Byte], dataStart: Int): Tensor = {
    val dtype = Option(e.get("dtype")).map(_.asText).getOrElse("?")
    if (dtype != "F32" && dtype != "I8") throw new ModelFileException(s"tensor $name has dtype $dtype; Ember reads F32 and I8")
    val width = if (dtype == "I8") 1 else 4
    val shapeNode = e.get("shape")
    if (shapeNode == null || !shapeNode.isArray || elements(shapeNode).exists(s => !s.canConvertToInt || !s.isIntegralNumber || s.asInt < 0))
      throw new ModelFileException(s"tensor $name: shape $shapeNode is not a list of non-negative ints")
    val shape = elements(shapeNode).map(_.asInt).toArray
    val rangeNode = elements(e.get("data_offsets"))
    if (rangeNode.length != 2 || rangeNode.exists(r => !r.isIntegralNumber || r.asLong < 0))
      throw new ModelFileException(s"tensor $name: data_offsets ${e.get("data_offsets")} are not two non-negative ints")
    val range = rangeNode.map(_.asLong)
    val (begin, end) = (dataStart + range(0), dataStart + range(1))
    val count = shape.foldLeft(1L)(_ * _)
    if (begin < dataStart || end > bytes.length || end - begin != width * count || count > Int.MaxValue)
      throw new ModelFileException(s"tensor $name: byte range [${range(0)}, ${range(1)}) does not fit shape " +
        s"${shape.mkString("[", ", ", "]")} in a file of ${bytes.length} bytes (truncated or corrupt)")
    val data = new Array[Float](count.toInt)
    if (width == 1) { var i = 0; while (i < data.length) { data(i) = bytes(begin.toInt + i).toFloat; i += 1 } }
    else ByteBuffer.wrap(bytes, begin.toInt, (end - begin).toInt).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data)
    Tensor.fromArray(data, shape)
  }

  private[io] def fields(node: JsonNode): Map[String, JsonNode] = {
    val b = Map.newBuilder[String, JsonNode]
    val it = node.properties().iterator()
    while (it.hasNext) { val e = it.next(); b += e.getKey -> e.getValue }
    b.result()
  }

  private[io] def elements(node: JsonNode): Seq[JsonNode] =
    if (node == null || !node.isArray) Nil else (0 until node.size).map(node.get)
}
