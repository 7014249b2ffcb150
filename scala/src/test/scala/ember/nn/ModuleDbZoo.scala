package ember.nn

/**
 * Registry entries of the model-zoo layers and criterions (issue 4; owned by the zoo engineer). Every entry
 * here gets the generic checks of [[ModuleDbSuite]]; see [[ModuleDbCore]] for examples.
 */
object ModuleDbZoo {
  val cases: Seq[DbCase] = Nil
}
