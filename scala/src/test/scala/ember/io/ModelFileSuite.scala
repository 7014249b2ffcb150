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
    m.save(path)
    val back = Module.load(path)
    assert(back.toString == m.toString)
    assert(back.forward(x).toTensor.almostEqual(m.forward(x).toTensor, 0, 0))
    assertThrows[java.nio.file.FileAlreadyExistsException](m.save(path))
  }

  test("a corrupt file gives a ModelFileException naming the problem") {
    val bytes = ModelFile.toBytes(new Linear(2, 2))
    val e = intercept[ModelFileException](ModelFile.fromBytes(bytes.take(bytes.length - 3)))
    assert(e.getMessage.contains("truncated"))
    val renamed = new String(bytes, "ISO-8859-1").replace("ember.nn.Linear", "ember.nn.Linaer").getBytes("ISO-8859-1")
    assert(intercept[ModelFileException](ModelFile.fromBytes(renamed)).getMessage.contains("unknown layer class 'ember.nn.Linaer'"))
  }
}
