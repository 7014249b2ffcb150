package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** Values of the table layers against direct computations, and their errors. */
class TableLayersSuite extends AnyFunSuite {
  private val rng = new Random(7)
  private def n(shape: Int*) = Tensor.normal(rng, 0f, 1f, shape: _*)

  test("JoinTable and SplitTable are inverse, values in place") {
    val (a, b) = (n(2, 3), n(2, 2))
    val j = new JoinTable(1).forward(Table(a, b)).toTensor
    assert(j.shape.toSeq == Seq(2, 5))
    for (r <- 0 until 2; c <- 0 until 5) assert(j(r, c) == (if (c < 3) a(r, c) else b(r, c - 3)))
    val x = n(3, 4, 2)
    val parts = new SplitTable(1).forward(x).toTable
    assert(parts.length == 4)
    for (s <- 0 until 4) assert(parts(s).toTensor.almostEqual(x.select(1, s).clone(), 0, 0))
    val back = new JoinTable(0, 2).forward(Table(parts.items.toSeq.map(p => p.toTensor.unsqueeze(1).clone()): _*)).toTensor
    assert(back.almostEqual(x, 0, 0))
  }

  test("CAddTable, CMulTable, SelectTable, FlattenTable") {
    val (a, b, c) = (n(2, 3), n(2, 3), n(2, 3))
    val s = new CAddTable().forward(Table(a, b, c)).toTensor
    val p = new CMulTable().forward(Table(a, b, c)).toTensor
    for (i <- 0 until 2; k <- 0 until 3) {
      assert(math.abs(s(i, k) - (a(i, k) + b(i, k) + c(i, k))) < 1e-6)
      assert(math.abs(p(i, k) - a(i, k) * b(i, k) * c(i, k)) < 1e-6)
    }
    assert(new SelectTable(-1).forward(Table(a, b, c)) eq c)
    val flat = new FlattenTable().forward(Table(a, Table(b, Table(c)))).toTable
    assert(flat.items.toSeq.map(_.toTensor) == Seq(a, b, c))
  }

  test("Concat joins branch outputs along a dimension; ConcatTable and ParallelTable build tables") {
    RandomGenerator.setSeed(1)
    val (l1, l2) = (new Linear(4, 3), new Linear(4, 2))
    val x = n(5, 4)
    val y = new Concat(1).add(l1).add(l2).forward(x).toTensor
    val (y1, y2) = (l1.forward(x).clone(), l2.forward(x).clone())
    assert(y.narrow(1, 0, 3).clone().almostEqual(y1, 0, 0) && y.narrow(1, 3, 2).clone().almostEqual(y2, 0, 0))
    val t = new ConcatTable().add(l1).add(l2).forward(x).toTable
    assert(t(0).toTensor.almostEqual(y1, 0, 0) && t(1).toTensor.almostEqual(y2, 0, 0))
    val z = n(5, 4)
    val pt = new ParallelTable().add(l1).add(l2).forward(Table(x, z)).toTable
    assert(pt(1).toTensor.almostEqual(l2.forward(z).clone(), 0, 0))
  }

  test("MapTable shares one set of weights across items, also after getParameters") {
    RandomGenerator.setSeed(2)
    val lin = new Linear(3, 2)
    val m = new MapTable(lin)
    assert(m.parameterCount == 8)
    val (w, g) = m.getParameters()
    val (a, b) = (n(2, 3), n(4, 3))
    m.forward(Table(a, b))
    w.fill(0.5f)
    val out = m.forward(Table(a, b)).toTable
    val ref = new Linear(3, 2); ref.weight.fill(0.5f); ref.bias.fill(0.5f)
    assert(out(1).toTensor.almostEqual(ref.forward(b), 1e-6, 1e-5))
    g.zero()
    m.backward(Table(a, b), Table(Tensor.ones(2, 2), Tensor.ones(4, 2)))
    // bias gradient = number of rows over both items
    assert(lin.gradBias.toArray.forall(_ == 6f))
  }

  test("TimeDistributed folds time into the batch") {
    RandomGenerator.setSeed(3)
    val lin = new Linear(3, 2)
    val x = n(2, 4, 3)
    val y = new TimeDistributed(lin).forward(x).toTensor
    assert(y.shape.toSeq == Seq(2, 4, 2))
    assert(y.select(0, 1).clone().almostEqual(lin.forward(x.select(0, 1).clone()), 1e-6, 1e-5))
  }

  test("errors name the layer and the problem") {
    val e1 = intercept[IllegalArgumentException](new JoinTable(1).forward(Table(n(2, 3), n(3, 3))))
    assert(e1.getMessage.contains("JoinTable") && e1.getMessage.contains("[3, 3]"), e1.getMessage)
    val e2 = intercept[IllegalArgumentException](new CAddTable().forward(n(2, 3)))
    assert(e2.getMessage.contains("expected a table"), e2.getMessage)
    val e3 = intercept[IllegalArgumentException](new SelectTable(3).forward(Table(n(1), n(1))))
    assert(e3.getMessage.contains("index 3"), e3.getMessage)
    val e4 = intercept[IllegalArgumentException](new ParallelTable().add(new Tanh()).forward(Table(n(1), n(1))))
    assert(e4.getMessage.contains("2 items for 1 modules"), e4.getMessage)
    intercept[IllegalArgumentException](new MapTable(new Tanh()).add(new Tanh()))
    val e5 = intercept[IllegalArgumentException](new TimeDistributed(new Tanh()).forward(n(2, 3)))
    assert(e5.getMessage.contains("[batch, time, ...]"))
  }
}
