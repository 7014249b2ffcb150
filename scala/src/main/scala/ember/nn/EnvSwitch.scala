package ember.nn

/**
 * An on/off switch of an optional code path, on unless environment variable `variable` is "0" when the JVM
 * starts; tests and benchmarks set it for a block with [[withEnabled]] to compare both paths.
 */
abstract class EnvSwitch(variable: String) {

  /** Whether the path is taken. */
  @volatile var enabled: Boolean = !sys.env.get(variable).exists(_.trim == "0")

  /** Runs `body` with [[enabled]] set to `on`, restoring it after. */
  def withEnabled[T](on: Boolean)(body: => T): T = {
    val before = enabled
    enabled = on
    try body finally enabled = before
  }
}
