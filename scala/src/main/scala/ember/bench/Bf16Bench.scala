package ember.bench

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, Paths}

import ember.data.LocalDataSet
import ember.examples.{Benchmarks, QuantizeBench}
import ember.models.{LeNet5, LstmClassifier, ResNet}
import ember.nn.{ClassNLLCriterion, Module}
import ember.optim.{LocalOptimizer, MaxEpoch, MaxIteration, SGD}
import ember.parallel.Engine
import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.MixedPrecision

/**
 * The JVM side of `bench/bf16.py`: trains LeNet-5, ResNet-20 or the LSTM classifier (`lstm`: the digits as
 * sequences of 28 rows of 28 pixels, LSTM 128, last step -> 100 -> 10) on the real digits written by the Python side in
 * float32 and in bf16 mixed precision (`Optimizer.setMixedPrecision`), each from the same initial weights and
 * data order, and prints for each mode the held-out top-1 accuracy (evaluated in that mode), training samples/s
 * and samples per CPU second (after a few warm-up iterations of each mode on a throwaway model), and inference
 * throughput (best of `rounds` alternating rounds, as [[QuantizeBench.throughput]]).
 * {{{
 *   spark-submit --class ember.bench.Bf16Bench ember.jar <lenet5|resnet20|lstm> <data dir> <epochs> <batch> <lr> <rounds>
 * }}}
 * Data as [[QuantizeBench]] reads it. `RESULT bf16_effective` is 0 where the CPU has no bf16 (float32 fall-back,
 * logged); the bf16 figures are then float32 ones.
 */
object Bf16Bench {
  private def floats(dir: String, name: String): Array[Float] = {
    val b = ByteBuffer.wrap(Files.readAllBytes(Paths.get(dir, name))).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    val a = new Array[Float](b.remaining()); b.get(a); a
  }

  def main(args: Array[String]): Unit = args match {
    case Array(name, dir, epochs, batchArg, lr, rounds) =>
      val batch = batchArg.toInt
      val shape = new String(Files.readAllBytes(Paths.get(dir, "shape.txt"))).trim.split("\\s+").map(_.toInt)
      val data = LocalDataSet.fromArrays(floats(dir, "train_x.f32"), shape, floats(dir, "train_y.f32"))
      val testY = floats(dir, "test_y.f32")
      val testX = Tensor.fromArray(floats(dir, "test_x.f32"), testY.length +: shape)
      def make(): Module = {
        RandomGenerator.setSeed(0L)
        name match {
          case "lenet5" => LeNet5(10)
          case "resnet20" => ResNet(10, 20)
          case "lstm" => LstmClassifier(classNum = 10, embeddingDim = shape.last, hiddenSize = 128)
          case other => throw new IllegalArgumentException(s"Bf16Bench: model must be lenet5, resnet20 or lstm, got '$other'")
        }
      }
      def train(model: Module, mode: String, iterations: Int): Unit = {
        val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), batch).setSeed(0L)
        // the LSTM learns the digit rows in a few epochs with momentum only (both sides use the same SGD)
        val sgd = if (name == "lstm") new SGD(lr.toDouble, 0.0, 0.0, 0.9) else new SGD(lr.toDouble)
        opt.setMixedPrecision(mode).setOptimMethod(sgd)
          .setEndWhen(if (iterations > 0) MaxIteration(iterations) else MaxEpoch(epochs.toInt)).optimize()
      }
      val models = for (mode <- Seq("fp32", "bf16")) yield {
        train(make(), mode, iterations = 5) // warm-up: JIT, oneDNN's primitives in this mode
        val model = make()
        val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
        train(model, mode, iterations = 0)
        val (wall, cpuS) = ((System.nanoTime() - t) / 1e9, Benchmarks.processCpuSeconds() - cpu)
        if (mode == "bf16") println(s"RESULT bf16_effective ${if (MixedPrecision.active == MixedPrecision.BFloat16) 1 else 0}")
        println(f"RESULT accuracy_$mode ${QuantizeBench.accuracy(model, testX, testY, batch) * 100}%.2f")
        val n = epochs.toDouble * data.size
        println(f"RESULT train_$mode ${n / wall}%.1f")
        println(f"RESULT train_${mode}_per_cpu_s ${n / cpuS}%.1f")
        MixedPrecision.set("fp32")
        mode -> model
      }
      val best = scala.collection.mutable.Map[String, Benchmarks.Throughput]()
      for (_ <- 0 until rounds.toInt; (mode, model) <- models) {
        MixedPrecision.set(mode)
        val r = QuantizeBench.throughput(model, testX, batch, math.max(40, testY.length / batch))
        if (best.get(mode).forall(_.samplesPerSecond < r.samplesPerSecond)) best(mode) = r
      }
      MixedPrecision.set("fp32")
      for ((mode, r) <- best) {
        println(f"RESULT predict_$mode ${r.samplesPerSecond}%.1f")
        println(f"RESULT predict_${mode}_per_cpu_s ${r.samplesPerCpuSecond}%.1f")
      }
      println(s"RESULT replicas ${Engine.modelReplicas}")
    case _ => throw new IllegalArgumentException("usage: Bf16Bench <lenet5|resnet20|lstm> <data dir> <epochs> <batch> <lr> <rounds>")
  }
}
