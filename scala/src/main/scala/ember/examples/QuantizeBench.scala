package ember.examples

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, Paths}

import ember.data.LocalDataSet
import ember.models.{LeNet5, ResNet}
import ember.nn.{ClassNLLCriterion, Module}
import ember.optim.{LocalOptimizer, MaxEpoch, SGD}
import ember.parallel.Engine
import ember.tensor.{RandomGenerator, Tensor}

/**
 * The JVM side of `bench/int8.py`: trains LeNet-5 or ResNet-20 on real digits written by the Python side, then
 * compares the float32 model with its int8 copy (`Module.quantize`, calibrated on training samples): top-1
 * accuracy on the held-out digits and inference throughput (evaluation mode, one copy per replica as in
 * [[ResNetBench.predict]], 40 batches of `batch` held-out samples, or more until two CPU seconds, after 10 per
 * replica of warm-up), the two alternating for `rounds` rounds with the best of each kept.
 * {{{
 *   spark-submit --class ember.examples.QuantizeBench ember.jar <lenet5|resnet20> <data dir> <epochs> <batch> <rounds>
 * }}}
 * The data directory holds `train_x.f32`, `train_y.f32`, `test_x.f32`, `test_y.f32` (little-endian float32,
 * labels 0-based) and `shape.txt` (one sample's shape, e.g. `1 28 28`). Prints `RESULT <name> <value>` lines.
 */
object QuantizeBench {

  private def floats(dir: String, name: String): Array[Float] = {
    val b = ByteBuffer.wrap(Files.readAllBytes(Paths.get(dir, name))).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    val a = new Array[Float](b.remaining()); b.get(a); a
  }

  /** Top-1 accuracy of `model` on (x, y), batch by batch. */
  def accuracy(model: Module, x: Tensor, y: Array[Float], batch: Int): Double = {
    model.evaluate()
    var correct = 0
    var start = 0
    while (start < y.length) {
      val n = math.min(batch, y.length - start)
      val pred = model.forward(x.narrow(0, start, n)).toTensor.argmaxRows()
      correct += pred.indices.count(i => pred(i) == y(start + i).toInt)
      start += n
    }
    correct.toDouble / y.length
  }

  /** Inference throughput of evaluation-mode copies of `model`, one per replica, over `batches` batches of `x`
   * (repeated until the process has used at least two CPU seconds, so the CPU-time figure is not a few ticks). */
  def throughput(model: Module, x: Tensor, batch: Int, batches: Int): Benchmarks.Throughput = {
    val replicas = Engine.modelReplicas
    val copies = Seq.fill(replicas)(model.cloneModule().evaluate())
    val input = x.narrow(0, 0, batch).contiguous()
    def runAll(count: Int): Unit = Engine.invokeAll(copies.indices.map { r => () =>
      var i = r
      while (i < count) { copies(r).forward(input); i += replicas }
    })
    runAll(10 * replicas) // warm-up: JIT compilation of the layers' loops, oneDNN's primitives
    val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
    var runs = 0
    while (runs == 0 || Benchmarks.processCpuSeconds() - cpu < 2.0) { runAll(batches); runs += 1 }
    val n = runs.toDouble * batches * batch
    Benchmarks.Throughput(n / ((System.nanoTime() - t) / 1e9), n / (Benchmarks.processCpuSeconds() - cpu))
  }

  /** CPU milliseconds per batch of each layer of `model`, on this thread (where the time goes; see LayerTimes). */
  def layerMillis(model: Module, x: Tensor, batch: Int, batches: Int): Seq[(String, Double)] =
    ember.nn.LayerTimes.forward(model, x.narrow(0, 0, batch).contiguous(), 5, batches)

  def main(args: Array[String]): Unit = args match {
    case Array(name, dir, epochs, batch, rounds) =>
      val shape = new String(Files.readAllBytes(Paths.get(dir, "shape.txt"))).trim.split("\\s+").map(_.toInt)
      val (trainX, trainY) = (floats(dir, "train_x.f32"), floats(dir, "train_y.f32"))
      val testY = floats(dir, "test_y.f32")
      val testX = Tensor.fromArray(floats(dir, "test_x.f32"), testY.length +: shape)
      RandomGenerator.setSeed(0L)
      val model = name match {
        case "lenet5" => LeNet5(10)
        case "resnet20" => ResNet(10, 20)
        case other => throw new IllegalArgumentException(s"model must be lenet5 or resnet20, got $other")
      }
      val opt = new LocalOptimizer(model, LocalDataSet.fromArrays(trainX, shape, trainY), new ClassNLLCriterion(), batch.toInt)
      opt.setOptimMethod(new SGD(if (name == "lenet5") 0.05 else 0.1)).setEndWhen(MaxEpoch(epochs.toInt))
      val t0 = System.nanoTime()
      opt.optimize()
      println(f"RESULT train_seconds ${(System.nanoTime() - t0) / 1e9}%.1f")
      val calibration = Tensor.fromArray(trainX.take(512 * shape.product), 512 +: shape)
      val q = model.quantize(calibration)
      val (accF, accQ) = (accuracy(model, testX, testY, batch.toInt), accuracy(q, testX, testY, batch.toInt))
      println(f"RESULT accuracy_fp32 ${accF * 100}%.2f")
      println(f"RESULT accuracy_int8 ${accQ * 100}%.2f")
      val batches = math.max(40, testY.length / batch.toInt)
      var (bestF, bestQ) = (Benchmarks.Throughput(0, 0), Benchmarks.Throughput(0, 0))
      for (_ <- 0 until rounds.toInt) {
        val f = throughput(model, testX, batch.toInt, batches)
        val i8 = throughput(q, testX, batch.toInt, batches)
        println(f"ROUND fp32 ${f.samplesPerSecond}%.1f/s ${f.samplesPerCpuSecond}%.1f/cpu-s  int8 ${i8.samplesPerSecond}%.1f/s ${i8.samplesPerCpuSecond}%.1f/cpu-s")
        if (f.samplesPerSecond > bestF.samplesPerSecond) bestF = f
        if (i8.samplesPerSecond > bestQ.samplesPerSecond) bestQ = i8
      }
      for ((title, m) <- Seq("fp32" -> model, "int8" -> q); (layer, ms) <- layerMillis(m.evaluate(), testX, batch.toInt, 20))
        println(f"LAYER $title%s $ms%8.3f ms  $layer%s")
      println(s"RESULT replicas ${Engine.modelReplicas}")
      println(f"RESULT predict_fp32 ${bestF.samplesPerSecond}%.1f")
      println(f"RESULT predict_fp32_per_cpu_s ${bestF.samplesPerCpuSecond}%.1f")
      println(f"RESULT predict_int8 ${bestQ.samplesPerSecond}%.1f")
      println(f"RESULT predict_int8_per_cpu_s ${bestQ.samplesPerCpuSecond}%.1f")
    case _ => throw new IllegalArgumentException("usage: QuantizeBench <lenet5|resnet20> <data dir> <epochs> <batch> <rounds>")
  }
}
