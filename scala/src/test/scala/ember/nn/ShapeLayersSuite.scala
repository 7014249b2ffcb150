package ember.nn

import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

/** Reshape and View follow BigDL's batch rules; bad shapes give messages with both shapes. */
class ShapeLayersSuite extends AnyFunSuite {

  private def shapeOf(m: Module, dims: Int*): Seq[Int] = m.forward(Tensor(dims: _*)).toTensor.shape.toSeq

  test("Reshape keeps the batch dimension unless the input is exactly one sample") {
    val r = new Reshape(Array(1, 28, 28))
    assert(shapeOf(r, 128, 784) == Seq(128, 1, 28, 28))
    assert(shapeOf(r, 784) == Seq(1, 28, 28))
    assert(shapeOf(r, 1, 784) == Seq(1, 1, 28, 28)) // first dimension 1: a batch of one (BigDL's rule)
    assert(shapeOf(new Reshape(Array(192)), 64, 12, 4, 4) == Seq(64, 192))
    assert(intercept[IllegalArgumentException](shapeOf(new Reshape(Array(6), true), 6)).getMessage.contains("per sample"))
    assert(shapeOf(new Reshape(Array(2, 3), false), 1, 6) == Seq(2, 3))
    assert(shapeOf(new Reshape(Array(2, 3), true), 4, 3, 2) == Seq(4, 2, 3))
  }

  test("Reshape gradients come back in the input's shape and share its layout") {
    val r = new Reshape(Array(3, 2))
    val x = Tensor(5, 6)
    r.forward(x)
    assert(r.backward(x, Tensor(5, 3, 2)).shape.toSeq == Seq(5, 6))
  }

  test("View infers -1 and uses numInputDims to find the batch") {
    assert(shapeOf(new View(Array(-1)), 4, 3) == Seq(12))
    assert(shapeOf(new View(Array(3, -1)), 4, 3) == Seq(3, 4))
    assert(shapeOf(new View(Array(6)), 4, 2, 3) == Seq(4, 6))
    assert(shapeOf(new View(Array(6), 2), 1, 2, 3) == Seq(1, 6))
    assert(shapeOf(new View(Array(6), 2), 2, 3) == Seq(6))
    assert(shapeOf(new View(Array(3), 1), 5, 2, 3) == Seq(10, 3))
    assert(new View(Array(6)).setNumInputDims(2).numInputDims == 2)
  }

  test("mismatched sizes name the layer and both shapes") {
    assert(intercept[IllegalArgumentException](new Reshape(Array(5)).forward(Tensor(4, 6))).getMessage.stripPrefix("requirement failed: ") ==
      "Reshape: cannot reshape input of shape [4, 6] to [5] per sample: expected [batch] ++ 5 elements")
    assert(intercept[IllegalArgumentException](new View(Array(5)).forward(Tensor(4, 6))).getMessage.stripPrefix("requirement failed: ") ==
      "View: cannot view input of shape [4, 6] as [5]")
    assert(intercept[IllegalArgumentException](new Reshape(Array(0))).getMessage.contains("got [0]"))
    assert(intercept[IllegalArgumentException](new View(Array(-1, -1))).getMessage.contains("at most one -1"))
  }

  test("inside a Sequential, a wrong shape names the layer index") {
    val model = new Sequential().add(new SpatialConvolution(1, 2, 3, 3)).add(new SpatialConvolution(3, 2, 3, 3))
    val e = intercept[IllegalArgumentException](model.forward(Tensor(2, 1, 8, 8)))
    assert(e.getMessage.startsWith("in Sequential layer 1 (SpatialConvolution(3, 2, 3, 3)): "))
    assert(e.getMessage.contains("SpatialConvolution: expected input of shape [batch, 3, height, width]"))
    assert(e.getMessage.endsWith("got [2, 2, 6, 6]"))
  }
}
