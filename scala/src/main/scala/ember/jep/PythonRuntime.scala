package ember.jep

import scala.sys.process._
import scala.util.control.NonFatal

import com.fasterxml.jackson.databind.ObjectMapper
import jep.{AllowPythonClassEnquirer, JepConfig, JepException, MainInterpreter, NamingConventionClassEnquirer,
  SharedInterpreter}

/**
 * CPython inside this JVM through jep, one interpreter per thread.
 *
 * jep binds an interpreter to the thread that made it, so each thread that runs Python code (a LocalOptimizer
 * replica, a Spark task thread) gets its own `SharedInterpreter` on first use; shared interpreters share imported
 * modules (numpy needs that) and take turns on the GIL. They live as long as their thread.
 *
 * Finding Python: jep's native library (libjep.so) and the module search path are those of one Python
 * executable, the first of: [[configure]] (Ember's Python package calls it in the driver), the Spark setting
 * `spark.ember.python` (Ember's `create_spark_conf` sets it, so executors of any cluster manager see it), the
 * environment variables `EMBER_PYTHON` and `PYSPARK_PYTHON`, then `python3` on the PATH. That Python is run once
 * per JVM to report its `sys.path` and where jep is installed; no manual library path is needed.
 *
 * Every call goes through `_ember_call` (installed in each interpreter, Ember's own code): it imports the
 * function named "module:qualified.name" once per interpreter and returns a contiguous float32 array.
 */
object PythonRuntime {
  private val helper =
    """import importlib as _ember_importlib
      |import numpy as _ember_np
      |_ember_functions = {}
      |def _ember_function(ref):
      |    fn = _ember_functions.get(ref)
      |    if fn is None:
      |        module, _, qualname = ref.partition(":")
      |        fn = _ember_importlib.import_module(module)
      |        for part in qualname.split("."):
      |            fn = getattr(fn, part)
      |        _ember_functions[ref] = fn
      |    return fn
      |def _ember_call(ref, *args):
      |    return _ember_np.ascontiguousarray(_ember_function(ref)(*args), dtype=_ember_np.float32)
      |def _ember_scalar(ref, *args):
      |    return float(_ember_function(ref)(*args))
      |""".stripMargin

  /** The jep version of the bundled Java classes (build.sbt's jepVersion); the Python side must match. */
  val JepVersion = "4.3.1"

  @volatile private var python: Option[String] = None
  private lazy val started: Unit = start()
  private val interpreters = new ThreadLocal[SharedInterpreter]

  /** Uses the Python executable `executable` (before the first Python call of this JVM; later calls are ignored). */
  def configure(executable: String): Unit = {
    require(executable != null && executable.nonEmpty, "PythonRuntime.configure: a Python executable is required")
    if (python.isEmpty) python = Some(executable)
  }

  /** The Python executable this JVM uses (see the class comment). */
  def executable: String = python
    .orElse(Option(org.apache.spark.SparkEnv.get).flatMap(_.conf.getOption("spark.ember.python")))
    .orElse(sys.env.get("EMBER_PYTHON")).orElse(sys.env.get("PYSPARK_PYTHON")).getOrElse("python3")

  private def start(): Unit = {
    val exe = executable
    // jep itself only imports inside a JVM: find it without importing it
    val script = "import importlib.util, importlib.metadata, json, sys\ns = importlib.util.find_spec('jep')\n" +
      "where = list(s.submodule_search_locations)[0] if s else None\n" +
      "version = importlib.metadata.version('jep') if s else None\n" +
      "print(json.dumps({'path': [p for p in sys.path if p], 'jep': where, 'version': version}))"
    val out = try Seq(exe, "-c", script).!!(ProcessLogger(_ => ())).trim catch {
      case NonFatal(e) =>
        throw new IllegalStateException(s"cannot run the Python executable '$exe' to find jep: ${e.getMessage}", e)
    }
    val info = new ObjectMapper().readTree(out.linesIterator.toSeq.last)
    if (info.get("jep").isNull) throw new IllegalStateException(
      s"jep is not installed for $exe: pip install ember-dl[jep] (or jep==$JepVersion; it builds from source and " +
        "needs JAVA_HOME)")
    val version = info.get("version").asText
    if (version != JepVersion) throw new IllegalStateException(s"jep $version is installed for $exe, but Ember's " +
      s"bundled jep classes are $JepVersion: pip install jep==$JepVersion (or ember-dl[jep])")
    MainInterpreter.setJepLibraryPath(s"${info.get("jep").asText}/libjep.so")
    val config = new JepConfig()
    info.get("path").elements().forEachRemaining(p => config.addIncludePaths(p.asText))
    // jep lets Python import Java packages; "ember" is both, and the Python package must win (ember.jep.functions)
    config.setClassEnquirer(new AllowPythonClassEnquirer(new NamingConventionClassEnquirer(), "ember"))
    SharedInterpreter.setConfig(config)
  }

  /** This thread's interpreter, made on first use. */
  def interpreter: SharedInterpreter = {
    var i = interpreters.get()
    if (i == null) {
      started
      i = new SharedInterpreter()
      i.exec(helper)
      interpreters.set(i)
    }
    i
  }

  /** Runs `body` and turns a Python error into a [[PythonCodeException]] naming `what`. */
  def guarded[T](what: String)(body: => T): T =
    try body catch { case e: JepException => throw new PythonCodeException(s"$what: ${e.getMessage}", e) }
}

/** A Python function called by Ember raised an error (or could not be imported). */
class PythonCodeException(message: String, cause: Throwable) extends RuntimeException(message, cause)
