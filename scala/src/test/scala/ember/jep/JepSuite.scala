package ember.jep

import java.nio.file.Files
import java.util.Random

import ember.data.LocalDataSet
import ember.io.{ModelFile, ModelFileException}
import ember.nn.{Linear, MSECriterion, Sequential, Sigmoid}
import ember.optim.{LocalOptimizer, MaxEpoch, SGD}
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * Python inside the JVM from Scala: layers, Lambda and a criterion whose functions live in `ember.jep.functions`
 * (installed with Ember's Python package), against the same maths in Scala; local training through them; the
 * model file's trust rule. Uses the Python of $EMBER_PYTHON (build.sbt sets it for forked tests: the virtualenv).
 */
class JepSuite extends AnyFunSuite {

  private val F = "ember.jep.functions"
  private def normal(seed: Int, shape: Int*) = Tensor.normal(new Random(seed), 0f, 1f, shape: _*)

  test("PythonModule runs swish and its backward; they agree with the same formulas in Scala") {
    val m = new PythonModule(s"$F:swish", s"$F:swish_backward")
    val x = normal(1, 4, 5)
    val sig = x.clone().apply1(v => (1 / (1 + math.exp(-v))).toFloat)
    assert(m.forward(x).almostEqual(x.clone().cmul(sig), 1e-6, 1e-5))
    val g = normal(2, 4, 5)
    val ref = Tensor.fromArray(Array.tabulate(20) { i =>
      val (v, s) = (x.storage(i), sig.storage(i)); g.storage(i) * (s + v * s * (1 - s))
    }, 4, 5)
    assert(m.backward(x, g).almostEqual(ref, 1e-6, 1e-5))
    assert(m.codeModules == Seq(F))
  }

  test("Lambda reverses time and derives its gradient from element indices; a value function is refused") {
    val l = new Lambda(s"$F:reverse_time")
    val x = normal(3, 2, 4, 3)
    val y = l.forward(x)
    def step(t: Tensor, b: Int, s: Int) = t.select(0, b).select(0, s)
    for (b <- 0 until 2; t <- 0 until 4) assert(step(y, b, t).almostEqual(step(x, b, 3 - t)))
    val g = normal(4, 2, 4, 3)
    val gi = l.backward(x, g)
    for (b <- 0 until 2; t <- 0 until 4) assert(step(gi, b, t).almostEqual(step(g, b, 3 - t)))
    val swishAsLambda = new Lambda(s"$F:swish")
    swishAsLambda.forward(x)
    assert(intercept[IllegalArgumentException](swishAsLambda.backward(x, g)).getMessage.contains("not a selection"))
  }

  test("a model with a Python layer and a Python criterion trains locally; its file loads only with trust") {
    RandomGenerator.setSeed(9)
    val rng = new Random(5)
    val x = Tensor(256, 3).apply1(_ => rng.nextFloat() * 2 - 1)
    val w = Array(0.5f, -1f, 0.25f)
    val y = Tensor.fromArray(Array.tabulate(256)(i => if ((0 until 3).map(j => w(j) * x(i, j)).sum > 0) 1f else 0f),
      256, 1)
    val model = new Sequential().add(new Linear(3, 8)).add(new PythonModule(s"$F:swish", s"$F:swish_backward"))
      .add(new Linear(8, 1)).add(new Sigmoid())
    val criterion = new PythonCriterion(s"$F:mse_loss", s"$F:mse_gradient")
    val before = new MSECriterion().forward(model.predict(x), y)
    new LocalOptimizer(model, LocalDataSet.fromArrays(x.toArray, Array(3), y.toArray, Array(1)), criterion, 32)
      .setOptimMethod(new SGD(0.5)).setEndWhen(MaxEpoch(30)).optimize()
    val after = new MSECriterion().forward(model.predict(x), y)
    assert(after < before / 3, s"loss $before -> $after")
    assert(math.abs(criterion.forward(model.predict(x), y) - after) < 1e-5)

    val path = Files.createTempDirectory("jep").resolve("m.ember").toString
    ModelFile.save(model, path, overWrite = false)
    val e = intercept[ModelFileException](ModelFile.load(path))
    assert(e.getMessage.contains(s"modules $F") && e.getMessage.contains("trust_python_code=True"), e.getMessage)
    assert(ModelFile.load(path, trustForeignCode = true).predict(x).almostEqual(model.predict(x), 1e-6, 1e-5))
  }

  test("bad function names and Python errors give clear messages") {
    assert(intercept[IllegalArgumentException](new PythonModule("swish")).getMessage.contains("module:qualified.name"))
    assert(intercept[IllegalArgumentException](new PythonModule("__main__:f")).getMessage.contains("__main__"))
    val missing = new PythonModule(s"$F:no_such_function")
    assert(intercept[PythonCodeException](missing.forward(Tensor(2, 2))).getMessage.contains("no_such_function"))
    val noBackward = new PythonModule(s"$F:swish")
    noBackward.forward(Tensor(2, 2))
    val e = intercept[UnsupportedOperationException](noBackward.backward(Tensor(2, 2), Tensor(2, 2)))
    assert(e.getMessage.contains("no backward"))
  }
}
