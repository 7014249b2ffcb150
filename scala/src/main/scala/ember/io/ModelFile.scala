package ember.io

import java.io.{BufferedOutputStream, ByteArrayOutputStream, File, IOException, OutputStream}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.channels.FileChannel
import java.nio.file.{Files, StandardCopyOption, StandardOpenOption}

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.{ArrayNode, ObjectNode}
import ember.nn.{Module, ModuleSpec, ModuleSpecException}
import ember.nn.ModuleSpec.{elements, fields}
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
 *
 * Size: no byte array or buffer holds a whole file. [[save]] streams the tensors to the file and [[load]] reads
 * them from its channel piece by piece; in memory a file is a list of chunks ([[toChunks]] / [[fromChunks]],
 * [[DefaultChunkBytes]] each), so models beyond 2 GB of parameters (more than 2^29 floats) save, load, clone
 * and travel by broadcast. [[toBytes]] / [[fromBytes]] (one array) remain for small models and refuse 2 GB.
 * A single tensor holds at most 2^31 - 1 values (one JVM float array).
 */
object ModelFile {
  val FormatVersion = "1"
  /** The version of files holding int8 tensors. */
  val Int8FormatVersion = "2"
  private val mapper = new ObjectMapper()
  private val MaxHeader = 100L * 1024 * 1024
  /** The size of the chunks of [[toChunks]] (the last one is shorter). */
  val DefaultChunkBytes: Int = 64 << 20
  /** Values converted per piece when tensors are written or read (a 4 MB scratch buffer). */
  private val PieceValues = 1 << 20

  /** Writes `module` to `path` atomically (temp file + rename): a failed save leaves no partial file. */
  def save(module: Module, path: String, overWrite: Boolean): Unit = {
    val target = FileChecks.forWriting(path, "model file", overWrite)
    val dir = Option(target.getAbsoluteFile.getParentFile).getOrElse(new File("."))
    if (!dir.isDirectory && !dir.mkdirs()) throw new IOException(s"cannot create directory $dir for $path")
    val tmp = File.createTempFile(s".${target.getName}.", ".tmp", dir)
    try {
      writeFile(tmp, out => writeTo(module, out))
      Files.move(tmp.toPath, target.toPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
    } finally tmp.delete()
  }

  /** Writes `file` through `write` (buffered), closing it also when `write` fails. */
  private[ember] def writeFile(file: File, write: OutputStream => Unit): Unit = {
    val out = new BufferedOutputStream(Files.newOutputStream(file.toPath), 1 << 20)
    try write(out) finally out.close()
  }

  def load(path: String): Module = load(path, trustForeignCode = false)

  /**
   * Loads a model file. A model whose modules run outside code (Python functions through jep, [[ember.nn.ForeignCode]])
   * loads only with `trustForeignCode`; otherwise the error names the Python modules it would import. Building the
   * modules runs none of that code, so the check comes after reading.
   */
  def load(path: String, trustForeignCode: Boolean): Module = {
    val f = FileChecks.forReading(path, "model file")
    val module = try withFile(f)(fromSource)
    catch {
      case e: ModelFileException => throw new ModelFileException(s"$path: ${e.getMessage}", e.getCause)
      // a structure that names a real class but with arguments its constructor rejects, and the like
      case e: IllegalArgumentException => throw new ModelFileException(s"$path: ${e.getMessage}", e)
      case e: IndexOutOfBoundsException => throw new ModelFileException(s"$path: ${e.getMessage}", e)
    }
    requireTrusted(module, path, trustForeignCode, "load it with trust_python_code=True (Scala: ModelFile.load(path, " +
      "trustForeignCode = true))")
    module
  }

  /**
   * Refuses `module`, read from `source`, when it runs outside code (see [[ember.nn.ForeignCode]]) and the caller did
   * not say it trusts it; the error names the Python modules and `howToTrust`.
   */
  def requireTrusted(module: Module, source: String, trusted: Boolean, howToTrust: String): Unit = {
    val code = ember.nn.ForeignCode.required(module)
    if (code.nonEmpty && !trusted) throw new ModelFileException(s"$source: the model runs Python code from the " +
      s"modules ${code.mkString(", ")}; $howToTrust only if you trust the file and those modules")
  }

  /** The whole file as one byte array (models under 2 GB): tensors are the module's parameters followed by its buffers. */
  def toBytes(module: Module, extraMetadata: Map[String, String] = Map.empty): Array[Byte] =
    oneArray(out => writeTo(module, out, extraMetadata))

  /** The whole file as chunks of `chunkBytes` (the last one shorter): any size of model. */
  def toChunks(module: Module, chunkBytes: Int = DefaultChunkBytes): Array[Array[Byte]] = {
    val out = new ChunkedOutput(chunkBytes)
    writeTo(module, out)
    out.chunks
  }

  /** Streams the model file of `module` to `out` (not closed). */
  def writeTo(module: Module, out: OutputStream, extraMetadata: Map[String, String] = Map.empty): Unit = {
    val tensors = module.namedParameters.map { case (n, p) => n -> p.value } ++ module.namedBuffers
    val int8 = int8Names(module, "")
    writeTensors(tensors, Map("format" -> "ember", "format_version" -> (if (int8.isEmpty) FormatVersion else Int8FormatVersion),
      "model" -> mapper.writeValueAsString(structure(module))) ++ extraMetadata, int8, out)
  }

  /** What `write` writes, as one array; refuses 2 GB and more (use the chunks or a file). */
  private def oneArray(write: OutputStream => Unit): Array[Byte] = {
    val out = new ChunkedOutput(DefaultChunkBytes)
    write(out)
    require(out.size <= Int.MaxValue - 16, s"a model file of ${out.size} bytes does not fit one byte array " +
      "(2 GB): save it to a file (save) or as chunks (toChunks)")
    val all = new Array[Byte](out.size.toInt)
    var at = 0
    out.chunks.foreach { c => System.arraycopy(c, 0, all, at, c.length); at += c.length }
    all
  }

  /** Full names of the tensors the model file stores as I8: the int8 weights of quantized layers. */
  private def int8Names(m: Module, prefix: String): Set[String] = (m match {
    case q: QuantizedLayer => q.int8Buffers.map(prefix + _)
    case _ => Set.empty[String]
  }) ++ m.children.zipWithIndex.flatMap { case (c, i) => int8Names(c, s"$prefix$i.") }

  def fromBytes(bytes: Array[Byte]): Module = fromSource(ByteSource(Array(bytes)))

  /** A module from the chunks of [[toChunks]] (any chunk sizes, in order). */
  def fromChunks(chunks: Array[Array[Byte]]): Module = fromSource(ByteSource(chunks))

  /**
   * A module from a file of `length` bytes in chunks of `chunkBytes` (the last one shorter) that `chunk` fetches when
   * needed: the file is read front to back, holding one chunk at a time (a file of any size, never whole in memory).
   */
  def fromChunks(length: Long, chunkBytes: Int, chunk: Int => ByteBuffer): Module = fromSource(ByteSource(length, chunkBytes, chunk))

  private def fromSource(source: ByteSource): Module = {
    val (meta, entries, dataStart) = readHeader(source)
    if (!meta.get("format").contains("ember")) throw new ModelFileException("not an Ember model file (no format=ember in its metadata)")
    if (!meta.get("format_version").exists(Set(FormatVersion, Int8FormatVersion)))
      throw new ModelFileException(s"unsupported model format version ${meta.getOrElse("format_version", "?")}; " +
        s"this Ember reads $FormatVersion and $Int8FormatVersion")
    val json = try mapper.readTree(meta.getOrElse("model", "")) catch {
      case e: Exception => throw new ModelFileException(s"corrupt model structure: ${e.getMessage}", e)
    }
    val module = try ModuleSpec.build(json) catch {
      case e: ModuleSpecException => throw new ModelFileException(e.getMessage, e.getCause)
    }
    // each tensor is read straight into its parameter or buffer: no second copy of a large model in memory
    val targets = module.namedParameters.map { case (n, p) => n -> p.value } ++ module.namedBuffers
    checkNames(targets.map(_._1), entries.keySet)
    for ((name, t) <- targets) {
      val (shape, width, begin) = layoutOf(name, entries(name), source, dataStart)
      if (!java.util.Arrays.equals(shape, t.shape)) throw new ModelFileException(
        s"tensor $name has shape ${shape.mkString("[", ", ", "]")} in the file but ${t.shapeString} in the model")
      if (t.isContiguous) readValues(source, begin, width, t.storage, t.offset, t.nElement)
      else t.copy(readTensor(name, entries(name), source, dataStart))
    }
    module
  }

  private def checkNames(targets: Seq[String], inFile: collection.Set[String]): Unit = {
    val missing = targets.filterNot(inFile.contains)
    if (missing.nonEmpty) throw new ModelFileException(s"tensors missing from the file: ${missing.mkString(", ")}")
    val unexpected = inFile.filterNot(targets.toSet)
    if (unexpected.nonEmpty) throw new ModelFileException(s"unexpected tensors in the file: ${unexpected.toSeq.sorted.mkString(", ")}")
  }

  /** The JSON structure of a module: class, constructor args, name and children. */
  def structure(module: Module): ObjectNode = ModuleSpec.describe(module)

  /** Copies `tensors` into the module's parameters and buffers by name, checking names and shapes. */
  def assignTensors(module: Module, tensors: Map[String, Tensor]): Unit = {
    val targets = module.namedParameters.map { case (n, p) => n -> p.value } ++ module.namedBuffers
    checkNames(targets.map(_._1), tensors.keySet)
    for ((name, t) <- targets) {
      val src = tensors(name)
      if (!src.sameShape(t)) throw new ModelFileException(
        s"tensor $name has shape ${src.shapeString} in the file but ${t.shapeString} in the model")
      t.copy(src)
    }
  }

  // ------------------------------------------------------------------ safetensors layout

  /** Serialises named tensors and string metadata in the safetensors layout: F32, or I8 for the names in `int8`
   * (whose values must be integers in -128..127). One array: under 2 GB (see [[writeTensors]] to a stream). */
  def writeTensors(tensors: Seq[(String, Tensor)], metadata: Map[String, String], int8: Set[String] = Set.empty): Array[Byte] =
    oneArray(out => writeTensors(tensors, metadata, int8, out))

  /** [[writeTensors]] streamed to `out` (not closed), a piece of at most 4 MB converted at a time. */
  def writeTensors(tensors: Seq[(String, Tensor)], metadata: Map[String, String], int8: Set[String], out: OutputStream): Unit = {
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
    val buf = ByteBuffer.allocate(4 * PieceValues).order(ByteOrder.LITTLE_ENDIAN)
    buf.putLong(headerBytes.length.toLong)
    out.write(buf.array, 0, 8)
    out.write(headerBytes)
    for ((name, t0) <- tensors) {
      val t = t0.contiguous()
      val (values, start, n) = (t.storage, t.offset, t.nElement)
      var done = 0
      while (done < n) {
        val k = math.min(PieceValues, n - done)
        buf.clear()
        if (int8(name)) {
          var i = 0
          while (i < k) {
            val v = values(start + done + i)
            require(v == math.rint(v) && v >= -128f && v <= 127f, s"tensor $name is stored as I8 but holds $v")
            buf.put(v.toByte); i += 1
          }
          out.write(buf.array, 0, k)
        } else {
          buf.asFloatBuffer().put(values, start + done, k)
          out.write(buf.array, 0, 4 * k)
        }
        done += k
      }
    }
  }

  /** Parses a safetensors byte array into (metadata, name -> tensor); F32, and I8 read as whole floats. */
  def readTensors(bytes: Array[Byte]): (Map[String, String], Map[String, Tensor]) = readTensors(ByteSource(Array(bytes)))

  /** [[readTensors]] of a file, read from its channel piece by piece (any size). */
  def readTensorsFile(file: File): (Map[String, String], Map[String, Tensor]) = withFile(file)(src => readTensors(src))

  private def withFile[T](file: File)(read: ByteSource => T): T = {
    val channel = FileChannel.open(file.toPath, StandardOpenOption.READ)
    try read(ByteSource(channel)) finally channel.close()
  }

  private def readTensors(src: ByteSource): (Map[String, String], Map[String, Tensor]) = {
    val (meta, entries, dataStart) = readHeader(src)
    (meta, entries.map { case (name, e) => name -> readTensor(name, e, src, dataStart) })
  }

  /** The metadata, the tensors' header entries by name, and where the data starts. */
  private def readHeader(src: ByteSource): (Map[String, String], Map[String, JsonNode], Long) = {
    val length = src.length
    if (length < 8) throw new ModelFileException(s"file too short ($length bytes) to be a model file")
    val n = src.read(0, 8).getLong(0)
    if (n <= 0 || n > MaxHeader || 8 + n > length)
      throw new ModelFileException(s"corrupt header length $n for a file of $length bytes")
    val header = try mapper.readTree(new String(src.read(8, n.toInt).array, "UTF-8")) catch {
      case e: Exception => throw new ModelFileException(s"corrupt JSON header: ${e.getMessage}", e)
    }
    if (header == null || !header.isObject) throw new ModelFileException("corrupt header: not a JSON object")
    val dataStart = 8 + n
    val meta = Option(header.get("__metadata__")).map(fields).getOrElse(Map.empty).map { case (k, v) => k -> v.asText() }
    (meta, fields(header).filter(_._1 != "__metadata__"), dataStart)
  }

  private def readTensor(name: String, e: JsonNode, src: ByteSource, dataStart: Long): Tensor = {
    val (shape, width, begin) = layoutOf(name, e, src, dataStart)
    val data = new Array[Float](shape.foldLeft(1)(_ * _))
    readValues(src, begin, width, data, 0, data.length)
    Tensor.fromArray(data, shape)
  }

  /** `n` values of `width` bytes (4: F32, 1: I8) at `begin` of `src` into `dst(to until to + n)`, 4 MB at a time. */
  private def readValues(src: ByteSource, begin: Long, width: Int, dst: Array[Float], to: Int, n: Int): Unit = {
    var done = 0
    while (done < n) {
      val k = math.min(PieceValues, n - done)
      val piece = src.read(begin + width.toLong * done, width * k)
      if (width == 1) { var i = 0; while (i < k) { dst(to + done + i) = piece.get(i).toFloat; i += 1 } }
      else piece.asFloatBuffer().get(dst, to + done, k)
      done += k
    }
  }

  /** A tensor entry's shape, value width and first byte in `src`, checked against the header and the file's size. */
  private def layoutOf(name: String, e: JsonNode, src: ByteSource, dataStart: Long): (Array[Int], Int, Long) = {
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
    val count = shape.foldLeft(1L)((a, b) => if (a > Int.MaxValue) a else a * b)
    if (begin < dataStart || end > src.length || end - begin != width * count || count > Int.MaxValue)
      throw new ModelFileException(s"tensor $name: byte range [${range(0)}, ${range(1)}) does not fit shape " +
        s"${shape.mkString("[", ", ", "]")} in a file of ${src.length} bytes (truncated or corrupt)")
    (shape, width, begin)
  }
}

/**
 * An output stream into chunks of `chunkBytes` (the last one trimmed), kept in memory: no 2 GB limit. The chunk
 * being written starts small and doubles up to `chunkBytes` (see [[ChunkingOutput]]).
 */
private[ember] final class ChunkedOutput(chunkBytes: Int) extends ChunkingOutput(chunkBytes) {
  private val full = scala.collection.mutable.ArrayBuffer.empty[Array[Byte]]

  override protected def chunkFull(chunk: Array[Byte]): Array[Byte] = { full += chunk; null }

  /** The chunks written (the last one trimmed to its length). */
  def chunks: Array[Array[Byte]] = (full ++ lastChunk.toSeq).toArray
}

/** The bytes of a model file, read at any position: its file's channel or chunks in memory. */
private[io] trait ByteSource {
  def length: Long

  /** `n` bytes from `position` in a new little-endian buffer (its array holds exactly them); truncation is an error. */
  def read(position: Long, n: Int): ByteBuffer
}

private[io] object ByteSource {

  def apply(chunks: Array[Array[Byte]]): ByteSource = new ByteSource {
    private val starts = chunks.scanLeft(0L)(_ + _.length)
    override val length: Long = starts.last

    override def read(position: Long, n: Int): ByteBuffer = {
      if (position + n > length) throw new ModelFileException(s"truncated: $n bytes at $position of a file of $length bytes")
      val out = new Array[Byte](n)
      var c = java.util.Arrays.binarySearch(starts, position) match { case i if i >= 0 => i; case i => -i - 2 }
      var done = 0
      while (done < n) {
        while (starts(c + 1) <= position + done) c += 1
        val from = (position + done - starts(c)).toInt
        val k = math.min(n - done, chunks(c).length - from)
        System.arraycopy(chunks(c), from, out, done, k)
        done += k
      }
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN)
    }
  }

  /** Chunks fetched when first read, one kept (see [[ModelFile.fromChunks]]). */
  def apply(total: Long, chunkBytes: Int, fetch: Int => ByteBuffer): ByteSource = new ByteSource {
    require(chunkBytes > 0, s"chunk size must be > 0, got $chunkBytes")
    override val length: Long = total
    private var current = -1
    private var buf = ByteBuffer.allocate(0)

    override def read(position: Long, n: Int): ByteBuffer = {
      if (position + n > length) throw new ModelFileException(s"truncated: $n bytes at $position of a file of $length bytes")
      val out = new Array[Byte](n)
      var done = 0
      while (done < n) {
        val at = position + done
        val c = (at / chunkBytes).toInt
        if (c != current) { buf = fetch(c).duplicate(); current = c }
        val from = buf.position() + (at - c.toLong * chunkBytes).toInt
        val k = math.min(n - done, buf.limit() - from)
        if (k <= 0) throw new ModelFileException(s"truncated: chunk $c ends before byte $at of a file of $length bytes")
        buf.duplicate().position(from).get(out, done, k)
        done += k
      }
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN)
    }
  }

  def apply(channel: FileChannel): ByteSource = new ByteSource {
    override val length: Long = channel.size()

    override def read(position: Long, n: Int): ByteBuffer = {
      val buf = ByteBuffer.allocate(n)
      while (buf.hasRemaining)
        if (channel.read(buf, position + buf.position()) < 0)
          throw new ModelFileException(s"truncated: $n bytes at $position of a file of $length bytes")
      buf.flip()
      buf.order(ByteOrder.LITTLE_ENDIAN)
    }
  }
}
