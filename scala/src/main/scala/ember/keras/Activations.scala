package ember.keras

import ember.nn._

/** Keras activation names -> ember.nn modules (BigDL's list). */
object Activations {
  private val table: Map[String, () => Module] = Map(
    "relu" -> (() => new ReLU()), "relu6" -> (() => new ReLU6()), "tanh" -> (() => new Tanh()),
    "sigmoid" -> (() => new Sigmoid()), "hard_sigmoid" -> (() => new HardSigmoid()), "softmax" -> (() => new SoftMax()),
    "log_softmax" -> (() => new LogSoftMax()), "softplus" -> (() => new SoftPlus()), "softsign" -> (() => new SoftSign()),
    "elu" -> (() => new ELU()), "leaky_relu" -> (() => new LeakyReLU()))

  /** The known names (plus "linear", meaning none). */
  def names: Seq[String] = ("linear" +: table.keys.toSeq).sorted

  /** A factory of the module for `name` (None for null, "" or "linear"); an unknown name fails, listing the known. */
  def factory(name: String): () => Option[Module] = name match {
    case null | "" | "linear" => () => None
    case n =>
      val f = table.getOrElse(n.toLowerCase,
        throw new IllegalArgumentException(s"activation: unknown name '$n'; expected one of ${names.mkString(", ")}"))
      () => Some(f())
  }
}
