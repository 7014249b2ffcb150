package ember.ml

import java.io.{FileNotFoundException, IOException}
import java.nio.charset.StandardCharsets
import java.util.UUID

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.ml.param.{ParamPair, Params}
import org.apache.spark.sql.SparkSession

/*
 * ML persistence of Ember's stages.
 *
 * A stage directory holds `metadata/part-00000`: one JSON line in Spark's own stage-metadata layout
 * (class, timestamp, sparkVersion, uid, paramMap, defaultParamMap), so Spark's and pyspark's Pipeline
 * readers find the class and call its `read.load`; plus whatever files the stage adds (`model.ember`: the
 * network as Ember's model file; `preprocessing/<i>`: nested stages).
 *
 * Saving is atomic: everything is written to a hidden sibling directory, which is renamed to the target
 * only when complete, so a failed save (a full disk, an unwritable network, a killed job) leaves nothing at
 * the target. MLWriter has already removed an existing target when overwrite() was asked.
 */
object StageIO {
  private val mapper = new ObjectMapper()

  /** The JSON line of `stage`'s metadata (its explicitly set and default params, JSON-encoded). */
  def metadataJson(stage: Params, sparkVersion: String, excluded: Set[String] = Set.empty): String = {
    val root = mapper.createObjectNode()
    root.put("class", stage.getClass.getName)
    root.put("timestamp", System.currentTimeMillis())
    root.put("sparkVersion", sparkVersion)
    root.put("uid", stage.uid)
    def encode(pairs: Seq[ParamPair[_]]) = {
      val node = mapper.createObjectNode()
      pairs.foreach { case ParamPair(p, v) => node.set[JsonNode](p.name, mapper.readTree(p.asInstanceOf[org.apache.spark.ml.param.Param[Any]].jsonEncode(v))) }
      node
    }
    root.set[JsonNode]("paramMap", encode(stage.extractParamMap().toSeq.filter(pp => stage.isSet(pp.param) && !excluded(pp.param.name))))
    root.set[JsonNode]("defaultParamMap", encode(stage.params.toSeq.flatMap(p => stage.getDefault(p).map(v => ParamPair(p.asInstanceOf[org.apache.spark.ml.param.Param[Any]], v)))))
    mapper.writeValueAsString(root)
  }

  /** Writes a stage atomically: metadata plus the files `extra(fs, dir)` adds to the (temporary) directory. */
  def save(stage: Params, path: String, spark: SparkSession, excluded: Set[String])(extra: (FileSystem, Path) => Unit): Unit = {
    val target = new Path(path)
    val fs = target.getFileSystem(spark.sparkContext.hadoopConfiguration)
    if (fs.exists(target)) throw new IOException(s"$path already exists; use write.overwrite().save(path)")
    val parent = Option(target.getParent).getOrElse(new Path("."))
    val tmp = new Path(parent, s".${target.getName}.${UUID.randomUUID()}.tmp")
    try {
      fs.mkdirs(new Path(tmp, "metadata"))
      writeString(fs, new Path(tmp, "metadata/part-00000"), metadataJson(stage, spark.version, excluded) + "\n")
      extra(fs, tmp)
      if (!fs.rename(tmp, target)) throw new IOException(s"could not move the saved stage into $path")
    } finally if (fs.exists(tmp)) fs.delete(tmp, true)
  }

  def writeString(fs: FileSystem, p: Path, s: String): Unit = writeBytes(fs, p, s.getBytes(StandardCharsets.UTF_8))

  def writeBytes(fs: FileSystem, p: Path, bytes: Array[Byte]): Unit = {
    val out = fs.create(p, false)
    try out.write(bytes) finally out.close()
  }

  /** The file's bytes in chunks of 64 MB (any size; see ember.io.ModelFile.fromChunks). */
  def readChunks(fs: FileSystem, p: Path): Array[Array[Byte]] = {
    if (!fs.exists(p)) throw new FileNotFoundException(s"missing $p (not a complete Ember stage directory)")
    val in = fs.open(p)
    val out = new ember.io.ChunkedOutput(ember.io.ModelFile.DefaultChunkBytes)
    try in.transferTo(out) finally in.close()
    out.chunks
  }

  def readBytes(fs: FileSystem, p: Path): Array[Byte] = {
    if (!fs.exists(p)) throw new FileNotFoundException(s"missing $p (not a complete Ember stage directory)")
    val in = fs.open(p)
    try in.readAllBytes() finally in.close()
  }

  /**
   * Loads the metadata of stage directory `path`, checks its class against `expected`, builds the stage
   * with its `(uid: String)` constructor and sets its params; `extra(fs, dir, stage)` then reads its files.
   */
  def load[T <: Params](path: String, expected: Class[T], spark: SparkSession)(extra: (FileSystem, Path, T) => Unit): T = {
    val dir = new Path(path)
    val fs = dir.getFileSystem(spark.sparkContext.hadoopConfiguration)
    val meta = mapper.readTree(new String(readBytes(fs, new Path(dir, "metadata/part-00000")), StandardCharsets.UTF_8))
    val cls = meta.get("class").asText
    val loaded = Class.forName(cls, true, Option(Thread.currentThread.getContextClassLoader).getOrElse(getClass.getClassLoader))
    require(expected.isAssignableFrom(loaded), s"$path holds a $cls, not a ${expected.getName}")
    val stage = loaded.getConstructor(classOf[String]).newInstance(meta.get("uid").asText).asInstanceOf[T]
    meta.get("paramMap").properties().asScala.foreach { e =>
      if (stage.hasParam(e.getKey)) {
        val p = stage.getParam(e.getKey).asInstanceOf[org.apache.spark.ml.param.Param[Any]]
        stage.set(p, p.jsonDecode(e.getValue.toString))
      }
    }
    extra(fs, dir, stage)
    stage
  }
}
