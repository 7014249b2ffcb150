package ember.nn

import java.util.Random

import ember.io.ModelFile
import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.{Dnn, DnnOps}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/**
 * The registry's checks on the kernels chosen at start-up (oneDNN where it loads), with every oneDNN kernel of
 * [[DnnOps]] on, also those the layers leave to the JVM by default (ReLU, Tanh, ...).
 */
class ModuleDbSuite extends ModuleDbChecks(Dnn.startupKernels, DnnOps.all)

/** The same checks on the JVM kernels (the fallback, and `EMBER_KERNELS=jvm`). */
class ModuleDbJvmKernelsSuite extends ModuleDbChecks(Dnn.JvmKernels)

/** The generic checks, run for every entry of [[ModuleDb]] with the given kernel set. */
abstract class ModuleDbChecks(kernels: Dnn.Kernels, ops: Set[DnnOps.Op] = DnnOps.selected) extends AnyFunSuite
    with BeforeAndAfterAll {
  import GradientCheck.{copyOf, leaves}

  private var before: (Dnn.Kernels, Set[DnnOps.Op]) = null
  override def beforeAll(): Unit = { before = (Dnn.kernels, DnnOps.selected); Dnn.setKernels(kernels); DnnOps.select(ops) }
  override def afterAll(): Unit = { Dnn.setKernels(before._1); DnnOps.select(before._2) }

  test("the registry names are unique and cover every core layer and criterion") {
    val names = ModuleDb.all.map(_.name)
    assert(names.distinct.size == names.size, s"duplicate names: ${names.diff(names.distinct)}")
    val classes = ModuleDb.modules.map { c => RandomGenerator.setSeed(1); c.make().getClass.getSimpleName }.toSet ++
      ModuleDb.criterions.map(_.make().getClass.getSimpleName)
    val required = Set("Linear", "SpatialConvolution", "SpatialMaxPooling", "SpatialAveragePooling", "Reshape", "View",
      "ReLU", "Tanh", "Sigmoid", "SoftMax", "LogSoftMax", "Dropout", "Identity", "Sequential", "ClassNLLCriterion",
      "CrossEntropyCriterion", "MSECriterion", "BCECriterion")
    assert(required.subsetOf(classes), s"missing from the registry: ${required -- classes}")
  }

  for (c <- ModuleDb.modules) {
    test(s"${c.name}: numerical gradients of input and parameters") {
      val bad = GradientCheck.module(c)
      assert(bad.isEmpty, s"${bad.size} mismatches, first: ${bad.take(5).mkString("; ")}")
    }

    test(s"${c.name}: backward accumulates parameter gradients") {
      RandomGenerator.setSeed(5)
      val m = c.make()
      val x = c.input(new Random(5))
      m.zeroGradParameters()
      c.prepare(m); val xIn = copyOf(x); val y = m.forward(xIn)
      val g = copyOf(y)
      m.backward(xIn, copyOf(g))
      val once = m.namedParameters.map(_._2.grad.clone())
      c.prepare(m); val xIn2 = copyOf(x); m.forward(xIn2)
      m.backward(xIn2, copyOf(g))
      for ((p, g1) <- m.namedParameters.map(_._2.grad).zip(once))
        assert(p.almostEqual(g1.clone().mul(2f), 1e-5, 1e-4), s"${c.name}: second backward did not add to the gradients")
    }

    test(s"${c.name}: save/load round trip gives identical outputs, parameters and toString") {
      RandomGenerator.setSeed(11)
      val m = c.make().evaluate()
      val x = c.input(new Random(11))
      c.prepare(m) // layers that draw in evaluation mode too (GaussianSampler) draw the same both times
      val before = leaves(copyOf(m.forward(copyOf(x))))
      val back = ModelFile.fromBytes(ModelFile.toBytes(m)).evaluate()
      assert(back.getClass == m.getClass)
      assert(back.toString == m.toString)
      for ((a, b) <- back.namedParameters.zip(m.namedParameters)) {
        assert(a._1 == b._1)
        assert(a._2.value.almostEqual(b._2.value, 0, 0))
      }
      c.prepare(back)
      val after = leaves(back.forward(copyOf(x)))
      assert(after.size == before.size)
      for ((a, b) <- after.zip(before)) assert(a.almostEqual(b, 0, 0), s"output changed after reload: $a vs $b")
    }

    test(s"${c.name}: toString") {
      RandomGenerator.setSeed(1)
      val m = c.make()
      val s = m.toString
      assert(!s.contains("@"), s"default Object.toString: $s")
      if (c.repr != null) assert(s == c.repr)
      else assert(s.startsWith(m.getClass.getSimpleName), s)
    }
  }

  for (c <- ModuleDb.criterions) {
    test(s"${c.name}: numerical gradient of the input") {
      val bad = GradientCheck.criterion(c)
      assert(bad.isEmpty, s"${bad.size} mismatches, first: ${bad.take(5).mkString("; ")}")
    }

    test(s"${c.name}: rebuilt from its config gives the same loss and toString") {
      val crit = c.make()
      val rng = new Random(3)
      val (x, t) = (c.input(rng), c.target(rng))
      val back = ModuleSpec.buildCriterion(ModuleSpec.describe(crit))
      assert(back.getClass == crit.getClass)
      assert(back.toString == crit.toString)
      assert(back.forward(copyOf(x), t) == crit.forward(copyOf(x), t))
      if (c.repr != null) assert(crit.toString == c.repr)
    }

    test(s"${c.name}: loss is finite and gradient has the input's shape") {
      val crit = c.make()
      val rng = new Random(4)
      val (x, t) = (c.input(rng), c.target(rng))
      assert(!crit.forward(x, t).isNaN)
      for ((g, xi) <- leaves(crit.backward(x, t)).zip(leaves(x))) assert(g.sameShape(xi.asInstanceOf[Tensor]))
    }
  }
}
