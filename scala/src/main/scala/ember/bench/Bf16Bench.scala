package ember.bench

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, Paths}

import ember.data.LocalDataSet
import ember.examples.{Benchmarks, QuantizeBench}
import ember.models.{LeNet5, LstmClassifier, ResNet}
import ember.nn.{ClassNLLCriterion, Module}
import ember.optim.{LocalOptimizer, MaxEpoch, MaxIteration, Poly, SGD}
import ember.parallel.Engine
import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.MixedPrecision

/**
 * The JVM side of `bench/bf16.py`: trains LeNet-5, ResNet-20 or the LSTM classifier (`lstm`: the digits as
 * sequences of 28 rows of 28 pixels, LSTM 128, last step -> 100 -> 10) on the real digits written by the Python side in
 * float32 and in bf16 mixed precision (`Optimizer.setMixedPrecision`), each mode from the same initial weights and
 * data order, once per seed (`seeds`, default 1: seed s sets both; the modes alternate), and prints for each
 * mode the held-out top-1 accuracy of every seed (evaluated in that mode), their mean, min and max, training
 * samples/s and samples per CPU second over all seeds (after a few warm-up iterations of each mode on a
 * throwaway model), and inference throughput of the seed-0 models (best of `rounds` alternating rounds, as
 * [[QuantizeBench.throughput]]). SGD with `momentum` (default 0, 0.9 for the LSTM) at a constant rate, or with
 * `poly` falling linearly to 0 over the run.
 * {{{
 *   spark-submit --class ember.bench.Bf16Bench ember.jar <lenet5|resnet20|lstm> <data dir> <epochs> <batch> <lr> <rounds>
 *     [<seeds> <momentum> <const|poly>]
 *   spark-submit --class ember.bench.Bf16Bench ember.jar layers <fp32|bf16> <batch> <warmup> <steps>
 *   spark-submit --class ember.bench.Bf16Bench ember.jar training <batch> <warmup> <steps>
 * }}}
 * `layers`: thread-CPU ms per layer of one ResNet-20 training step in that mode ([[ember.examples.ResNetBench.layers]];
 * run with OMP_NUM_THREADS=1; the per-layer wrappers keep the layers unchained), to see where bf16 gains and where
 * it does not; `training`: the whole step in float32 and in bf16, chained ([[ember.nn.TrainingFusion]]) and not
 * ([[ember.examples.ResNetBench.training]]).
 * Data as [[QuantizeBench]] reads it. `RESULT bf16_effective` is 0 where the CPU has no bf16 (float32 fall-back,
 * logged); the bf16 figures are then float32 ones.
 */
object Bf16Bench {
  private def floats(dir: String, name: String): Array[Float] = {
    val b = ByteBuffer.wrap(Files.readAllBytes(Paths.get(dir, name))).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    val a = new Array[Float](b.remaining()); b.get(a); a
  }

  def main(args: Array[String]): Unit = args match {
    case Array("layers", mode, batch, warmup, steps) =>
      // thread-CPU ms per layer of one ResNet-20 training step in `mode` (run with OMP_NUM_THREADS=1)
      MixedPrecision.set(mode)
      ember.examples.ResNetBench.layers(batch.toInt, warmup.toInt, steps.toInt)
    case Array("training", batch, warmup, steps) =>
      // thread-CPU ms of a whole ResNet-20 training step (conv + batch norm + ReLU chained and not), float32 then bf16
      for (mode <- Seq("fp32", "bf16")) {
        println(s"precision ${MixedPrecision.set(mode).effective}")
        ember.examples.ResNetBench.training(batch.toInt, warmup.toInt, steps.toInt)
      }
      MixedPrecision.set("fp32")
    case Array(name, dir, epochs, batchArg, lr, rounds, rest @ _*) =>
      val (seeds, momentum, poly) = rest match {
        case Seq() => (1, if (name == "lstm") 0.9 else 0.0, false)
        case Seq(n, m, sched) if sched == "const" || sched == "poly" => (n.toInt, m.toDouble, sched == "poly")
        case _ => throw new IllegalArgumentException(s"Bf16Bench: optional arguments are <seeds> <momentum> <const|poly>, got ${rest.mkString(" ")}")
      }
      val batch = batchArg.toInt
      val shape = new String(Files.readAllBytes(Paths.get(dir, "shape.txt"))).trim.split("\\s+").map(_.toInt)
      val data = LocalDataSet.fromArrays(floats(dir, "train_x.f32"), shape, floats(dir, "train_y.f32"))
      val testY = floats(dir, "test_y.f32")
      val testX = Tensor.fromArray(floats(dir, "test_x.f32"), testY.length +: shape)
      def make(seed: Long): Module = {
        RandomGenerator.setSeed(seed)
        name match {
          case "lenet5" => LeNet5(10)
          case "resnet20" => ResNet(10, 20)
          case "lstm" => LstmClassifier(classNum = 10, embeddingDim = shape.last, hiddenSize = 128)
          case other => throw new IllegalArgumentException(s"Bf16Bench: model must be lenet5, resnet20 or lstm, got '$other'")
        }
      }
      val totalIterations = epochs.toInt * data.batchesPerEpoch(batch)
      def train(model: Module, mode: String, seed: Long, iterations: Int): Unit = {
        val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), batch).setSeed(seed)
        // "poly": the rate falls linearly to 0 over the run (as torch_bf16.py's LambdaLR), so the weights settle and
        // the batch norms' running statistics catch up with them before the held-out evaluation
        val sgd = new SGD(lr.toDouble, 0.0, 0.0, momentum, 0.0, false, if (poly) new Poly(1.0, totalIterations) else null)
        opt.setMixedPrecision(mode).setOptimMethod(sgd)
          .setEndWhen(if (iterations > 0) MaxIteration(iterations) else MaxEpoch(epochs.toInt)).optimize()
      }
      val modes = Seq("fp32", "bf16")
      for (mode <- modes) train(make(0L), mode, 0L, iterations = 5) // warm-up: JIT, oneDNN's primitives in this mode
      // seeds (initial weights and data order) alternate between the modes, so a change of load hits both alike
      val runs = for (seed <- 0 until seeds; mode <- modes) yield {
        val model = make(seed.toLong)
        val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
        train(model, mode, seed.toLong, iterations = 0)
        val (wall, cpuS) = ((System.nanoTime() - t) / 1e9, Benchmarks.processCpuSeconds() - cpu)
        if (mode == "bf16" && seed == 0) println(s"RESULT bf16_effective ${if (MixedPrecision.active == MixedPrecision.BFloat16) 1 else 0}")
        val acc = QuantizeBench.accuracy(model, testX, testY, batch) * 100
        println(f"RESULT accuracy_${mode}_seed$seed $acc%.2f")
        MixedPrecision.set("fp32")
        (mode, seed, model, acc, wall, cpuS)
      }
      val n = epochs.toDouble * data.size * seeds
      for (mode <- modes) {
        val mine = runs.filter(_._1 == mode)
        val accs = mine.map(_._4)
        val mean = accs.sum / accs.size
        println(f"RESULT accuracy_$mode $mean%.2f")
        println(f"RESULT accuracy_${mode}_min ${accs.min}%.2f")
        println(f"RESULT accuracy_${mode}_max ${accs.max}%.2f")
        println(f"RESULT train_$mode ${n / mine.map(_._5).sum}%.1f")
        println(f"RESULT train_${mode}_per_cpu_s ${n / mine.map(_._6).sum}%.1f")
      }
      println(s"RESULT seeds $seeds")
      val models = runs.filter(_._2 == 0).map(r => r._1 -> r._3)
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
    case _ => throw new IllegalArgumentException("usage: Bf16Bench <lenet5|resnet20|lstm> <data dir> <epochs> <batch> <lr> " +
      "<rounds> [<seeds> <momentum> <const|poly>] | layers <fp32|bf16> <batch> <warmup> <steps> | training <batch> <warmup> <steps>")
  }
}
