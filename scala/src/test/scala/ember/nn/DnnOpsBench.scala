package ember.nn

import ember.bench.LayerBench
import ember.tensor.Tensor
import ember.tensor.dnn.{Dnn, DnnOps}

/**
 * Pooling, elementwise activations and softmax: thread CPU milliseconds of one forward + backward on the JVM
 * kernel against oneDNN, at the shapes of LeNet-5 and ResNet-20 (batch 128) and a few others, printed as JSON lines
 * with the ratio (oneDNN / JVM: below 1 means oneDNN is faster) and which kernel is the default ([[DnnOps]]).
 * Rounds alternate the kernel sets; each figure is the best median of its rounds. No assertion: run by hand.
 *
 * {{{ OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 project/sbt "Test/runMain ember.nn.DnnOpsBench" }}}
 */
object DnnOpsBench {
  private def fwdBwd(m: Module, x: Tensor, g: Tensor): Double =
    LayerBench.cpuTime(3, 9) { m.forward(x); m.backward(x, g) }

  private def measure(k: Dnn.Kernels, m: Module, x: Tensor): Double = Dnn.withKernels(k)(DnnOps.withOps(DnnOps.all) {
    val g = m.forward(x).toTensor.clone().fill(0.01f)
    fwdBwd(m, x, g)
  })

  def main(args: Array[String]): Unit = {
    require(Dnn.runtime.isRight, s"oneDNN does not load: ${Dnn.runtime}")
    val rng = new java.util.Random(1)
    def x(shape: Int*) = Tensor.normal(rng, 0f, 1f, shape: _*)
    val cases: Seq[(String, DnnOps.Op, () => Module, Tensor)] = Seq(
      ("LeNet-5 Tanh [128,6,24,24]", DnnOps.Tanh, () => new Tanh(), x(128, 6, 24, 24)),
      ("LeNet-5 SpatialMaxPooling 2x2 [128,6,24,24]", DnnOps.MaxPool, () => new SpatialMaxPooling(2, 2, 2, 2), x(128, 6, 24, 24)),
      ("LeNet-5 Tanh [128,12,8,8]", DnnOps.Tanh, () => new Tanh(), x(128, 12, 8, 8)),
      ("LeNet-5 SpatialMaxPooling 2x2 [128,12,8,8]", DnnOps.MaxPool, () => new SpatialMaxPooling(2, 2, 2, 2), x(128, 12, 8, 8)),
      ("LeNet-5 Tanh [128,100]", DnnOps.Tanh, () => new Tanh(), x(128, 100)),
      ("LeNet-5 LogSoftMax [128,10]", DnnOps.LogSoftMax, () => new LogSoftMax(), x(128, 10)),
      ("ResNet-20 ReLU [128,16,32,32]", DnnOps.Relu, () => new ReLU(), x(128, 16, 32, 32)),
      ("ResNet-20 ReLU in place [128,16,32,32]", DnnOps.Relu, () => new ReLU(true), x(128, 16, 32, 32)),
      ("ResNet-20 ReLU [128,64,8,8]", DnnOps.Relu, () => new ReLU(), x(128, 64, 8, 8)),
      ("ResNet-20 SpatialAveragePooling 8x8 [128,64,8,8]", DnnOps.AvgPool,
        () => new SpatialAveragePooling(8, 8, 1, 1, 0, 0, true, false, true, true), x(128, 64, 8, 8)),
      ("ResNet-20 LogSoftMax [128,10]", DnnOps.LogSoftMax, () => new LogSoftMax(), x(128, 10)),
      ("SpatialMaxPooling 3x3 s2 pad 1 ceil [128,16,32,32]", DnnOps.MaxPool, () => new SpatialMaxPooling(3, 3, 2, 2, 1, 1, true),
        x(128, 16, 32, 32)),
      ("SpatialAveragePooling 2x2 s2 [128,16,32,32]", DnnOps.AvgPool, () => new SpatialAveragePooling(2, 2, 2, 2), x(128, 16, 32, 32)),
      ("SpatialAveragePooling 3x3 s2 pad 1 [128,16,32,32]", DnnOps.AvgPool, () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1),
        x(128, 16, 32, 32)),
      ("Sigmoid [128,16,32,32]", DnnOps.Sigmoid, () => new Sigmoid(), x(128, 16, 32, 32)),
      ("Tanh [128,16,32,32]", DnnOps.Tanh, () => new Tanh(), x(128, 16, 32, 32)),
      ("ELU [128,16,32,32]", DnnOps.Elu, () => new ELU(), x(128, 16, 32, 32)),
      ("SoftPlus [128,16,32,32]", DnnOps.SoftPlus, () => new SoftPlus(), x(128, 16, 32, 32)),
      ("ReLU6 [128,16,32,32]", DnnOps.Relu6, () => new ReLU6(), x(128, 16, 32, 32)),
      ("LeakyReLU [128,16,32,32]", DnnOps.LeakyRelu, () => new LeakyReLU(), x(128, 16, 32, 32)),
      ("SoftMax [128,1000]", DnnOps.SoftMax, () => new SoftMax(), x(128, 1000)),
      ("LogSoftMax [128,16,32,32] over channels", DnnOps.LogSoftMax, () => new LogSoftMax(), x(128, 16, 32, 32)))
    val filter = args.headOption.getOrElse("")
    if (filter == "relu-split") return reluSplit(x(128, 16, 32, 32))
    for ((name, op, make, input) <- cases if name.contains(filter)) {
      val (jvm, dnn) = (make(), make())
      val rounds = (0 until 3).map(_ => (measure(Dnn.JvmKernels, jvm, input), measure(Dnn.DnnlKernels, dnn, input)))
      val (j, d) = (rounds.map(_._1).min, rounds.map(_._2).min)
      val default = if (DnnOps.defaults.contains(op)) "dnnl" else "jvm"
      println(f"""{"name": "$name", "jvm_ms": $j%.3f, "dnnl_ms": $d%.3f, "dnnl_over_jvm": ${d / j}%.2f, "default": "$default"}""")
    }
  }

  /** ReLU in place at ResNet-20's largest shape: forward and backward timed apart, per kernel set. */
  private def reluSplit(input: Tensor): Unit = for (round <- 0 until 3; k <- Seq(Dnn.JvmKernels, Dnn.DnnlKernels)) {
    Dnn.withKernels(k)(DnnOps.withOps(DnnOps.all) {
      val m = new ReLU(true)
      val g = input.clone().fill(0.01f)
      val x = input.clone()
      val fwd = LayerBench.cpuTime(3, 9) { x.copy(input); m.forward(x) }
      val copy = LayerBench.cpuTime(3, 9) { x.copy(input) }
      val bwd = LayerBench.cpuTime(3, 9) { g.fill(0.01f); m.backward(x, g) }
      val fill = LayerBench.cpuTime(3, 9) { g.fill(0.01f) }
      println(f"""{"name": "ReLU in place [128,16,32,32] round $round", "kernels": "${k.name}", "fwd_ms": ${fwd - copy}%.3f, "bwd_ms": ${bwd - fill}%.3f}""")
    })
  }
}
