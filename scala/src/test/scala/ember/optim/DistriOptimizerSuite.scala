package ember.optim

import java.nio.file.Files
import java.util.concurrent.atomic.AtomicInteger

import ember.data.{LocalDataSet, Sample}
import ember.nn._
import ember.parallel._
import ember.optim.LocalOptimizerSuite.{clusters, mlp}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.spark.{SparkConf, SparkContext}
import org.apache.spark.rdd.RDD
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/** Passes its input through; throws on the forward of the calls counted down to zero by [[FailOnce.arm]]. */
class FailOnce extends TensorModule {
  override def updateOutput(input: Tensor): Tensor = {
    if (FailOnce.countdown.decrementAndGet() == 0) throw new RuntimeException("injected task failure")
    output = input; outTensor
  }
  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = { gradInput = gradOutput; gradInTensor }
}

/** Passes its input through after sleeping 2 ms: makes a segment last long enough to report from inside it. */
class Slow extends TensorModule {
  override def updateOutput(input: Tensor): Tensor = { Thread.sleep(2); output = input; outTensor }
  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = { gradInput = gradOutput; gradInTensor }
}

object FailOnce {
  val countdown = new AtomicInteger(Int.MaxValue)
  /** The `n`-th forward from now (in this JVM, over all replicas) throws. */
  def arm(n: Int): Unit = countdown.set(n)
  def disarm(): Unit = countdown.set(Int.MaxValue)
}

/** Passes input and gradient through, but returns a NaN input gradient from its `nanAt`-th backward on. */
class NaNGradAfter(val nanAt: Int) extends TensorModule {
  // counts its calls: one per replica and iteration only with the static batch split
  override def samplesIndependent: Boolean = false
  private var calls = 0
  override def updateOutput(input: Tensor): Tensor = { output = input; outTensor }
  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    calls += 1
    gradInput = gradOutput.clone()
    if (calls >= nanAt) gradInTensor.fill(Float.NaN)
    gradInTensor
  }
  override def config: Seq[(String, Any)] = Seq("nanAt" -> nanAt)
}

class DistriOptimizerSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _
  private val train = clusters(303, 1)
  private val test = clusters(150, 2)
  private val dirs = scala.collection.mutable.ArrayBuffer.empty[java.io.File]

  override def beforeAll(): Unit = {
    sc = new SparkContext(new SparkConf().setMaster("local[4]").setAppName("DistriOptimizerSuite")
      .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))
  }

  override def afterAll(): Unit = {
    if (sc != null) sc.stop()
    dirs.foreach(d => org.apache.commons.io.FileUtils.deleteDirectory(d))
  }

  private def tempDir(): String = { val d = Files.createTempDirectory("ember-distri").toFile; dirs += d; d.getPath }
  private def samples(d: LocalDataSet): Seq[Sample] = (0 until d.size).map(d.sample)
  private def rdd(d: LocalDataSet, parts: Int): RDD[Sample] = sc.parallelize(samples(d), parts)
  private def flat(m: Module): Array[Float] = m.getParameters()._1.toArray
  private def maxDiff(a: Array[Float], b: Array[Float]): Double = a.zip(b).map { case (x, y) => math.abs(x - y).toDouble }.max

  /** The suite's MLP, optionally with an L1/L2 regularizer on the first layer's weight. */
  private def model7(regularized: Boolean): Module = {
    val m = mlp(7)
    if (regularized) m.children.head.setWRegularizer(new L1L2Regularizer(1e-3, 1e-2))
    m
  }

  private def local(method: OptimMethod, iters: Int, clip: Option[Double] = None, reg: Boolean = false): Array[Float] = {
    val model = model7(reg)
    val opt = new LocalOptimizer(model, train, new ClassNLLCriterion(), 32).setModelReplicas(1)
    clip.foreach(opt.setGradientClippingByL2Norm)
    opt.setOptimMethod(method).setEndWhen(MaxIteration(iters)).setSeed(3).optimize()
    flat(model)
  }

  private def distri(method: OptimMethod, iters: Int, parts: Int, clip: Option[Double] = None,
      reg: Boolean = false): (Array[Float], DistriOptimizer) = {
    val model = model7(reg)
    val opt = new DistriOptimizer(model, rdd(train, parts), new ClassNLLCriterion(), 32).setTaskLayout("partition")
    clip.foreach(opt.setGradientClippingByL2Norm)
    opt.setOptimMethod(method).setEndWhen(MaxIteration(iters)).setSeed(3).optimize()
    (flat(model), opt)
  }

  test("same weights as the LocalOptimizer over 1, 2 and 4 partitions: SGD with momentum, Adam, L2 clipping, regularizers") {
    val cases = Seq[(String, () => OptimMethod, Option[Double], Boolean)](
      ("SGD momentum", () => new SGD(0.1, 0.0, 1e-4, 0.9), None, false),
      ("Adam", () => new Adam(0.01), None, false),
      ("SGD + L2 clipping", () => new SGD(0.5), Some(0.05), false),
      ("SGD + L1/L2 regularizer", () => new SGD(0.1), None, true))
    for ((name, method, clip, reg) <- cases) {
      val iters = 25 // 2.6 epochs of 10 batches (the last one of 15 samples)
      val reference = local(method(), iters, clip, reg)
      val start = { val m = mlp(7); flat(m) }
      assert(maxDiff(reference, start) > 1e-2, s"$name: training must move the weights")
      if (reg) assert(maxDiff(reference, local(method(), iters, clip)) > 1e-4, "the regularizer must change the result")
      for (parts <- Seq(1, 2, 4)) {
        val (w, opt) = distri(method(), iters, parts, clip, reg)
        val d = maxDiff(reference, w)
        assert(d < 2e-5, s"$name over $parts partitions: max |w - w_local| = $d")
        assert(opt.progress.iteration == iters && opt.timeSplit.iterations == iters)
      }
    }
  }

  test("spark.ember.overlapGradients: true by default, false turns it off, anything else is refused naming the setting") {
    val key = "spark.ember.overlapGradients"
    try {
      assert(DistriOptimizer.overlap(sc))
      for ((v, want) <- Seq("true" -> true, " FALSE" -> false)) { sc.setLocalProperty(key, v); assert(DistriOptimizer.overlap(sc) == want, v) }
      sc.setLocalProperty(key, "sometimes")
      val e = intercept[IllegalArgumentException](DistriOptimizer.overlap(sc))
      assert(e.getMessage.contains(key) && e.getMessage.contains("sometimes"))
    } finally sc.setLocalProperty(key, null)
  }

  test("gradients sent while backward runs (spark.ember.overlapGradients): the same weights bit for bit, on and off") {
    // fixed batch shares (one replica per task, each on its own partition); messages of 1 KB (252 float32 values): the
    // model's 3,275 values in pieces, cut at its layers' ends in the replicated exchange of 2 tasks (3: sliced)
    def run(model: () => Module, parts: Int, codec: String, overlap: Boolean): Array[Float] = {
      val m = model()
      sc.setLocalProperty("spark.ember.overlapGradients", overlap.toString)
      sc.setLocalProperty("spark.ember.chunkBytes", "1k")
      try new DistriOptimizer(m, rdd(train, parts), new ClassNLLCriterion(), 32).setTaskLayout("partition")
        .setDeterministic(true).setOptimMethod(new SGD(0.1, 0.0, 0.0, 0.9)).setWireCodec(codec).setEndWhen(MaxIteration(12))
        .optimize()
      finally Seq("spark.ember.overlapGradients", "spark.ember.chunkBytes").foreach(sc.setLocalProperty(_, null))
      flat(m)
    }
    val models = Seq[(String, () => Module)]("LeNet-like" -> (() => ReplicaSetSuite.lenetLike(9)),
      "graph (no overlap)" -> (() => ReplicaSetSuite.graph(9)))
    for ((name, model) <- models; parts <- Seq(2, 3); codec <- Seq("none", "bf16")) {
      val off = run(model, parts, codec, overlap = false)
      val on = run(model, parts, codec, overlap = true)
      assert(maxDiff(off, flat(model())) > 1e-3, s"$name: training must move the weights")
      assert(on.map(java.lang.Float.floatToRawIntBits).sameElements(off.map(java.lang.Float.floatToRawIntBits)),
        s"$name over $parts tasks, $codec: max |on - off| = ${maxDiff(on, off)}")
    }
  }

  test("the default task layout trains a 4-partition RDD in local mode as one task with a replica per core") {
    val model = model7(false)
    val opt = new DistriOptimizer(model, rdd(train, 4), new ClassNLLCriterion(), 32)
    opt.setOptimMethod(new SGD(0.1, 0.0, 1e-4, 0.9)).setEndWhen(MaxEpoch(15)).setSeed(3).optimize()
    // the samples were shuffled into one partition: other batches than the LocalOptimizer's, the same task
    val acc = Evaluator.evaluate(model, train, Array[ValidationMethod](new Top1Accuracy()), 64).head.score
    assert(acc > 0.9, s"accuracy $acc")
    assert(opt.timeSplit.waitSeconds == 0.0, "one task waits for no other")
    assert(intercept[IllegalArgumentException](opt.setTaskLayout("node")).getMessage.contains("\"executor\" or \"partition\""))
    assert(SegmentTask.replicasFor(null, 4, 1) == 1 && DistriOptimizer.coresPerExecutor(sc, 1) == 4) // local[4]
  }

  test("batch-norm running statistics come back from the tasks and match the LocalOptimizer's") {
    def bnModel(): Module = {
      RandomGenerator.setSeed(11)
      new Sequential().add(new Linear(4, 8)).add(new BatchNormalization(8)).add(new Tanh()).add(new Linear(8, 3))
        .add(new LogSoftMax())
    }
    def stats(m: Module): Array[Float] = m.namedBuffers.flatMap(_._2.contiguous().toArray).toArray
    val initial = stats(bnModel())
    val localModel = bnModel()
    new LocalOptimizer(localModel, train, new ClassNLLCriterion(), 32).setModelReplicas(1)
      .setOptimMethod(new SGD(0.1)).setEndWhen(MaxIteration(15)).setSeed(3).optimize()
    val distriModel = bnModel()
    // two segments (setSegmentIterations): the statistics must also carry over from one segment to the next
    new DistriOptimizer(distriModel, rdd(train, 1), new ClassNLLCriterion(), 32).setTaskLayout("partition").setSegmentIterations(8)
      .setOptimMethod(new SGD(0.1)).setEndWhen(MaxIteration(15)).setSeed(3).optimize()
    assert(maxDiff(stats(localModel), initial) > 1e-2, "training must move the running statistics")
    val d = maxDiff(stats(localModel), stats(distriModel))
    assert(d < 1e-4, s"running statistics: max |local - distri| = $d")
  }

  test("optim state is sliced and merged: continuing a run and checkpoints match the LocalOptimizer") {
    val dir = tempDir()
    val model = mlp(7)
    val opt = new DistriOptimizer(model, rdd(train, 2), new ClassNLLCriterion(), 32).setTaskLayout("partition")
    opt.setOptimMethod(new Adam(0.01)).setSeed(3).setEndWhen(MaxIteration(12)).setCheckpoint(dir, SeveralIteration(6))
    opt.optimize()
    opt.setEndWhen(MaxIteration(25)).optimize() // continues with the merged-then-resliced Adam state
    assert(maxDiff(local(new Adam(0.01), 25), flat(model)) < 2e-5)
    assert(Checkpoint.iterations(dir) == Seq(6L, 12L, 18L, 24L))
    // a LocalOptimizer resumes the DistriOptimizer's checkpoint of iteration 12 and ends where the others did
    val resumed = mlp(1)
    new LocalOptimizer(resumed, train, new ClassNLLCriterion(), 32).setModelReplicas(1).setSeed(3)
      .resumeFrom(dir, 12).setEndWhen(MaxIteration(25)).optimize()
    assert(maxDiff(flat(resumed), flat(model)) < 2e-5)
    assert(opt.getOptimMethod.state.get.asInstanceOf[Adam.State].m.length == flat(model).length)
  }

  test("trains to high accuracy with RDD validation, summaries and a time split; bf16 wire codec too") {
    for (codec <- Seq("none", "bf16")) {
      val model = mlp(5)
      val logDir = tempDir()
      val opt = new DistriOptimizer(model, rdd(train, 2), new ClassNLLCriterion(), 16).setTaskLayout("partition")
      opt.setOptimMethod(new SGD(0.1, 0.0, 0.0, 0.9)).setEndWhen(MaxEpoch(4)).setWireCodec(codec)
        .setValidation(EveryEpoch(), rdd(test, 3), Array[ValidationMethod](new Top1Accuracy(), new Loss(new ClassNLLCriterion())), 64)
        .setTrainSummary(new ember.summary.TrainSummary(logDir, "distri"))
      opt.optimize()
      val p = opt.progress
      assert(p.done && p.error == null && p.epoch == 5 && p.iteration == 4 * 19)
      assert(p.validationNames.toSeq == Seq("Top1Accuracy", "Loss") && p.validationScores(0) > 0.95f, s"$codec: ${p.validationScores.toSeq}")
      val direct = Predictor(model, 50).evaluate(rdd(test, 2), Array[ValidationMethod](new Top1Accuracy())).head
      val viaLocal = Evaluator.evaluate(model, test, Array[ValidationMethod](new Top1Accuracy()), 50).head
      assert(direct.count == 150 && direct.score == viaLocal.score)
      val losses = new ember.summary.TrainSummary(logDir, "distri").readScalar("Loss")
      assert(losses.length == 76 && losses.last._2 < losses.head._2)
      val s = opt.timeSplit
      assert(s.iterations == 76 && s.computeSeconds > 0 && s.syncSeconds >= 0 && s.schedulingSeconds >= 0)
      // the last segment (one epoch: validation ends each) per task, and its job outside the iterations
      val tasks = opt.taskProfiles
      assert(tasks.map(_.partition).toSeq == Seq(0, 1) && tasks.forall(_.iterations == 19), tasks.mkString("\n"))
      assert(math.abs(tasks.map(_.slowestShare).sum - 1.0) < 1e-9, "each iteration has one slowest task")
      tasks.foreach { t =>
        assert(t.computeMs.mean > 0 && t.computeMs.p50 <= t.computeMs.p90 && t.computeMs.p90 <= t.computeMs.max, t)
        // the process's CPU time moves in clock ticks (10 ms on Linux): a segment of 19 short iterations may read 0
        assert(t.jvm.processCpuNanos >= 0 && t.jvm.threadCpuNanos.getOrElse("Executor task launch worker", 0L) > 0, t)
      }
      val seg = opt.segmentTiming
      assert(seg.iterations == 19 && seg.loopMs > 0 && seg.launchMs >= 0 && seg.returnMs >= 0, seg)
    }
  }

  test("a failed segment is rerun from its start: same weights as a run without failure, nothing left behind") {
    // bitwise with fixed batch shares (setDeterministic); to float rounding with the default dynamic split
    def run(fail: Boolean, deterministic: Boolean = true): Array[Float] = {
      ember.tensor.RandomGenerator.setSeed(11)
      val model = new Sequential().add(new Linear(4, 8)).add(new FailOnce()).add(new Tanh()).add(new Linear(8, 3)).add(new LogSoftMax())
      val opt = new DistriOptimizer(model, rdd(train, 2), new ClassNLLCriterion(), 32).setTaskLayout("partition").setDeterministic(deterministic)
      opt.setOptimMethod(new SGD(0.1, 0.0, 0.0, 0.9)).setEndWhen(MaxIteration(20)).setSegmentIterations(8)
      if (fail) FailOnce.arm(25) // inside the second segment (iterations 9-16: forwards 17-32 of the two tasks)
      try opt.optimize() finally FailOnce.disarm()
      assert(FailOnce.countdown.get() != 0 || !fail)
      flat(model)
    }
    val clean = run(fail = false)
    val retried = run(fail = true)
    assert(maxDiff(clean, retried) == 0.0)
    val dynamic = run(fail = true, deterministic = false)
    assert(maxDiff(clean, dynamic) < 1e-5, s"dynamic split after a retry: ${maxDiff(clean, dynamic)}")
    assert(Rendezvous.openSegments == 0 && Mailbox.pending == 0)
  }

  test("tasks resume from the state kept on their executors: the weights of rebuilding every segment; a changed state builds again") {
    def opt(parts: Int, keep: Boolean, codec: String = "none"): (Module, DistriOptimizer) = {
      val model = model7(regularized = false)
      val o = new DistriOptimizer(model, rdd(train, parts), new ClassNLLCriterion(), 32).setTaskLayout("partition")
        .setDeterministic(true).setWireCodec(codec).setSegmentIterations(4)
      o.setOptimMethod(new Adam(0.01)).setSeed(3)
      (model, o)
    }
    def fit(o: DistriOptimizer, iters: Int, keep: Boolean): Unit = {
      sc.setLocalProperty("spark.ember.keepTaskState", keep.toString)
      try o.setEndWhen(MaxIteration(iters)).optimize() finally sc.setLocalProperty("spark.ember.keepTaskState", null)
    }
    // one task (single), two (replicated exchange), three (slices); bf16 with two tasks keeps the whole fp32 master,
    // over three the tasks share their exact slices at a segment's end (the replicas held them rounded)
    for ((parts, codec) <- Seq((1, "none"), (2, "none"), (3, "none"), (2, "bf16"), (3, "bf16"))) {
      val (mKept, oKept) = opt(parts, keep = true, codec)
      fit(oKept, 18, keep = true)
      assert(oKept.segmentTiming.resumedTasks == parts, s"$parts tasks, $codec: ${oKept.segmentTiming}")
      val (mBuilt, oBuilt) = opt(parts, keep = false, codec)
      fit(oBuilt, 18, keep = false)
      assert(oBuilt.segmentTiming.resumedTasks == 0)
      assert(maxDiff(flat(mKept), flat(mBuilt)) == 0.0, s"$parts tasks, $codec: kept state trained other weights")
      oKept.unpersist(); oBuilt.unpersist()
    }
    val bm = org.apache.spark.SparkEnv.get.blockManager
    def partition(o: DistriOptimizer, p: Int): PartitionData = bm.getLocalValues(org.apache.spark.storage.RDDBlockId(o.cachedPartitions.id, p))
      .map(_.data.toList.head.asInstanceOf[PartitionData]).orNull // read to its end: the block's read lock is released
    def keptStates(o: DistriOptimizer) = (0 until 2).map(p => partition(o, p).keptState)
    // a run keeps nothing past its end (the end trigger fired in the tasks); the next optimize() builds from the
    // broadcast, then resumes between its own segments
    val (m, o) = opt(2, keep = true)
    fit(o, 8, keep = true)
    assert(keptStates(o).forall(_ == null), "states kept past the end of the run")
    fit(o, 12, keep = true) // one segment: iterations 9-12
    assert(o.segmentTiming.resumedTasks == 0)
    fit(o, 20, keep = true) // two segments: the second resumes
    assert(o.segmentTiming.resumedTasks == 2 && keptStates(o).forall(_ == null))
    val (m2, o2) = opt(2, keep = false)
    fit(o2, 8, keep = false); fit(o2, 12, keep = false); fit(o2, 20, keep = false)
    assert(maxDiff(flat(m), flat(m2)) == 0.0)
    o.unpersist(); o2.unpersist()
    // a run ended by the driver (its end trigger reads the validation score, which the tasks do not have): the tasks kept
    // their states after the segment, the driver lets go of them at the end
    val (m3, o3) = opt(2, keep = true)
    o3.setValidation(SeveralIteration(4), rdd(train, 2), Array[ValidationMethod](new Top1Accuracy()), 32)
    sc.setLocalProperty("spark.ember.keepTaskState", "true")
    try o3.setEndWhen(TriggerOr(MaxIteration(40), MaxScore(0.0))).optimize()
    finally sc.setLocalProperty("spark.ember.keepTaskState", null)
    assert(o3.progress.iteration == 4, s"the run should end at the first validation: ${o3.progress}")
    assert(keptStates(o3).forall(_ == null), "states the tasks kept were not released at the end of the run")
    o3.unpersist()
    // a segment where every task resumes is planned without the broadcast model; a state lost before it (here task 1's,
    // taken away while the driver replays iteration 4) fails that attempt at its set-up, which reruns with the
    // broadcast: every task builds, and the run trains the weights of one that never kept anything
    val (m4, o4) = opt(2, keep = true)
    val losing = new AtIteration(4, () => partition(o4, 1).takeState(), MaxIteration(8))
    sc.setLocalProperty("spark.ember.keepTaskState", "true")
    try o4.setEndWhen(losing).optimize() finally sc.setLocalProperty("spark.ember.keepTaskState", null)
    assert(losing.called && o4.progress.iteration == 8 && o4.segmentTiming.resumedTasks == 0, o4.segmentTiming.toString)
    val (m5, o5) = opt(2, keep = false)
    fit(o5, 8, keep = false)
    assert(maxDiff(flat(m4), flat(m5)) == 0.0)
    o4.unpersist(); o5.unpersist()
  }

  test("memory stays flat over thousands of iterations: the mailbox holds one iteration's messages, nothing left on the driver") {
    val model = new Sequential().add(new Linear(4, 3)).add(new LogSoftMax())
    val opt = new DistriOptimizer(model, rdd(train, 4), new ClassNLLCriterion(), 4).setTaskLayout("partition")
    opt.setOptimMethod(new SGD(0.01)).setEndWhen(MaxIteration(3000)).setSegmentIterations(1000)
    val before = sc.getExecutorMemoryStatus.values.map(_._2).sum
    @volatile var running = true
    var maxPending = 0
    var samples = 0
    val sampler = new Thread(() => while (running) {
      maxPending = math.max(maxPending, Mailbox.pending)
      samples += 1
      Thread.sleep(2)
    })
    sampler.start()
    try opt.optimize() finally { running = false; sampler.join() }
    // in flight at once at most: the gradients of one iteration (4 x 3) and the weights of two (2 x 4 x 3)
    assert(samples > 10 && maxPending <= 36, s"$maxPending messages waiting at most, in $samples samples")
    assert(Rendezvous.openSegments == 0 && Mailbox.pending == 0)
    val after = sc.getExecutorMemoryStatus.values.map(_._2).sum
    assert(math.abs(after - before) < (1L << 20), s"storage memory remaining $before before, $after after")
    assert(opt.progress.iteration == 3000)
    assert(opt.traffic.iterations == 3000 && opt.traffic.remoteBytes == 0 && opt.traffic.driverMessages == 0)
  }

  test("progress advances during a segment from the tasks' reports, not only at its end") {
    val model = new Sequential().add(new Linear(4, 3)).add(new Slow()).add(new LogSoftMax())
    val opt = new DistriOptimizer(model, rdd(train, 2), new ClassNLLCriterion(), 16).setTaskLayout("partition").setDeterministic(true)
    opt.setOptimMethod(new SGD(0.01)).setEndWhen(MaxIteration(1200)) // one segment of at least 2.4 s
    @volatile var running = true
    val seen = scala.collection.mutable.ArrayBuffer.empty[Long]
    val poller = new Thread(() => while (running) { seen.synchronized(seen += opt.progress.iteration); Thread.sleep(50) })
    poller.start()
    try opt.optimize() finally { running = false; poller.join() }
    val inside = seen.filter(i => i > 0 && i < 1200).distinct
    assert(inside.nonEmpty, s"the snapshot went from 0 to the end without a step between: ${seen.distinct}")
    assert(opt.progress.iteration == 1200 && opt.progress.done)
  }

  test("divergence stops every task before the update; bad settings fail with clear errors") {
    ember.tensor.RandomGenerator.setSeed(3)
    val model = new Sequential().add(new Linear(4, 3)).add(new NaNAfter(6)).add(new LogSoftMax())
    val opt = new DistriOptimizer(model, rdd(train, 2), new ClassNLLCriterion(), 32).setTaskLayout("partition").setOptimMethod(new SGD(0.1)).setEndWhen(MaxEpoch(3))
    val e = intercept[TrainingDivergedException](opt.optimize())
    assert(e.getMessage.contains("iteration 6"), e.getMessage)
    assert(opt.progress.iteration == 5 && opt.progress.done && opt.progress.error != null)
    assert(flat(model).forall(v => !v.isNaN && !v.isInfinite))

    // a NaN gradient with a finite loss: every task refuses the step; the weights are those of iteration 5
    def nanGradRun(nanAt: Int, iters: Int, parts: Int = 2, codec: String = "none"): (Array[Float], DistriOptimizer) = {
      ember.tensor.RandomGenerator.setSeed(3)
      val m = new Sequential().add(new Linear(4, 3)).add(new NaNGradAfter(nanAt)).add(new LogSoftMax())
      val o = new DistriOptimizer(m, rdd(train, parts), new ClassNLLCriterion(), 32).setTaskLayout("partition").setOptimMethod(new SGD(0.1, 0.0, 0.0, 0.9))
      o.setEndWhen(MaxIteration(iters)).setWireCodec(codec)
      if (nanAt < iters) {
        val g = intercept[TrainingDivergedException](o.optimize())
        assert(g.getMessage.contains("gradient") && g.getMessage.contains("iteration 6"), g.getMessage)
      } else o.optimize()
      (flat(m), o)
    }
    val (refused, o6) = nanGradRun(6, 20)
    assert(o6.progress.iteration == 5 && maxDiff(refused, nanGradRun(100, 5)._1) == 0.0)
    // over 4 tasks (two rounds, each slice stepped piece by piece before the norm arrives): restored piece by piece
    // (float32 on the wire: undone from the last weight messages; bf16: from a copy of the slice)
    for (codec <- Seq("none", "bf16")) {
      val (refused4, o4) = nanGradRun(6, 20, parts = 4, codec)
      assert(o4.progress.iteration == 5 && maxDiff(refused4, nanGradRun(100, 5, parts = 4, codec)._1) == 0.0, codec)
    }

    val tooMany = intercept[IllegalArgumentException](new DistriOptimizer(mlp(1), rdd(train, 5), new ClassNLLCriterion(), 32).setTaskLayout("partition").optimize())
    assert(tooMany.getMessage.contains("5 partitions") && tooMany.getMessage.contains("repartition"))
    val empty = intercept[IllegalArgumentException](
      new DistriOptimizer(mlp(1), sc.parallelize(Seq.empty[Sample], 2), new ClassNLLCriterion(), 32).setTaskLayout("partition").optimize())
    assert(empty.getMessage.contains("empty"))
    val codec = intercept[IllegalArgumentException](new DistriOptimizer(mlp(1), rdd(train, 2), new ClassNLLCriterion(), 32).setTaskLayout("partition").setWireCodec("fp8"))
    assert(codec.getMessage.contains("fp8"))
    val shape = intercept[IllegalArgumentException](
      new DistriOptimizer(new Sequential().add(new Linear(5, 3)), rdd(train, 2), new ClassNLLCriterion(), 32).setTaskLayout("partition").setMaxRetries(5).optimize())
    assert(shape.getMessage.contains("expected input of shape"), shape.getMessage)
    val lbfgs = intercept[IllegalArgumentException](
      new DistriOptimizer(mlp(1), rdd(train, 2), new ClassNLLCriterion(), 32).setTaskLayout("partition").setOptimMethod(new LBFGS()).optimize())
    assert(lbfgs.getMessage.contains("LBFGS needs the whole parameter vector") && lbfgs.getMessage.contains("2 parameter slices"))
  }
}

/** `end`, calling `f` once (on the driver; copies in tasks have none) when it first sees iteration `at` end. */
private final class AtIteration(at: Int, @transient f: () => Unit, end: Trigger) extends Trigger {
  @transient var called = false
  override def apply(s: TrainingPosition): Boolean = {
    if (!called && f != null && s.iteration >= at) { called = true; f() }
    end(s)
  }
}
