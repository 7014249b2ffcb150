package ember.nn

import ember.tensor.{Activity, Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * `backward` with a gradOutput of the wrong shape names the layer, the expected and the given shape, for
 * Scala callers too, and also in the layers that override `backward` (containers, Linear and the
 * convolutions' one-pass backward, the recurrent and time-distributed wrappers).
 */
class GradOutputCheckSuite extends AnyFunSuite {

  private def t(shape: Int*): Tensor = Tensor(shape: _*).fill(0.5f)

  /** Forwards `input`, then requires backward with `badGrad` to fail with a message holding all of `parts`. */
  private def refuses(m: Module, input: Activity, badGrad: Activity, parts: String*): Unit = {
    m.forward(input)
    val e = intercept[IllegalArgumentException](m.backward(input, badGrad))
    parts.foreach(p => assert(e.getMessage.contains(p), s"$m: '${e.getMessage}' lacks '$p'"))
  }

  test("layers that override backward check gradOutput first (Tensor and Activity overloads)") {
    val lin = new Linear(3, 2)
    lin.forward(t(4, 3))
    // the Tensor overload, which a Scala caller with a Tensor in hand reaches
    assert(intercept[IllegalArgumentException](lin.backward(t(4, 3), t(2, 4))).getMessage ==
      "Linear: gradOutput of shape [2, 4] does not match the output shape [4, 2] of the last forward")
    refuses(new Linear(3, 2).setName("fc1"), t(4, 3), t(8), "fc1:", "[8]", "[4, 2]")
    refuses(new SpatialConvolution(1, 2, 3, 3), t(2, 1, 5, 5), t(2, 2, 9), "SpatialConvolution:", "[2, 2, 9]", "[2, 2, 3, 3]")
    refuses(new SpatialDilatedConvolution(1, 2, 3, 3), t(2, 1, 5, 5), t(2, 2, 3, 4), "SpatialDilatedConvolution:", "[2, 2, 3, 4]")
    refuses(new SpatialFullConvolution(1, 2, 3, 3), t(2, 1, 5, 5), t(2, 2, 5, 5), "SpatialFullConvolution:", "[2, 2, 7, 7]")
    refuses(new TemporalConvolution(3, 4, 2), t(2, 5, 3), t(2, 5, 4), "TemporalConvolution:", "[2, 5, 4]", "[2, 4, 4]")
    refuses(new Recurrent().add(new LSTM(3, 4)), t(2, 5, 3), t(2, 5, 3), "Recurrent:", "[2, 5, 3]", "[2, 5, 4]")
    refuses(new BiRecurrent().add(new LSTM(3, 4)), t(2, 5, 3), t(2, 4, 4), "BiRecurrent:", "[2, 4, 4]", "[2, 5, 4]")
    refuses(new TimeDistributed(new Linear(3, 2)), t(2, 5, 3), t(2, 5, 3), "TimeDistributed:", "[2, 5, 3]", "[2, 5, 2]")
  }

  test("containers check their own gradOutput, tables entry by entry") {
    refuses(new Sequential().add(new Linear(3, 2)).add(new ReLU()), t(4, 3), t(4, 3), "Sequential:", "[4, 3]", "[4, 2]")
    refuses(new Concat(1).add(new Linear(3, 2)).add(new Linear(3, 1)), t(4, 3), t(4, 2), "Concat:", "[4, 2]", "[4, 3]")
    val pair = Table(t(4, 3), t(4, 3))
    refuses(new ConcatTable().add(new Linear(3, 2)).add(new Linear(3, 1)), t(4, 3), Table(t(4, 2), t(4, 2)),
      "ConcatTable: gradOutput[1] of shape [4, 2] does not match the output[1] shape [4, 1]")
    refuses(new ConcatTable().add(new Linear(3, 2)).add(new Linear(3, 1)), t(4, 3), Table(t(4, 2)),
      "ConcatTable: gradOutput is a table of 1 entries but the output of the last forward has 2")
    refuses(new ParallelTable().add(new Linear(3, 2)).add(new Linear(3, 2)), pair, Table(t(4, 2), t(3, 2)),
      "ParallelTable: gradOutput[1] of shape [3, 2] does not match the output[1] shape [4, 2]")
    refuses(new MapTable(new Linear(3, 2)), pair, Table(t(4, 1), t(4, 2)), "MapTable: gradOutput[0] of shape [4, 1]", "[4, 2]")
    val in = Input()
    val g = Graph(in, new Linear(2, 5).inputs(new Linear(3, 2).inputs(in)))
    refuses(g, t(4, 3), t(4, 2), "Graph:", "[4, 2]", "[4, 5]")
  }

  test("a correct gradOutput still passes") {
    val ct = new ConcatTable().add(new Linear(3, 2)).add(new Linear(3, 1))
    val x = t(4, 3)
    ct.forward(x)
    assert(ct.backward(x, Table(t(4, 2), t(4, 1))).toTensor.shape.toSeq == Seq(4, 3))
  }
}
