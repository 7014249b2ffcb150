package ember.parallel

import java.util.concurrent.{Callable, ExecutorService, Executors, ThreadFactory}
import java.util.concurrent.atomic.AtomicInteger

import org.slf4j.LoggerFactory

/**
 * The thread budget of this JVM (a local run, or one Spark executor): how many cores Ember may use, how
 * many model replicas run in parallel, and the fixed pool of daemon threads they run on.
 *
 * Oversubscription is the first performance trap (DESIGN.md: two tasks each starting a multi-threaded BLAS
 * on two cores ran 2-3x slower), so the rule is `replicas x BLAS threads <= cores`. The BLAS thread count
 * cannot be changed from the JVM through netlib, so Engine reads it from the environment the process was
 * started with (`OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`, `OMP_NUM_THREADS`; unset means the native
 * library uses every core) and picks the replicas to fit; the Python launcher and `create_spark_conf()` set
 * `OPENBLAS_NUM_THREADS=1` so that there is one replica per core. [[init]] overrides the choice.
 */
object Engine {
  private val log = LoggerFactory.getLogger(getClass)

  @volatile private var cores: Int = Runtime.getRuntime.availableProcessors()
  @volatile private var replicas: Int = -1
  private var pool: ExecutorService = null

  /** Sets the cores this JVM may use and, optionally (`replicaCount` > 0), the model replicas. */
  def init(coreCount: Int, replicaCount: Int = -1): Unit = synchronized {
    require(coreCount > 0, s"Engine.init: coreCount must be > 0, got $coreCount")
    require(replicaCount == -1 || (replicaCount > 0 && replicaCount <= coreCount),
      s"Engine.init: replicaCount must be in [1, $coreCount] (or -1 for automatic), got $replicaCount")
    if (pool != null && (coreCount != cores || replicaCount != replicas)) { pool.shutdown(); pool = null }
    cores = coreCount
    replicas = replicaCount
  }

  /** The cores this JVM may use. */
  def coreNumber: Int = cores

  /** BLAS threads of the native library, from the environment (cores when unset and native). */
  def blasThreads: Int = {
    val fromEnv = Seq("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS").iterator
      .flatMap(k => sys.env.get(k).flatMap(_.trim.toIntOption)).find(_ > 0)
    fromEnv.getOrElse(if (ember.tensor.Blas.isNative) cores else 1)
  }

  /** Model replicas to run in parallel: the value given to [[init]], else cores / BLAS threads. */
  def modelReplicas: Int = if (replicas > 0) replicas else math.max(1, cores / math.max(1, blasThreads))

  /** The shared pool of daemon threads (one per replica), created on first use and logged. */
  def threadPool: ExecutorService = synchronized {
    if (pool == null) {
      val n = modelReplicas
      log.info(s"Ember Engine: $cores cores, $n model replica(s), $blasThreads BLAS thread(s) each (${ember.tensor.Blas.implementation})")
      if (n * blasThreads > cores) log.warn(s"Ember Engine: $n replicas x $blasThreads BLAS threads exceed $cores cores; " +
        "set OPENBLAS_NUM_THREADS=1 (or MKL_NUM_THREADS=1) in the environment to avoid oversubscription")
      val counter = new AtomicInteger()
      pool = Executors.newFixedThreadPool(n, new ThreadFactory {
        override def newThread(r: Runnable): Thread = {
          val t = new Thread(r, s"ember-replica-${counter.getAndIncrement()}")
          t.setDaemon(true)
          t
        }
      })
    }
    pool
  }

  /**
   * Runs the tasks and returns their results in order: the first in the calling thread (which would
   * otherwise only wait: one hand-off less per call, and no deadlock when called from a pool thread), the
   * others on the pool. The first failure is rethrown (its original exception, not an ExecutionException
   * wrapper) after all tasks have finished, so no task is still touching shared buffers when the caller
   * handles the error.
   */
  def invokeAll[T](tasks: Seq[() => T]): Seq[T] = {
    if (tasks.length == 1) return Seq(tasks.head())
    val futures = tasks.tail.map(t => threadPool.submit(new Callable[T] { override def call(): T = t() }))
    val first = scala.util.Try(tasks.head())
    val results = first +: futures.map(f => scala.util.Try(f.get()))
    results.collectFirst { case scala.util.Failure(e) => e } match {
      case Some(e: java.util.concurrent.ExecutionException) if e.getCause != null => throw e.getCause
      case Some(e) => throw e
      case None => results.map(_.get)
    }
  }
}
