package ember.summary

import java.io.{BufferedOutputStream, File, FileOutputStream}
import java.net.InetAddress

/**
 * Writes scalars to a TensorBoard event file in `logDir/appName/<folder>/events.out.tfevents.<secs>.<host>`
 * and reads them back ([[readScalar]]). Thread-safe; every write is flushed so TensorBoard (and Python's
 * `read_scalar`) see it at once. A new writer opens a new file; [[readScalar]] reads every event file of
 * the folder in order, so a resumed run appends to the same curves.
 */
abstract class Summary(val logDir: String, val appName: String, folder: String) {
  require(logDir != null && logDir.nonEmpty, "Summary: logDir must not be empty")
  require(appName != null && appName.nonEmpty && !appName.contains(File.separator),
    s"Summary: appName must be a non-empty name without '${File.separator}', got '$appName'")

  /** The folder this summary writes to. */
  val dir: File = new File(new File(logDir, appName), folder)
  private var out: BufferedOutputStream = null

  private def open(): BufferedOutputStream = {
    if (out == null) {
      if (!dir.isDirectory && !dir.mkdirs()) throw new java.io.IOException(s"cannot create summary directory $dir")
      val host = scala.util.Try(InetAddress.getLocalHost.getHostName).getOrElse("localhost")
      val now = System.currentTimeMillis()
      // A unique name even when two writers open within the same second (TensorBoard sorts by name).
      var f = new File(dir, s"events.out.tfevents.${now / 1000}.$host")
      var k = 1
      while (f.exists()) { f = new File(dir, s"events.out.tfevents.${now / 1000}.$host.$k"); k += 1 }
      out = new BufferedOutputStream(new FileOutputStream(f))
      out.write(EventFile.record(EventFile.versionEvent(now / 1000.0)))
    }
    out
  }

  /** Appends one scalar for `step`. */
  def addScalar(tag: String, value: Float, step: Long): this.type = synchronized {
    val o = open()
    o.write(EventFile.record(EventFile.scalarEvent(tag, value, step, System.currentTimeMillis() / 1000.0)))
    o.flush()
    this
  }

  /** All values of `tag` written to this summary's folder: (step, value, wall time), in write order. */
  def readScalar(tag: String): Array[(Long, Float, Double)] = synchronized {
    if (out != null) out.flush()
    val files = Option(dir.listFiles()).map(_.toSeq).getOrElse(Nil).filter(_.getName.startsWith("events.out.tfevents."))
    files.sortBy(f => (f.getName.split('.')(3).toLongOption.getOrElse(0L), f.getName)).flatMap(EventFile.readScalars(_, tag)).toArray
  }

  def close(): Unit = synchronized { if (out != null) { out.close(); out = null } }
}

/** Training curves (BigDL `TrainSummary`): Loss, Throughput and LearningRate per iteration, in `logDir/appName/train`. */
class TrainSummary(logDir: String, appName: String) extends Summary(logDir, appName, "train")

/** Validation scores by method name (BigDL `ValidationSummary`), in `logDir/appName/validation`. */
class ValidationSummary(logDir: String, appName: String) extends Summary(logDir, appName, "validation")
