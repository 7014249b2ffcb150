package ember.tensor.dnn

import java.io.File
import java.net.URLClassLoader

import org.scalatest.funsuite.AnyFunSuite

import ember.nn._
import ember.tensor.{RandomGenerator, Tensor}

/**
 * Ember without oneDNN's jars on the classpath - an executor of a standalone cluster given only ember.jar
 * (`spark-submit --jars ember.jar`: the manifest's Class-Path names its sibling jars, which the executor's copy
 * does not have) - falls back to the JVM kernels: every layer builds and trains. The probe runs in a class loader
 * over this JVM's classpath minus the `dnnl-*` jars (parent: the platform loader, so nothing leaks in).
 */
class WithoutDnnlJarSuite extends AnyFunSuite {

  test("without oneDNN's jars the layers use the JVM kernels and give the JVM kernels' results") {
    val entries = System.getProperty("java.class.path").split(File.pathSeparator).toSeq
    val kept = entries.filterNot(e => new File(e).getName.startsWith("dnnl-"))
    assert(kept.size < entries.size, s"no dnnl jar on this test's classpath: $entries")
    val loader = new URLClassLoader(kept.map(e => new File(e).toURI.toURL).toArray, ClassLoader.getPlatformClassLoader)
    try {
      val probe = loader.loadClass("ember.tensor.dnn.WithoutDnnlProbe")
      val out = probe.getMethod("run").invoke(null).asInstanceOf[Array[Float]]
      val kernels = probe.getMethod("kernels").invoke(null).asInstanceOf[String]
      assert(kernels == "jvm", "oneDNN's classes are absent, so the JVM kernels")
      val expected = Dnn.withKernels(Dnn.JvmKernels)(WithoutDnnlProbe.run())
      assert(out.length == expected.length && out.length > 0)
      out.zip(expected).foreach { case (a, b) => assert(math.abs(a - b) <= 1e-6f * (1f + math.abs(b)), s"$a vs $b") }
    } finally loader.close()
  }
}

/** Builds every activation layer that has a oneDNN path, and a conv-BN-ReLU, runs forward and backward: outputs and
 * input gradients. */
object WithoutDnnlProbe {
  def kernels(): String = Dnn.kernelsName

  def run(): Array[Float] = {
    RandomGenerator.setSeed(11)
    val net = new Sequential().add(new Linear(6, 8)).add(new ReLU()).add(new ELU()).add(new LeakyReLU())
      .add(new ReLU6()).add(new SoftPlus()).add(new Tanh()).add(new Linear(8, 8)).add(new Sigmoid())
      .add(new Linear(8, 4)).add(new LogSoftMax())
    val x = Tensor(5, 6); val rng = new scala.util.Random(5); x.apply1(_ => rng.nextGaussian().toFloat)
    val y = net.forward(x).toTensor.toArray
    val g = Tensor(5, 4); g.apply1(_ => 0.25f)
    val gx = net.backward(x, g).toTensor.toArray
    // a convolution, batch norm and ReLU in training mode: what oneDNN would chain (ember.nn.TrainingFusion)
    val cnn = new Sequential().add(new SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1)).add(new SpatialBatchNormalization(3))
      .add(new ReLU(true))
    val img = Tensor(2, 2, 4, 4); img.apply1(_ => rng.nextGaussian().toFloat)
    val z = cnn.forward(img).toTensor.toArray
    val gImg = cnn.backward(img, Tensor(2, 3, 4, 4).fill(0.5f)).toTensor.toArray
    y ++ gx ++ z ++ gImg
  }
}
