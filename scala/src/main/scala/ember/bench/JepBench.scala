package ember.bench

import ember.jep.{PythonCriterion, PythonModule}
import ember.nn.{Identity, MSECriterion, Module, Sigmoid}
import ember.tensor.Tensor

/**
 * The cost of running a layer's functions in Python through jep (`ember.jep`) against a JVM layer, in CPU time of
 * the calling thread (jep runs Python in the thread that calls it, so Python's work is counted; steady on a shared
 * machine). Per case, one forward + backward of a batch: the identity (`PythonModule(identity, identity_backward)`
 * against `Identity`, so the difference is the cost of the calls: copying the arrays into numpy and back, the
 * interpreter's dispatch and the GIL), swish against `Sigmoid` (similar element-wise work), and the mean squared
 * error as `PythonCriterion` against `MSECriterion`. Prints one line per case:
 * `RESULT {"case": ..., "elements": ..., "python_us": ..., "jvm_us": ..., "overhead_us": ..., "ratio": ...}`
 * (medians of microseconds per forward + backward).
 *
 * {{{ EMBER_PYTHON=.venv/bin/python java -cp <ember.jar + spark jars> ember.bench.JepBench [--quick] }}}
 * (bench/jep.sh runs it).
 */
object JepBench {
  private val F = "ember.jep.functions"

  /** Median CPU microseconds per call of `body`, timed over batches of `calls` calls. */
  private def cpuMicros(calls: Int, reps: Int)(body: => Unit): Double =
    LayerBench.cpuTime(3, reps) { var i = 0; while (i < calls) { body; i += 1 } } * 1000.0 / calls

  private def module(m: Module, x: Tensor, g: Tensor): () => Unit = () => { m.forward(x); m.backward(x, g) }

  def main(args: Array[String]): Unit = {
    val (calls, reps) = if (args.contains("--quick")) (20, 5) else (100, 15)
    val rng = new java.util.Random(0)
    for ((batch, width) <- Seq((1, 1), (32, 64), (128, 1024))) {
      val x = Tensor.normal(rng, 0f, 1f, batch, width)
      val g = Tensor.normal(rng, 0f, 1f, batch, width)
      val cases = Seq(
        ("identity", module(new PythonModule(s"$F:identity", s"$F:identity_backward"), x, g), module(new Identity(), x, g)),
        ("swish_vs_sigmoid", module(new PythonModule(s"$F:swish", s"$F:swish_backward"), x, g), module(new Sigmoid(), x, g)), {
          val (pc, jc) = (new PythonCriterion(s"$F:mse_loss", s"$F:mse_gradient"), new MSECriterion())
          ("mse_criterion", () => { pc.forward(x, g); pc.backward(x, g); () }, () => { jc.forward(x, g); jc.backward(x, g); () })
        })
      for ((name, python, jvm) <- cases) {
        val p = cpuMicros(calls, reps)(python())
        val j = cpuMicros(calls, reps)(jvm())
        println(f"""RESULT {"case": "$name", "elements": ${batch * width}, "python_us": $p%.1f, "jvm_us": $j%.1f, """ +
          f""""overhead_us": ${p - j}%.1f, "ratio": ${p / math.max(j, 1e-3)}%.1f}""")
      }
    }
  }
}
