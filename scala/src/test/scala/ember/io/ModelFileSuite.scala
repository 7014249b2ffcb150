package ember.io

import java.nio.file.Files

import ember.nn.{Linear, Module, Sequential}
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

class ModelFileSuite extends AnyFunSuite {
  test("save and load keep structure and weights") {
    RandomGenerator.setSeed(3)
    val m = new Sequential().add(new Linear(4, 3)).add(new Linear(3, 2, false))
    val x = Tensor.normal(new java.util.Random(1), 0f, 1f, 5, 4)
    val path = Files.createTempDirectory("ember").resolve("m.ember").toString
    ModelFile.save(m, path, overWrite = false)
    val back = ModelFile.load(path)
    assert(back.toString == m.toString)
    assert(back.forward(x).toTensor.almostEqual(m.forward(x).toTensor, 0, 0))
    assertThrows[java.nio.file.FileAlreadyExistsException](ModelFile.save(m, path, overWrite = false))
  }

  test("a corrupt file gives a ModelFileException naming the problem") {
    val bytes = ModelFile.toBytes(new Linear(2, 2))
    val e = intercept[ModelFileException](ModelFile.fromBytes(bytes.take(bytes.length - 3)))
    assert(e.getMessage.contains("truncated"))
    val renamed = new String(bytes, "ISO-8859-1").replace("ember.nn.Linear", "ember.nn.Linaer").getBytes("ISO-8859-1")
    assert(intercept[ModelFileException](ModelFile.fromBytes(renamed)).getMessage.contains("unknown layer class 'ember.nn.Linaer'"))
  }

  /** The file of a Linear(2, 2) with its weight's shape in the header replaced by `shapeJson`. */
  private def withShape(shapeJson: String): Array[Byte] = {
    val bytes = ModelFile.toBytes(new Linear(2, 2))
    val n = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0).toInt
    val header = new String(bytes, 8, n, "UTF-8")
    val edited = header.replace("\"shape\":[2,2]", "\"shape\":" + shapeJson).getBytes("UTF-8")
    assert(new String(edited, "UTF-8") != header)
    val out = java.nio.ByteBuffer.allocate(8 + edited.length + bytes.length - 8 - n).order(java.nio.ByteOrder.LITTLE_ENDIAN)
    out.putLong(edited.length.toLong).put(edited).put(bytes, 8 + n, bytes.length - 8 - n)
    out.array()
  }

  test("negative, fractional, non-list and mismatched shapes in the header are ModelFileExceptions") {
    for (shape <- Seq("[-2,-2]", "[2.5,2]", "4", "[1,4]")) { // same byte counts: only the shape check catches them
      val e = intercept[ModelFileException](ModelFile.fromBytes(withShape(shape)))
      assert(e.getMessage.contains("shape"), s"$shape: ${e.getMessage}")
    }
  }

  test("file-system failures name their cause: directory, a file on the way, an existing file") {
    val dir = Files.createTempDirectory("ember")
    val m = new Linear(2, 2)
    assert(intercept[IsADirectoryException](ModelFile.save(m, dir.toString, overWrite = false)).getMessage.contains(dir.toString))
    assertThrows[IsADirectoryException](ModelFile.load(dir.toString))
    val file = dir.resolve("plain")
    Files.write(file, Array[Byte](1, 2))
    assert(intercept[java.nio.file.NotDirectoryException](ModelFile.save(m, file.resolve("m.ember").toString, overWrite = false)).getMessage.contains("plain"))
    assertThrows[java.nio.file.NotDirectoryException](ModelFile.load(file.resolve("m.ember").toString))
    assertThrows[java.nio.file.NoSuchFileException](ModelFile.load(dir.resolve("none.ember").toString))
    assertThrows[java.nio.file.FileAlreadyExistsException](ModelFile.save(m, file.toString, overWrite = false))
  }

  test("chunks of any size and the file hold the same bytes as one array; loads read them piece by piece") {
    RandomGenerator.setSeed(4)
    // 1.1M weights: more than one 4 MB piece of reading and writing
    val m = new Sequential().add(new Linear(1100, 1000)).add(new Linear(1000, 3, false))
    val one = ModelFile.toBytes(m)
    for (size <- Seq(7, 4096, 1 << 20, ModelFile.DefaultChunkBytes)) {
      val chunks = ModelFile.toChunks(m, size)
      assert(chunks.forall(_.length <= size) && chunks.init.forall(_.length == size), s"chunk size $size")
      assert(java.util.Arrays.equals(chunks.flatten, one), s"chunk size $size")
      locally {
        val back = ModelFile.fromChunks(chunks)
        assert(back.namedParameters.map(_._2.value).zip(m.namedParameters.map(_._2.value)).forall { case (a, b) => a.almostEqual(b, 0, 0) })
      }
    }
    val path = Files.createTempDirectory("ember").resolve("m.ember")
    ModelFile.save(m, path.toString, overWrite = false)
    assert(java.util.Arrays.equals(Files.readAllBytes(path), one))
    val back = ModelFile.load(path.toString)
    assert(back.namedParameters.map(_._2.value).zip(m.namedParameters.map(_._2.value)).forall { case (a, b) => a.almostEqual(b, 0, 0) })
    // a truncated file still names the problem when read from its channel
    Files.write(path, one.take(one.length - 5))
    assert(intercept[ModelFileException](ModelFile.load(path.toString)).getMessage.contains("truncated"))
  }
}
