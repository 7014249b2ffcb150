package ember.summary

import java.io.File
import java.nio.file.Files

import org.scalatest.funsuite.AnyFunSuite

class SummarySuite extends AnyFunSuite with org.scalatest.BeforeAndAfterAll {
  private val dirs = scala.collection.mutable.ArrayBuffer.empty[File]
  private def tempDir(): String = { val d = Files.createTempDirectory("ember-summary").toFile; dirs += d; d.getPath }
  override def afterAll(): Unit = dirs.foreach(d => org.apache.commons.io.FileUtils.deleteDirectory(d))

  test("scalars written as TFRecord events are read back, across writers (resumed runs)") {
    val dir = tempDir()
    val s = new TrainSummary(dir, "app")
    (1 to 5).foreach(i => s.addScalar("Loss", 1f / i, i).addScalar("Throughput", 100f * i, i))
    val loss = s.readScalar("Loss")
    assert(loss.map(_._1).toSeq == (1L to 5L) && loss.map(_._2).toSeq == (1 to 5).map(1f / _))
    assert(loss.forall(x => math.abs(x._3 - System.currentTimeMillis() / 1000.0) < 600))
    assert(s.readScalar("Throughput").map(_._2).toSeq == Seq(100f, 200f, 300f, 400f, 500f))
    assert(s.readScalar("Missing").isEmpty)
    s.close()
    val again = new TrainSummary(dir, "app")
    again.addScalar("Loss", 0.1f, 6)
    assert(again.readScalar("Loss").map(_._1).toSeq == (1L to 6L))
    val files = new File(dir, "app/train").listFiles().map(_.getName)
    assert(files.length == 2 && files.forall(_.startsWith("events.out.tfevents.")))
    val v = new ValidationSummary(dir, "app").addScalar("Top1Accuracy", 0.9f, 10)
    assert(v.dir == new File(dir, "app/validation") && v.readScalar("Top1Accuracy").head._2 == 0.9f)
    again.close(); v.close()
  }

  test("the record framing matches TensorFlow's (known masked CRC32C values, header layout)") {
    // crc32c("123456789") = 0xE3069283 (RFC 3720); masked = rotr15 + 0xa282ead8
    val crc = 0xe3069283
    assert(EventFile.maskedCrc("123456789".getBytes("US-ASCII"), 0, 9) == ((crc >>> 15) | (crc << 17)) + 0xa282ead8)
    val rec = EventFile.record(Array[Byte](1, 2, 3))
    assert(rec.length == 8 + 4 + 3 + 4 && rec(0) == 3 && rec.slice(1, 8).forall(_ == 0) && rec.slice(12, 15).toSeq == Seq[Byte](1, 2, 3))
    // Event{wall_time=1.5, step=7, summary{value{tag="a", simple_value=2}}}, encoded by hand from the .proto
    val expected = Array(0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 7, 0x2a, 10, 0x0a, 8, 0x0a, 1, 'a', 0x15, 0, 0, 0, 0x40).map(_.toByte)
    assert(EventFile.scalarEvent("a", 2f, 7, 1.5).toSeq == expected.toSeq)
  }

  test("a corrupt record is reported") {
    val dir = tempDir()
    val s = new TrainSummary(dir, "x").addScalar("Loss", 1f, 1)
    s.close()
    val f = new File(dir, "x/train").listFiles().head
    val bytes = Files.readAllBytes(f.toPath); bytes(bytes.length - 6) = (bytes(bytes.length - 6) ^ 1).toByte
    Files.write(f.toPath, bytes)
    assert(intercept[java.io.IOException](s.readScalar("Loss")).getMessage.contains("CRC mismatch"))
  }
}
