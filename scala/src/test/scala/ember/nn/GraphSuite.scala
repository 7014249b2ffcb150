package ember.nn

import java.util.Random

import ember.data.LocalDataSet
import ember.io.ModelFile
import ember.optim.{LocalOptimizer, MaxIteration, SGD}
import ember.tensor.{RandomGenerator, Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** The functional API: graphs against hand-composed references, training, freezing, the model file, errors. */
class GraphSuite extends AnyFunSuite {
  private def n(rng: Random, shape: Int*) = Tensor.normal(rng, 0f, 1f, shape: _*)

  test("a residual shortcut computes tanh(l1(x)) + l2(x); gradients of x add over both paths") {
    RandomGenerator.setSeed(1)
    val (l1, l2) = (new Linear(4, 4), new Linear(4, 4))
    val x = Input()
    val g = Graph(x, new CAddTable().inputs(new Tanh().inputs(l1.inputs(x)), l2.inputs(x)))
    val in = n(new Random(1), 3, 4)
    val y = g.forward(in).toTensor.clone()
    val ref = new Tanh().forward(l1.forward(in).clone()).clone().add(l2.forward(in))
    assert(y.almostEqual(ref, 1e-6, 1e-5))
    val go = n(new Random(2), 3, 4)
    val gi = g.updateGradInput(in, go).toTensor.clone()
    val t = new Tanh(); t.forward(l1.forward(in).clone())
    val refGi = l1.updateGradInput(in, t.updateGradInput(l1.output.toTensor, go)).clone().add(l2.updateGradInput(in, go))
    assert(gi.almostEqual(refGi, 1e-5, 1e-4))
  }

  /** User and item ids (one-hot) through their own towers, multiplied, scored: a two-tower recommender. */
  private def twoTower(users: Int, items: Int): Graph = {
    val (u, i) = (Input("user"), Input("item"))
    val uv = new Linear(users, 8).setName("userTower").inputs(u)
    val iv = new Linear(items, 8).setName("itemTower").inputs(i)
    val score = new Sigmoid().inputs(new Linear(8, 1).setName("score").inputs(new CMulTable().inputs(uv, iv)))
    Graph(Seq(u, i), Seq(score))
  }

  private def oneHot(ids: Array[Int], size: Int): Tensor = {
    val t = Tensor(ids.length, size); ids.zipWithIndex.foreach { case (id, r) => t.setValue(1f, r, id) }; t
  }

  test("two-tower recommender: two inputs as a table, trains with SGD (loss decreases)") {
    RandomGenerator.setSeed(4)
    val g = twoTower(6, 5)
    val rng = new Random(3)
    val (us, is) = (Array.fill(40)(rng.nextInt(6)), Array.fill(40)(rng.nextInt(5)))
    val target = Tensor.fromArray(us.zip(is).map { case (a, b) => if ((a + b) % 2 == 0) 1f else 0f }, 40, 1)
    val input = Table(oneHot(us, 6), oneHot(is, 5))
    val crit = new BCECriterion()
    val (w, gw) = g.getParameters()
    def step(): Float = {
      gw.zero()
      val loss = crit.forward(g.forward(input), target)
      g.backward(input, crit.backward(g.output, target))
      w.add(-2f, gw)
      loss
    }
    val first = step()
    var last = first
    for (_ <- 0 until 200) last = step()
    assert(last < first * 0.7, s"loss $first -> $last")
  }

  test("multiple outputs come as a table; a node that is also an output gets both gradients") {
    RandomGenerator.setSeed(5)
    val x = Input()
    val h = new Linear(3, 3).inputs(x)
    val a = new Tanh().inputs(h)
    val b = new Sigmoid().inputs(a)
    val g = Graph(Seq(x), Seq(a, b))
    val in = n(new Random(4), 2, 3)
    val out = g.forward(in).toTable
    assert(out.length == 2 && out(1).toTensor.almostEqual(new Sigmoid().forward(out(0).toTensor.clone()), 1e-6, 1e-5))
    val (ga, gb) = (n(new Random(6), 2, 3), n(new Random(7), 2, 3))
    val gi = g.updateGradInput(in, Table(ga, gb)).toTensor.clone()
    // reference: the gradient reaching Tanh's output is ga + sigmoid'(a) * gb, then tanh', then Linear
    val lin = g.children.collectFirst { case l: Linear => l }.get
    val (th, sg) = (new Tanh(), new Sigmoid())
    val hOut = lin.forward(in).clone()
    val aOut = th.forward(hOut).clone()
    sg.forward(aOut)
    val gA = ga.clone().add(sg.updateGradInput(aOut, gb))
    val expect = lin.updateGradInput(in, th.updateGradInput(hOut, gA).clone()).clone()
    assert(gi.almostEqual(expect, 1e-5, 1e-4), s"$gi vs $expect")
  }

  test("freeze: frozen layers get no gradient and LocalOptimizer leaves their weights unchanged; unFreeze trains them") {
    RandomGenerator.setSeed(6)
    val x = Input()
    val body = new Linear(4, 8).setName("body").inputs(x)
    val head = new Linear(8, 3).setName("head").inputs(new Tanh().inputs(body))
    val g = Graph(x, new LogSoftMax().inputs(head))
    val rng = new Random(8)
    val feats = Array.fill(64 * 4)(rng.nextGaussian().toFloat)
    val labels = Array.tabulate(64)(i => (if (feats(4 * i) > 0) 1 else 0).toFloat)
    val data = LocalDataSet.fromArrays(feats, Array(4), labels)
    g.freeze("body")
    assert(g.isFrozen == false && g.children.find(_.getName == "body").get.isFrozen)
    val bodyW0 = g.children.find(_.getName == "body").get.namedParameters.map(_._2.value.clone())
    val headW0 = g.children.find(_.getName == "head").get.namedParameters.map(_._2.value.clone())
    new LocalOptimizer(g, data, new ClassNLLCriterion(), 16).setModelReplicas(2)
      .setOptimMethod(new SGD(0.5, 0.0, 0.0, 0.9)).setEndWhen(MaxIteration(5)).optimize()
    val bodyW1 = g.children.find(_.getName == "body").get.namedParameters.map(_._2.value)
    val headW1 = g.children.find(_.getName == "head").get.namedParameters.map(_._2.value)
    assert(bodyW0.zip(bodyW1).forall { case (a, b) => a.almostEqual(b, 0, 0) }, "a frozen layer changed")
    assert(!headW0.zip(headW1).forall { case (a, b) => a.almostEqual(b, 0, 0) }, "the trainable layer did not change")
    // the frozen flag survives the model file (optimizer replicas and executors are built from it)
    assert(g.cloneModule().children.find(_.getName == "body").get.isFrozen)
    g.unFreeze("body")
    new LocalOptimizer(g, data, new ClassNLLCriterion(), 16)
      .setOptimMethod(new SGD(0.5)).setEndWhen(MaxIteration(2)).optimize()
    assert(!bodyW0.zip(g.children.find(_.getName == "body").get.namedParameters.map(_._2.value)).forall {
      case (a, b) => a.almostEqual(b, 0, 0) }, "unFreeze did not make the layer train")
    val e = intercept[IllegalArgumentException](g.freeze("nope"))
    assert(e.getMessage.contains("no module named 'nope'") && e.getMessage.contains("body"), e.getMessage)
  }

  test("graphs round-trip through the model file: wiring, names, weights and outputs") {
    RandomGenerator.setSeed(7)
    val g = twoTower(4, 3)
    val input = Table(oneHot(Array(0, 3, 1), 4), oneHot(Array(2, 0, 1), 3))
    val y = g.forward(input).toTensor.clone()
    val path = java.nio.file.Files.createTempFile("graph", ".ember")
    try {
      ModelFile.save(g, path.toString, overWrite = true)
      val back = ModelFile.load(path.toString)
      assert(back.isInstanceOf[Graph] && back.toString == g.toString)
      assert(back.children.map(_.getName) == g.children.map(_.getName))
      assert(back.forward(input).toTensor.almostEqual(y, 0, 0))
      assert(back.namedParameters.map(_._1) == g.namedParameters.map(_._1))
    } finally java.nio.file.Files.deleteIfExists(path)
  }

  test("errors: shared modules, unconnected or missing inputs, add(), wrong number of inputs") {
    val x = Input()
    val lin = new Linear(2, 2)
    val e1 = intercept[IllegalArgumentException](Graph(x, new CAddTable().inputs(lin.inputs(x), lin.inputs(x))))
    assert(e1.getMessage.contains("appears in two nodes"), e1.getMessage)
    val y = Input()
    val e2 = intercept[IllegalArgumentException](Graph(Seq(x, y), Seq(new Tanh().inputs(x))))
    assert(e2.getMessage.contains("does not lead to any output"), e2.getMessage)
    val free = new Linear(2, 2).inputs()
    val e3 = intercept[IllegalArgumentException](Graph(x, new CAddTable().inputs(new Tanh().inputs(x), free)))
    assert(e3.getMessage.contains("not one of the graph's inputs"), e3.getMessage)
    val g = Graph(Seq(x, y), Seq(new CAddTable().inputs(x, y)))
    intercept[IllegalArgumentException](g.add(new Tanh()))
    val e4 = intercept[IllegalArgumentException](g.forward(Table(Tensor(2))))
    assert(e4.getMessage.contains("2 inputs"), e4.getMessage)
  }
}
