package ember.nn

import ember.models.{LeNet5, ResNet}
import ember.nn.quantized.Chain
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** LayerTimes: one entry per layer (Sequential and Graph opened, other containers whole), the model restored. */
class LayerTimesSuite extends AnyFunSuite {
  test("per-layer CPU times of a Sequential, a Graph and a quantized model, which are left as they were") {
    RandomGenerator.setSeed(1)
    val lenet = LeNet5(10).evaluate()
    val x = Tensor(4, 784).fill(0.5f)
    val before = lenet.forward(x).toTensor.clone()
    val rows = LayerTimes.forward(lenet, x, 1, 2)
    assert(rows.map(_._1.takeWhile(_ != ' ')) == lenet.children.indices.map(_.toString))
    assert(rows.forall(_._2 >= 0) && rows(1)._1.contains("SpatialConvolution"), rows)
    assert(lenet.children.forall(_.getClass.getName.startsWith("ember.nn.")) && lenet.forward(x).toTensor.almostEqual(before, 0, 0))

    val resnet = ResNet(10, 8).evaluate()
    val img = Tensor(2, 3, 32, 32).fill(0.1f)
    assert(LayerTimes.forward(resnet, img, 0, 1).length == resnet.children.length)
    val q = resnet.quantize(img)
    val qRows = LayerTimes.forward(q, img, 1, 1)
    assert(qRows.length == q.children.length && qRows.count(_._1.contains("Chain")) == 3, qRows.mkString("\n"))
    assert(q.children.count(_.isInstanceOf[Chain]) == 3)
    intercept[IllegalArgumentException](LayerTimes.forward(lenet, x, 0, 0))
  }
}
