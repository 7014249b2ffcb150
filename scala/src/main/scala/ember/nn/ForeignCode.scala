package ember.nn

/**
 * A module whose computation is code from outside the model file (Python functions run through jep, see
 * `ember.jep`). Building one never runs that code; running it does. [[ember.io.ModelFile.load]] refuses a file
 * holding such modules unless the caller trusts it, naming the [[codeModules]] it would import.
 */
trait ForeignCode {

  /** The code modules (Python modules) this module imports when it runs. */
  def codeModules: Seq[String]
}

object ForeignCode {

  /** The code modules that `module` and its descendants would import, in order, without repeats. */
  def required(module: Module): Seq[String] =
    Module.descendants(module).collect { case f: ForeignCode => f.codeModules }.flatten.distinct
}
