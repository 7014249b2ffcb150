package ember.nn

import java.util.Random

import ember.tensor.{Activity, RandomGenerator, Table, Tensor}
import ember.tensor.dnn.RnnKernel
import org.scalatest.funsuite.AnyFunSuite

/**
 * The two kernel sets of the recurrent layers against each other: oneDNN's RNN primitives ([[RnnKernel]]) and
 * the JVM loops of [[Cell]], on LSTM and GRU of several shapes, with and without initial states, as one step,
 * and inside BiRecurrent: outputs, input and state gradients, and parameter gradients (accumulated over two
 * backward passes). The registry checks run on both kernel sets in ModuleDbSuite / ModuleDbJvmKernelsSuite. Both
 * sides compute in float32
 * with different summation orders and activation approximations: atol 2e-5, rtol 2e-4.
 */
class RecurrentKernelsSuite extends AnyFunSuite {
  import GradientCheck.{copyOf, leaves}

  private val (atol, rtol) = (2e-5, 2e-4)

  test("oneDNN loads on this linux-x86_64 machine (otherwise the comparisons below would compare the JVM with itself)") {
    assume(!sys.env.get("EMBER_KERNELS").exists(_.equalsIgnoreCase("jvm")), "EMBER_KERNELS=jvm")
    assert(ember.tensor.dnn.Dnn.enabled)
  }

  private def cells(m: Module): Seq[Cell] = Module.descendants(m).collect { case c: Cell => c }

  /** (outputs, input gradients, parameter gradients) of two forward + backward passes on the chosen kernels. */
  private def run(make: () => Module, x: Activity, dnn: Boolean, evaluate: Boolean = false): (Seq[Tensor], Seq[Tensor], Seq[Tensor]) = {
    RandomGenerator.setSeed(42)
    val m = make()
    cells(m).foreach(_.useDnn(dnn))
    if (evaluate) m.evaluate()
    m.zeroGradParameters()
    val y = m.forward(copyOf(x))
    val g = copyOf(y)
    leaves(g).foreach { t => val r = new Random(7); t.apply1(_ => r.nextGaussian().toFloat) }
    val out = leaves(y).map(_.clone())
    val gIn = leaves(m.backward(copyOf(x), g)).map(_.clone())
    m.forward(copyOf(x)); m.backward(copyOf(x), g)
    (out, gIn, m.namedParameters.map(_._2.grad.clone()))
  }

  private def compare(name: String, make: () => Module, x: Activity, evaluate: Boolean = false): Unit = {
    val (yd, gd, pd) = run(make, x, dnn = true, evaluate)
    val (yj, gj, pj) = run(make, x, dnn = false, evaluate)
    for ((what, a, b) <- Seq(("output", yd, yj), ("input gradient", gd, gj), ("parameter gradient", pd, pj))) {
      assert(a.length == b.length, s"$name: $what count")
      for ((u, v) <- a.zip(b)) {
        assert(u.sameShape(v), s"$name: $what shape ${u.shapeString} vs ${v.shapeString}")
        val diff = u.clone().sub(v).abs().max()
        assert(u.almostEqual(v, atol, rtol), s"$name: $what differs between oneDNN and the JVM by up to $diff")
      }
    }
  }

  private def normal(seed: Long, shape: Int*): Tensor = Tensor.normal(new Random(seed), 0f, 1f, shape: _*)

  for ((b, t, i, h) <- Seq((2, 5, 3, 4), (3, 1, 2, 3), (4, 7, 6, 5), (1, 3, 8, 16))) {
    test(s"LSTM and GRU over [$b, $t, $i] -> $h: oneDNN equals the JVM loops") {
      compare("LSTM", () => new Recurrent().add(new LSTM(i, h)), normal(1, b, t, i))
      compare("GRU", () => new Recurrent().add(new GRU(i, h)), normal(2, b, t, i))
    }
  }

  test("initial states given: gradients of h0 (and c0) agree") {
    compare("LSTM (x, h0, c0)", () => new Recurrent().add(new LSTM(3, 4)), Table(normal(1, 2, 5, 3), normal(2, 2, 4), normal(3, 2, 4)))
    compare("LSTM (x, h0)", () => new Recurrent().add(new LSTM(3, 4)), Table(normal(1, 2, 5, 3), normal(2, 2, 4)))
    compare("GRU (x, h0)", () => new Recurrent().add(new GRU(3, 4)), Table(normal(4, 2, 5, 3), normal(5, 2, 4)))
  }

  test("one step as a module (LSTM with the cell-state gradient, GRU)") {
    compare("LSTM step", () => new LSTM(3, 4), Table(normal(1, 2, 3), normal(2, 2, 4), normal(3, 2, 4)))
    compare("GRU step", () => new GRU(3, 4), Table(normal(1, 2, 3), normal(2, 2, 4)))
  }

  test("BiRecurrent (add and concat) over both kernel sets") {
    compare("BiRecurrent(add) LSTM", () => new BiRecurrent().add(new LSTM(3, 4)), normal(1, 2, 6, 3))
    compare("BiRecurrent(concat) GRU", () => new BiRecurrent("concat").add(new GRU(3, 4)), normal(2, 3, 4, 3))
  }

  test("evaluation mode: the inference forward agrees, and backward after it still works") {
    compare("LSTM eval", () => new Recurrent().add(new LSTM(3, 4)), normal(1, 2, 5, 3), evaluate = true)
    compare("GRU eval", () => new Recurrent().add(new GRU(3, 4)), normal(2, 2, 5, 3), evaluate = true)
  }

  test("evaluation mode: weights changed between two forwards of the same shape are used (the kernel skips reloading only equal weights)") {
    for (make <- Seq(() => new LSTM(3, 4), () => new GRU(3, 4))) {
      RandomGenerator.setSeed(3)
      val dnn = new Recurrent().add(make()).evaluate()
      val jvm = new Recurrent().add(dnn.cell.cloneModule().asInstanceOf[Cell].useDnn(false)).evaluate()
      val x = normal(4, 2, 5, 3)
      assert(dnn.forward(x).toTensor.almostEqual(jvm.forward(x).toTensor, atol, rtol))
      val first = dnn.output.toTensor.clone()
      for (r <- Seq(dnn, jvm); (w, k) <- r.cell.namedParameters.map(_._2.value).zipWithIndex) w.add(0.05f * (k + 1))
      val (yd, yj) = (dnn.forward(x).toTensor, jvm.forward(x).toTensor)
      assert(yd.almostEqual(yj, atol, rtol), s"${dnn.cell}: output after the weights changed")
      assert(!yd.almostEqual(first, atol, rtol), s"${dnn.cell}: the changed weights made no difference")
      assert(dnn.cell.ranOnDnn)
    }
  }

  test("batch sizes that share a padded plan (9 to 16 -> 16), shape changes and evicted plans stay correct, gradients included") {
    RandomGenerator.setSeed(1)
    val dnn = new Recurrent().add(new GRU(3, 4))
    val jvm = new Recurrent().add(dnn.cell.cloneModule().asInstanceOf[Cell].useDnn(false))
    // five sequence lengths in a row evict the first plans (four are kept), which are then built again
    val lengths = (1 to 5).map(t => Array(2, t, 3))
    for (shape <- Seq(Array(11, 4, 3), Array(13, 4, 3), Array(11, 4, 3), Array(2, 6, 3), Array(16, 4, 3)) ++ lengths :+ Array(13, 4, 3)) {
      val x = Tensor.normal(new Random(shape.sum.toLong), 0f, 1f, shape.toIndexedSeq: _*)
      val g = Tensor.normal(new Random(9), 0f, 1f, shape(0), shape(1), 4)
      Seq(dnn, jvm).foreach(_.zeroGradParameters())
      val what = s"shape ${shape.mkString("x")}"
      assert(dnn.forward(x).toTensor.almostEqual(jvm.forward(x).toTensor, atol, rtol), s"$what: output")
      assert(dnn.backward(x, g).toTensor.almostEqual(jvm.backward(x, g).toTensor, atol, rtol), s"$what: input gradient")
      for ((a, b) <- dnn.parameters()._2.zip(jvm.parameters()._2)) assert(a.almostEqual(b, atol, rtol), s"$what: parameter gradient")
      assert(dnn.cell.ranOnDnn && !jvm.cell.ranOnDnn, s"$what: kernel choice not followed")
    }
  }
}
