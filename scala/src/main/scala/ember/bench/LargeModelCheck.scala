package ember.bench

import java.io.File

import ember.data.Sample
import ember.io.ModelFile
import ember.nn.{ClassNLLCriterion, Linear, LogSoftMax, Module, Sequential}
import ember.optim.{Checkpoint, DistriOptimizer, MaxIteration, SGD, SeveralIteration}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.spark.{SparkConf, SparkContext}

/**
 * The full-size check of models beyond 2 GB of parameters (issue 11 point 15), in its own JVM (tests/test_large_model.py
 * runs it through spark-submit in local[1] with a 9 GB heap when the machine has the memory): a Linear(32768, 16385) of
 * 536,920,065 parameters (more than 2^29, 2.15 GB of float32) is saved and loaded (a file over 2 GB), then trained by
 * the DistriOptimizer in three segments (the model file reaches the task as 64 MB disk blocks named in the broadcast,
 * the weights come back as disk blocks) while block-manager storage memory is watched, checkpointed and read back
 * from the checkpoint. Prints `LARGE-MODEL OK ...` at the end; any failed check throws.
 *
 * Arguments: a scratch directory (the files, about 4.5 GB, are deleted at the end) and optionally "file" or "train"
 * to run one part only.
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

  private val Iterations = 6

  /** The most storage memory the block managers used (sampled every 50 ms) and the most heap used, while it runs. */
  private final class StorageWatch(sc: SparkContext) {
    private def used = sc.statusTracker.getExecutorInfos.map(e => e.usedOnHeapStorageMemory + e.usedOffHeapStorageMemory).sum
    private val heap = java.lang.management.ManagementFactory.getMemoryMXBean
    val baseline: Long = used
    @volatile var peak: Long = baseline
    @volatile var peakHeap: Long = 0L
    @volatile private var running = true
    private val thread = new Thread(() => while (running) {
      peak = math.max(peak, used); peakHeap = math.max(peakHeap, heap.getHeapMemoryUsage.getUsed); Thread.sleep(50)
    }, "storage-watch")
    thread.setDaemon(true); thread.start()
    def stop(): Unit = { running = false; thread.join() }
  }

  def main(args: Array[String]): Unit = {
    require(args.length == 1 || (args.length == 2 && Set("file", "train")(args(1))), "usage: LargeModelCheck <scratch directory> [file|train]")
    val mode = if (args.length == 2) args(1) else "all"
    val dir = new File(args(0))
    dir.mkdirs()
    // each part builds its own model (the same, seeded) and lets it go: the heap holds one model at a time
    if (mode != "train") {
      val fileBytes = checkFile(new File(dir, "large.ember"))
      log(s"saved and loaded a file of $fileBytes bytes")
      if (mode == "file") { println(s"LARGE-MODEL FILE OK parameters=$Parameters file=$fileBytes"); return }
    }
    val sc = new SparkContext(new SparkConf().setMaster(sys.props.getOrElse("spark.master", "local[1]"))
      .setAppName("LargeModelCheck").set("spark.ui.enabled", "false"))
    try {
      val ckpt = new File(dir, "checkpoints")
      val after = train(sc, ckpt)
      val loaded = Checkpoint.load(ckpt.getPath)
      require(loaded.position.iteration == Iterations && java.util.Arrays.equals(probe(loaded.model), after),
        "the checkpoint differs from the model")
      Option(ckpt.listFiles()).foreach(_.foreach(_.delete())); ckpt.delete()
      log("checkpoint written and read back")
    } finally sc.stop()
    println(s"LARGE-MODEL OK parameters=$Parameters")
  }

  private val Parameters = in.toLong * out + out

  /** The model of the check (seeded: every call builds the same weights). */
  private def newModel(): Module = {
    RandomGenerator.setSeed(1)
    val model = new Sequential().add(new Linear(in, out)).add(new LogSoftMax())
    val n = model.namedParameters.map(_._2.value.nElement.toLong).sum
    require(n == Parameters && n > (1L << 29), s"the model has $n parameters")
    log(s"model of $n parameters (${4 * n} bytes of float32)")
    model
  }

  /** Saves the model to `file` (over 2 GB), loads it back, compares, deletes the file; returns its size. */
  private def checkFile(file: File): Long = {
    val (before, structure) = save(file)
    val back = ModelFile.load(file.getPath)
    require(java.util.Arrays.equals(probe(back), before), "the loaded weights differ")
    require(back.toString == structure, s"the loaded structure differs: $back")
    val fileBytes = file.length
    file.delete()
    fileBytes
  }

  private def save(file: File): (Array[Float], String) = {
    val model = newModel()
    ModelFile.save(model, file.getPath, overWrite = false)
    require(file.length > Int.MaxValue.toLong, s"the file has ${file.length} bytes")
    (probe(model), model.toString)
  }

  /**
   * Trains the model with the DistriOptimizer (SGD of rate 1e-4, batch 2, [[Iterations]] iterations in segments of 2, a checkpoint
   * at the end in `ckpt`), checking that the loss is finite, the weights changed, block-manager storage memory stayed
   * flat and no block is left; returns the probe of the trained weights.
   */
  private def train(sc: SparkContext, ckpt: File): Array[Float] = {
    val model = newModel()
    val before = probe(model)
    val rng = new java.util.Random(5)
    val samples = (0 until 4).map(i => Sample(Tensor(in).apply1(_ => rng.nextGaussian().toFloat), (1 + i % 3).toFloat))
    val opt = new DistriOptimizer(model, sc.parallelize(samples, 1), new ClassNLLCriterion(), 2)
      .setOptimMethod(new SGD(1e-4)).setEndWhen(MaxIteration(Iterations)).setSegmentIterations(2)
      .setCheckpoint(ckpt.getPath, SeveralIteration(Iterations))
    val storage = new StorageWatch(sc)
    try opt.optimize() finally storage.stop()
    val loss = opt.progress.loss
    require(opt.progress.iteration == Iterations && !loss.isNaN && !loss.isInfinite, s"training ended at ${opt.progress}")
    val after = probe(model)
    require(!java.util.Arrays.equals(after, before), "training did not change the weights")
    log(f"$Iterations iterations in ${Iterations / 2} segments (${sc.master}), loss $loss; block-manager storage memory " +
      f"${storage.baseline / 1e6}%.1f MB before, at most ${storage.peak / 1e6}%.1f MB while training; peak heap used " +
      f"${storage.peakHeap / 1e9}%.2f GB")
    // the model (2.15 GB) never enters block-manager memory (disk blocks, one chunk of 64 MB at a time in memory)
    require(storage.peak - storage.baseline < 64L * 1024 * 1024, s"block-manager memory grew from ${storage.baseline} to ${storage.peak} bytes")
    val left = org.apache.spark.ember.BlockStore.localUsage("")
    require(left._1 == 0, s"blocks left after training: $left")
    after
  }
}
