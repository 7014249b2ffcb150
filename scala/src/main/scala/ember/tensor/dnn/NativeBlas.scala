package ember.tensor.dnn

import scala.util.control.NonFatal

import org.bytedeco.javacpp.Loader
import org.slf4j.LoggerFactory

/**
 * Points netlib's JNI BLAS at the OpenBLAS bundled with Ember (the `linux-x86_64` natives jar of the JavaCPP
 * OpenBLAS preset, next to ember.jar) instead of whatever `libblas.so.3` the system has: Debian 12's OpenBLAS
 * 0.3.21 does not recognise recent Intel CPUs and runs SSE3 kernels there (DESIGN.md). The bundled one is a
 * DYNAMIC_ARCH build that picks its kernels from cpuid when it loads (Haswell/Zen for AVX2, SkylakeX/Cooper
 * Lake/Sapphire Rapids for AVX-512, ...).
 *
 * Steps: extract the library and its Fortran runtime into JavaCPP's cache, load it globally (so that the core
 * it chose can be read from its exported `gotoblas` pointer), then set `dev.ludovic.netlib.blas.nativeLibPath`
 * before netlib's BLAS is first created ([[ember.tensor.Blas]] calls [[install]] first). A path the user set
 * is kept; `EMBER_BLAS=system` keeps netlib's own search (`libblas.so.3`).
 */
object NativeBlas {
  private val log = LoggerFactory.getLogger(getClass)
  private val Dir = "/org/bytedeco/openblas/linux-x86_64/"
  private val Libs = Seq("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0")
  val PathProperty = "dev.ludovic.netlib.blas.nativeLibPath"

  /** OpenBLAS's kernel families, as exported `gotoblas_<CORE>` tables. */
  private val Cores = Seq("SAPPHIRERAPIDS", "COOPERLAKE", "SKYLAKEX", "ZEN", "HASWELL", "SANDYBRIDGE", "EXCAVATOR",
    "STEAMROLLER", "PILEDRIVER", "BULLDOZER", "BARCELONA", "NEHALEM", "CORE2", "PRESCOTT", "ATHLON")

  /** What [[install]] did, for the start-up log line. */
  final case class Status(description: String, bundled: Boolean)

  /** Installs the bundled OpenBLAS once (idempotent); the description says which library and core. */
  lazy val install: Status = {
    val userPath = Option(System.getProperty(PathProperty))
    if (userPath.isDefined) Status(s"user-chosen ${userPath.get}", bundled = false)
    else if (sys.env.get("EMBER_BLAS").exists(_.equalsIgnoreCase("system"))) Status("system libblas.so.3 (EMBER_BLAS=system)", bundled = false)
    else if (getClass.getResource(Dir + "libopenblas.so.0") == null) {
      log.warn("Ember BLAS: the bundled OpenBLAS (openblas-*-linux-x86_64.jar next to ember.jar) is not on the classpath; " +
        "netlib will look for the system's libblas.so.3")
      Status("system libblas.so.3 (bundled OpenBLAS not on the classpath)", bundled = false)
    } else try {
      val files = Libs.map(l => Loader.cacheResource(getClass, Dir + l))
      val lib = files.last.getAbsolutePath
      Loader.loadGlobal(lib)
      System.setProperty(PathProperty, lib)
      Status(s"bundled OpenBLAS 0.3.31, core ${coreName.getOrElse("unknown")} ($lib)", bundled = true)
    } catch {
      case NonFatal(e) =>
        log.warn(s"Ember BLAS: cannot load the bundled OpenBLAS ($e); netlib will look for the system's libblas.so.3")
        Status(s"system libblas.so.3 (bundled OpenBLAS failed: $e)", bundled = false)
    }
  }

  /** [[install]]'s description (installing first), for Python and logs. */
  def description: String = install.description

  /** The kernel family the loaded OpenBLAS chose (its `gotoblas` pointer is one of the `gotoblas_<CORE>` tables). */
  def coreName: Option[String] = NativeCalls.readPointerVariable("gotoblas").flatMap { table =>
    Cores.find(c => NativeCalls.symbol(s"gotoblas_$c").contains(table))
  }

  /** Sets OpenBLAS's thread count (its pthread pool is process-wide); false when the bundled library is not in use. */
  def setThreads(n: Int): Boolean = install.bundled && NativeCalls.callVoidInt("openblas_set_num_threads", n)
}
