package ember.tensor.dnn

import scala.util.control.NonFatal

import org.bytedeco.javacpp.Loader
import org.bytedeco.dnnl.{engine, stream}
import org.bytedeco.dnnl.global.{dnnl => api}
import org.slf4j.LoggerFactory

/**
 * Ember's handle on oneDNN (through the JavaCPP preset `org.bytedeco:dnnl`): loads the library once, owns the
 * CPU engine and one stream per thread, fixes oneDNN's thread count for each calling thread, and decides once
 * at start-up which kernel set the layers use.
 *
 * Kernel selection: `EMBER_KERNELS=jvm` forces the JVM kernels; `EMBER_KERNELS=dnnl` requires oneDNN (an error
 * when it cannot load); unset means oneDNN when its natives load (linux-x86_64), else the JVM kernels with a
 * warning. The choice is logged with the CPU ISA oneDNN dispatches to. [[setKernels]] switches at run time
 * (tests run every registry check once per kernel set).
 *
 * Threads: the preset's oneDNN runs on OpenMP (libgomp), whose thread count is per calling thread. Ember's
 * budget is `replicas x threads <= cores`, with one model replica per core when the environment says one native
 * thread (`OMP_NUM_THREADS`/`OPENBLAS_NUM_THREADS`=1, what Ember's launchers set) and one replica using every
 * core otherwise, the same rule as [[ember.parallel.Engine]]'s BLAS threads. [[enter]] applies it to the
 * calling thread before its first primitive, so two replicas never start two teams each.
 */
object Dnn {
  private val log = LoggerFactory.getLogger(getClass)

  /** The kernel sets a layer can run on. */
  sealed abstract class Kernels(val name: String)
  case object JvmKernels extends Kernels("jvm")
  case object DnnlKernels extends Kernels("dnnl")

  /** The loaded library: the engine and a description for the log. */
  final class Runtime private[Dnn] (val engine: engine, val description: String)

  /** oneDNN, loaded once; Left(reason) when it cannot load here. */
  lazy val runtime: Either[String, Runtime] = try {
    Loader.load(classOf[api])
    val v = api.dnnl_version()
    val isa = isaName(api.dnnl_get_effective_cpu_isa())
    val eng = new engine(org.bytedeco.dnnl.engine.kind.cpu, 0)
    Right(new Runtime(eng, s"oneDNN ${v.major}.${v.minor}.${v.patch} (${isa}, OpenMP)"))
  } catch {
    case NonFatal(e) => Left(e.toString)
    case e: LinkageError => Left(e.toString)
  }

  private def isaName(isa: Int): String = Seq(
    api.dnnl_cpu_isa_avx512_core_amx -> "avx512_core_amx", api.dnnl_cpu_isa_avx512_core_fp16 -> "avx512_core_fp16",
    api.dnnl_cpu_isa_avx512_core_bf16 -> "avx512_core_bf16", api.dnnl_cpu_isa_avx512_core_vnni -> "avx512_core_vnni",
    api.dnnl_cpu_isa_avx512_core -> "avx512_core", api.dnnl_cpu_isa_avx2_vnni_2 -> "avx2_vnni_2",
    api.dnnl_cpu_isa_avx2_vnni -> "avx2_vnni", api.dnnl_cpu_isa_avx2 -> "avx2", api.dnnl_cpu_isa_avx -> "avx",
    api.dnnl_cpu_isa_sse41 -> "sse41"
  ).collectFirst { case (bits, n) if (isa & bits) == bits => n }.getOrElse(s"isa 0x${isa.toHexString}")

  /** The kernel set chosen at start-up from `EMBER_KERNELS` and whether oneDNN loads; logged once. */
  lazy val startupKernels: Kernels = {
    val wanted = sys.env.get("EMBER_KERNELS").map(_.trim.toLowerCase).filter(_.nonEmpty)
    val chosen = (wanted, runtime) match {
      case (Some("jvm"), _) => JvmKernels
      case (Some("dnnl") | None, Right(_)) => DnnlKernels
      case (Some("dnnl"), Left(why)) =>
        throw new IllegalStateException(s"EMBER_KERNELS=dnnl but oneDNN cannot load: $why")
      case (None, Left(why)) =>
        log.warn(s"Ember kernels: oneDNN not available ($why); using the JVM kernels (slower)")
        JvmKernels
      case (Some(other), _) =>
        throw new IllegalArgumentException(s"EMBER_KERNELS must be 'jvm' or 'dnnl', got '$other'")
    }
    val how = runtime.fold(_ => "", r => s"; ${r.description}")
    log.info(s"Ember kernels: ${chosen.name} (${threads} oneDNN thread(s) per replica$how); BLAS: ${NativeBlas.install.description}")
    chosen
  }

  @volatile private var current: Kernels = null

  /** The kernel set in use. */
  def kernels: Kernels = { val k = current; if (k != null) k else { current = startupKernels; current } }

  /** Name of the kernel set in use ("dnnl" or "jvm"), for Python and logs. */
  def kernelsName: String = kernels.name

  /** True when layers should run their oneDNN kernels. */
  def enabled: Boolean = kernels eq DnnlKernels

  /** Switches the kernel set (tests, benchmarks); oneDNN must be loadable to choose it. */
  def setKernels(k: Kernels): Unit = {
    if (k eq DnnlKernels) runtime.left.foreach(why => throw new IllegalStateException(s"oneDNN cannot load: $why"))
    startupKernels // log the start-up choice once, whatever is chosen later
    current = k
  }

  /** Runs `body` with the given kernel set, restoring the previous one after. */
  def withKernels[T](k: Kernels)(body: => T): T = {
    val before = kernels
    setKernels(k)
    try body finally setKernels(before)
  }

  /** oneDNN threads per calling thread: the environment's native thread count, else every core (see above). */
  lazy val threads: Int = Seq("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS").iterator
    .flatMap(k => sys.env.get(k).flatMap(_.trim.toIntOption)).find(_ > 0)
    .getOrElse(java.lang.Runtime.getRuntime.availableProcessors())

  private val threadState = new ThreadLocal[stream]()

  /** The engine; only valid when oneDNN loaded. */
  def engine: engine = runtime.fold(why => throw new IllegalStateException(s"oneDNN cannot load: $why"), _.engine)

  /** This thread's stream, created (and the thread's OpenMP team size set) on first use. */
  def enter(): stream = {
    val s = threadState.get()
    if (s != null) s
    else {
      NativeCalls.callVoidInt("omp_set_num_threads", threads)
      val created = new stream(engine)
      threadState.set(created)
      created
    }
  }
}
