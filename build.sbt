// Ember: one jar with Ember's classes only. Spark is provided: we compile and test against the jars of
// the pyspark pinned in pyproject.toml (same version by construction, no second download of Spark).
import scala.sys.process._

ThisBuild / organization := "org.ember"
ThisBuild / version := "0.1.0"
ThisBuild / scalaVersion := "2.13.18"

// Where the pinned pyspark keeps its jars: $EMBER_SPARK_JARS, else the pyspark importable by
// $EMBER_PYTHON (the Makefile's virtualenv, or pip's build environment), else by python3 on PATH.
lazy val sparkJarsDir = settingKey[File]("Spark jars of the pinned pyspark")

def pythonFor(base: File): String = {
  val venvPython = base / ".venv" / "bin" / "python"
  sys.env.getOrElse("EMBER_PYTHON", if (venvPython.exists) venvPython.getPath else "python3")
}

def locateSparkJars(base: File): File = {
  sys.env.get("EMBER_SPARK_JARS").map(file).getOrElse {
    val python = pythonFor(base)
    val script = "import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), 'jars'))"
    val dir = scala.util.Try(Seq(python, "-c", script).!!(ProcessLogger(_ => ()))).toOption.map(_.trim)
    dir.map(file).filter(_.isDirectory).getOrElse(sys.error(
      s"Cannot find Spark's jars: no pyspark importable by $python. Run `make jar`, or set EMBER_SPARK_JARS " +
        "to the jars/ folder of the pyspark version pinned in pyproject.toml."))
  }
}

// jep (CPython inside the JVM, package ember.jep): its Java classes from Maven Central, bundled next to ember.jar
// like the native jars; its native part (libjep.so) comes with the same version from PyPI (`pip install
// ember-dl[jep]`, requirements-jep.txt), which ember.jep.PythonRuntime.JepVersion checks. Compiling needs no Python jep.
val jepVersion = "4.3.1"

// Native kernels, bundled for linux-x86_64 (elsewhere Ember falls back to its JVM kernels): oneDNN through the
// JavaCPP presets (oneDNN's preset needs the OpenCL one even on CPU), and OpenBLAS for netlib's JNI BLAS. Only the
// natives jar of OpenBLAS is taken (its dependencies excluded): its JavaCPP classes want javacpp 1.5.13, oneDNN's 1.5.10, and
// Ember hands the bundled libopenblas.so to netlib instead of calling it through JavaCPP (ember.tensor.dnn.NativeBlas).
val javacpp = "1.5.10"
lazy val nativeDeps = Seq(
  "org.bytedeco" % "javacpp" % javacpp, "org.bytedeco" % "javacpp" % javacpp classifier "linux-x86_64",
  "org.bytedeco" % "dnnl" % s"3.3.4-$javacpp", "org.bytedeco" % "dnnl" % s"3.3.4-$javacpp" classifier "linux-x86_64",
  "org.bytedeco" % "opencl" % s"3.0-$javacpp", "org.bytedeco" % "opencl" % s"3.0-$javacpp" classifier "linux-x86_64",
  ("org.bytedeco" % "openblas" % "0.3.31-1.5.13" classifier "linux-x86_64").excludeAll(ExclusionRule("org.bytedeco"))
)

// The native jars are copied next to ember.jar and named in its manifest's Class-Path, so every `java -cp`,
// --driver-class-path, extraClassPath or wheel that has ember.jar (with its siblings) has the kernels too.
lazy val bundledJars = taskKey[Seq[File]]("native dependency jars copied next to ember.jar")

lazy val ember = (project in file("."))
  .settings(
    name := "ember",
    sparkJarsDir := locateSparkJars(baseDirectory.value),
    Compile / scalaSource := baseDirectory.value / "scala" / "src" / "main" / "scala",
    Compile / resourceDirectory := baseDirectory.value / "scala" / "src" / "main" / "resources",
    Test / scalaSource := baseDirectory.value / "scala" / "src" / "test" / "scala",
    Test / resourceDirectory := baseDirectory.value / "scala" / "src" / "test" / "resources",
    Compile / unmanagedJars ++= (sparkJarsDir.value ** "*.jar").classpath,
    libraryDependencies += "org.scalatest" %% "scalatest" % "3.2.19" % Test,
    libraryDependencies += "org.ninia" % "jep" % jepVersion,
    libraryDependencies ++= nativeDeps,
    bundledJars := {
      val target = baseDirectory.value / "scala" / "target"
      val bundled = Seq("org/bytedeco", "org/ninia")
      val jars = (Compile / managedClasspath).value.files.filter(f => bundled.exists(f.getPath.contains))
      jars.map { j => val dst = target / j.getName; IO.copyFile(j, dst, preserveLastModified = true); dst }
    },
    Compile / packageBin / packageOptions += Package.ManifestAttributes(
      "Class-Path" -> bundledJars.value.map(_.getName).sorted.mkString(" ")),
    javacOptions ++= Seq("--release", "17"),
    scalacOptions ++= Seq("-release", "17", "-deprecation", "-feature", "-unchecked", "-Xlint:-unused,_"),
    Compile / packageBin / artifactPath := baseDirectory.value / "scala" / "target" / "ember.jar",
    Test / fork := true,
    // the Python whose jep the forked tests' embedded interpreters use (ember.jep), as for the jars above
    Test / envVars += "EMBER_PYTHON" -> pythonFor(baseDirectory.value),
    // ... and the Python functions those tests name (ember.jep.functions) come from this checkout's sources, so
    // `make test` needs no installed ember package before the Scala tests (a fresh clone has none yet)
    Test / envVars += "PYTHONPATH" -> (baseDirectory.value / "python").getPath,
    Test / parallelExecution := false,
    Test / javaOptions ++= Seq("-Xmx4g", "-Dlog4j2.level=warn") ++ Seq(
      "java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect", "java.base/java.io",
      "java.base/java.net", "java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent",
      "java.base/java.util.concurrent.atomic", "java.base/sun.nio.ch", "java.base/sun.nio.cs",
      "java.base/sun.security.action", "java.base/sun.util.calendar"
    ).map(p => s"--add-opens=$p=ALL-UNNAMED"),
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD")
  )
