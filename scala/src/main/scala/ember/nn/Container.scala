package ember.nn

import scala.collection.mutable.ArrayBuffer

/** A module made of sub-modules; `add` appends one. The model file stores the children in order. */
abstract class Container extends Module {
  protected val modules: ArrayBuffer[Module] = ArrayBuffer.empty[Module]

  def add(module: Module): this.type = {
    require(module != null, "cannot add a null module")
    modules += module
    this
  }

  /** Puts `module` in place of the child at `index` (model rewrites such as `quantize`). */
  private[nn] def replaceChild(index: Int, module: Module): Unit = {
    require(module != null, "cannot put a null module in a container")
    modules(index) = module
  }

  /** The child that alone reads the output of child `index`, and reads nothing else, or -1 (for model rewrites
   * such as `quantize`'s fusions; containers that do not know say -1). */
  private[nn] def soleConsumer(index: Int): Int = -1

  override def children: Seq[Module] = modules.toSeq
  override def reset(): Unit = modules.foreach(_.reset())

  override def toString: String = {
    val inner = modules.zipWithIndex.map { case (m, i) => s"  ($i): ${m.toString.replace("\n", "\n  ")}" }
    s"${getClass.getSimpleName} {\n${inner.mkString("\n")}\n}"
  }
}
