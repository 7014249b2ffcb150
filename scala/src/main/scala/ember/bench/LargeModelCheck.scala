package ember.bench

import java.io.File

import ember.data.Sample
import ember.io.ModelFile
import ember.nn.{ClassNLLCriterion, Linear, LogSoftMax, Module, Sequential}
import ember.optim.{Checkpoint, DistriOptimizer, MaxIteration, SGD, SeveralIteration}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.spark.{SparkConf, SparkContext}

/**
 * The full-size check of models beyond 2 GB of parameters (issue 11 point 15), in its own JVM (it needs a heap of
 * about 19 GB; tests/test_large_model.py runs it through spark-submit when the machine has the memory): a
 * Linear(32768, 16385) of 536,920,065 parameters (more than 2^29, 2.15 GB of float32) is saved and loaded (a file
 * over 2 GB), trained by the DistriOptimizer in two segments (the model reaches the task by broadcast in 64 MB
 * chunks, the weights come back in blocks), checkpointed and read back from the checkpoint. Prints
 * `LARGE-MODEL OK ...` at the end; any failed check throws.
 *
 * Arguments: a scratch directory (the files, about 4.5 GB, are deleted at the end) and optionally "file" to check
 * only the file (a 10 GB heap is enough for that part).
 */
object LargeModelCheck {
  private val (in, out) = (32768, 16385)

  /** Values at 1001 spread positions of the parameters in order (the last one included), without compacting them. */
  private def probe(m: Module): Array[Float] = {
    val ps = m.namedParameters.map(_._2.value.contiguous())
    val starts = ps.scanLeft(0L)(_ + _.nElement)
    Array.tabulate(1001) { i =>
      val at = (starts.last - 1) * i / 1000
      val k = starts.lastIndexWhere(_ <= at)
      val t = ps(k)
      t.storage(t.offset + (at - starts(k)).toInt)
    }
  }

  private def log(s: String): Unit = println(f"[${System.nanoTime() / 1e9}%.1f] $s")

  def main(args: Array[String]): Unit = {
    require(args.length == 1 || (args.length == 2 && args(1) == "file"), "usage: LargeModelCheck <scratch directory> [file]")
    val dir = new File(args(0))
    dir.mkdirs()
    RandomGenerator.setSeed(1)
    val model = new Sequential().add(new Linear(in, out)).add(new LogSoftMax())
    val n = model.getParameters()._1.nElement.toLong
    require(n > (1L << 29), s"the model has $n parameters")
    log(s"model of $n parameters (${4 * n} bytes of float32)")

    val file = new File(dir, "large.ember")
    ModelFile.save(model, file.getPath, overWrite = false)
    require(file.length > Int.MaxValue.toLong, s"the file has ${file.length} bytes")
    val before = probe(model)
    locally {
      val back = ModelFile.load(file.getPath)
      require(java.util.Arrays.equals(probe(back), before), "the loaded weights differ")
      require(back.toString == model.toString, s"the loaded structure differs: $back")
    }
    val fileBytes = file.length
    file.delete()
    System.gc()
    log(s"saved and loaded a file of $fileBytes bytes")

    if (args.length == 2) { println(s"LARGE-MODEL FILE OK parameters=$n file=$fileBytes"); return }
    val sc = new SparkContext(new SparkConf().setMaster("local[1]").setAppName("LargeModelCheck").set("spark.ui.enabled", "false"))
    try {
      val rng = new java.util.Random(5)
      val samples = (0 until 4).map(i => Sample(Tensor(in).apply1(_ => rng.nextGaussian().toFloat), (1 + i % 3).toFloat))
      val ckpt = new File(dir, "checkpoints")
      val opt = new DistriOptimizer(model, sc.parallelize(samples, 1), new ClassNLLCriterion(), 2)
        .setOptimMethod(new SGD(0.1)).setEndWhen(MaxIteration(4)).setSegmentIterations(2)
        .setCheckpoint(ckpt.getPath, SeveralIteration(4))
      opt.optimize()
      require(opt.progress.iteration == 4 && !opt.progress.loss.isNaN, s"training ended at ${opt.progress}")
      val after = probe(model)
      require(!java.util.Arrays.equals(after, before), "training did not change the weights")
      log(s"4 iterations in 2 segments, loss ${opt.progress.loss}")
      val loaded = Checkpoint.load(ckpt.getPath)
      require(loaded.position.iteration == 4 && java.util.Arrays.equals(probe(loaded.model), after), "the checkpoint differs from the model")
      Option(ckpt.listFiles()).foreach(_.foreach(_.delete())); ckpt.delete()
      log("checkpoint written and read back")
    } finally sc.stop()
    println(s"LARGE-MODEL OK parameters=$n file=$fileBytes")
  }
}
