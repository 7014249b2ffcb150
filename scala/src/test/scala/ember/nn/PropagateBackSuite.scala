package ember.nn

import java.util.Random

import ember.models.ResNet
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** `setPropagateBack(false)`: the parameter gradients stay exactly the same, the input gradient is skipped. */
class PropagateBackSuite extends AnyFunSuite {

  private def model(): Sequential = new Sequential()
    .add(new Reshape(Array(2, 8, 8)))
    .add(new SpatialConvolution(2, 3, 3, 3)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new Reshape(Array(3 * 3 * 3))).add(new Linear(27, 5)).add(new LogSoftMax())

  /** Parameter gradients of one forward/backward, in namedParameters order. */
  private def gradients(m: Module, x: Tensor, y: Tensor): Seq[Array[Float]] = {
    val crit = new ClassNLLCriterion()
    m.zeroGradParameters()
    val out = m.forward(x)
    crit.forward(out, y)
    m.backward(x, crit.backward(out, y))
    m.namedParameters.map(_._2.grad.toArray)
  }

  test("without propagateBack, the parameter gradients are identical and the first trainable layer skips gradInput") {
    RandomGenerator.setSeed(11)
    val a = model()
    val b = a.cloneModule().asInstanceOf[Sequential]
    val rng = new Random(3)
    val x = Tensor.normal(rng, 0f, 1f, 4, 128)
    val y = Tensor.fromArray(Array(0f, 4f, 2f, 1f), 4)
    b.setPropagateBack(false)
    assert(!b.propagateBack && !b.children(1).propagateBack, "the first trainable layer gets the setting")
    assert(b.children.zipWithIndex.forall { case (m, i) => i == 1 || m.propagateBack }, "the others keep computing gradInput")
    val conv = b.children(1).asInstanceOf[SpatialConvolution]
    val before = conv.gradInput.toTensor.nElement
    val (ga, gb) = (gradients(a, x, y), gradients(b, x, y))
    assert(ga.length == gb.length)
    ga.zip(gb).foreach { case (p, q) => assert(p.toSeq == q.toSeq) }
    assert(conv.gradInput.toTensor.nElement == before, "the convolution's gradInput was not computed")
    assert(a.gradInput.toTensor.nElement == 4 * 128, "the default still computes the model's gradInput")
    b.setPropagateBack(true)
    gradients(b, x, y)
    assert(b.gradInput.toTensor.toArray.toSeq == a.gradInput.toTensor.toArray.toSeq, "switching back restores gradInput")
  }

  test("Linear skips its input gradient without propagateBack, with the same parameter gradients") {
    val rng = new Random(1)
    RandomGenerator.setSeed(1)
    val a = new Linear(6, 4)
    val b = a.cloneModule().setPropagateBack(false)
    val (x, g) = (Tensor.normal(rng, 0f, 1f, 3, 6), Tensor.normal(rng, 0f, 1f, 3, 4))
    a.forward(x); b.forward(x) // backward checks gradOutput against the output of the last forward
    a.backward(x, g)
    b.backward(x, g)
    assert(a.namedParameters.map(_._2.grad.toArray.toSeq) == b.namedParameters.map(_._2.grad.toArray.toSeq))
    assert(a.gradInput.toTensor.nElement == 18 && b.gradInput.toTensor.nElement != 18, "b computed no input gradient")
  }

  test("Graph without propagateBack: same parameter gradients, the first convolution computes no input gradient") {
    val rng = new Random(6)
    RandomGenerator.setSeed(6)
    val a = ResNet(10, 8)
    val b = a.cloneModule()
    b.setPropagateBack(false)
    val conv1 = b.asInstanceOf[Graph].children.find(_.getName == "conv1").get
    assert(!conv1.propagateBack, "the first convolution is told not to compute its input gradient")
    assert(b.children.filter(_.getName.startsWith("stage")).forall(_.propagateBack), "the later layers still do")
    val x = Tensor(2, 3, 32, 32).apply1(_ => rng.nextGaussian().toFloat)
    val y = Tensor.fromArray(Array(1f, 7f), 2)
    val before = conv1.gradInput.toTensor.nElement
    gradients(a, x, y).zip(gradients(b, x, y)).foreach { case (p, q) => assert(p.toSeq == q.toSeq) }
    assert(conv1.gradInput.toTensor.nElement == before, "no input gradient was computed")
    b.setPropagateBack(true)
    gradients(b, x, y)
    assert(b.gradInput.toTensor.toArray.toSeq == a.gradInput.toTensor.toArray.toSeq, "switching back restores gradInput")
  }
}
