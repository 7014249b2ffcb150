package ember.nn

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.{ArrayNode, ObjectNode}

/** A module description names no class, an unknown one, or arguments its constructor cannot take. */
class ModuleSpecException(message: String, cause: Throwable = null) extends IllegalArgumentException(message, cause)

/**
 * Module structure <-> JSON, by class name and constructor arguments ([[Module.config]] / [[Criterion.config]]),
 * with each module's name, regularizers ([[Regularizer.config]]), frozen flag and children.
 *
 * A description is matched to a constructor by argument NAME first (parameters it lacks take their Scala
 * defaults, see [[ConstructorArgs]]), then by position among the constructors taking as many arguments
 * (descriptions whose names are not the constructor's, as some older files have). Arguments are decoded by
 * the type of the matching constructor parameter (Int, Long, Float, Double,
 * Boolean, String, arrays of numbers, a Module or Criterion, a Seq), so the JSON stays plain and readable:
 * `{"class": "ember.nn.Linear", "args": {"inputSize": 784, "outputSize": 10, "withBias": true}}`.
 * Only subclasses of Module / Criterion / Regularizer are ever instantiated from a description.
 *
 * It lives in `nn` because a module's description is the module's own business: [[Module.cloneModule]]
 * rebuilds a copy from it; `ember.io.ModelFile` stores it in the model file's header, Spark ML stages keep
 * it as a parameter, and the optimizers build criterions for their replicas from it.
 */
object ModuleSpec {
  private val mapper = new ObjectMapper()

  def describe(module: Module): ObjectNode = {
    val node = mapper.createObjectNode()
    node.put("class", module.getClass.getName)
    if (module.getName != module.getClass.getSimpleName) node.put("name", module.getName)
    node.set[JsonNode]("args", encodeArgs(module.config))
    if (module.regularizers.nonEmpty) {
      val regs = node.putObject("regularizers")
      module.regularizers.foreach { case (p, r) => regs.set[JsonNode](p, describe(r)) }
    }
    if (module.isFrozen) node.put("frozen", true) // replicas built from the file must not train it either
    module match {
      case c: Container =>
        val arr = node.putArray("children")
        c.children.foreach(ch => arr.add(describe(ch)))
      case _ =>
    }
    node
  }

  def describe(criterion: Criterion): ObjectNode = classAndArgs(criterion.getClass, criterion.config)

  /** A regularizer as `{"class": ..., "args": {...}}`. */
  def describe(regularizer: Regularizer): ObjectNode = classAndArgs(regularizer.getClass, regularizer.config)

  private def classAndArgs(cls: Class[_], config: Seq[(String, Any)]): ObjectNode = {
    val node = mapper.createObjectNode()
    node.put("class", cls.getName)
    node.set[JsonNode]("args", encodeArgs(config))
    node
  }

  def build(node: JsonNode): Module = {
    val m = instantiate(node, classOf[Module])
    Option(node.get("name")).foreach(n => m.setName(n.asText))
    fields(Option(node.get("regularizers")).getOrElse(mapper.createObjectNode())).foreach { case (p, r) =>
      val reg = try buildRegularizer(r) catch {
        case e: IllegalArgumentException => throw new ModuleSpecException(s"bad regularizer of '$p' in the model file: ${e.getMessage}", e)
      }
      try m.setRegularizer(p, reg) catch {
        case e: IllegalArgumentException => throw new ModuleSpecException(e.getMessage, e)
      }
    }
    Option(node.get("frozen")).foreach(f => m.setFrozenFlag(f.asBoolean))
    m match {
      case c: Container => elements(node.get("children")).foreach(ch => c.add(build(ch)))
      case _ if node.has("children") && node.get("children").size > 0 =>
        throw new ModuleSpecException(s"${m.getClass.getName} is not a container but the file lists children for it")
      case _ =>
    }
    m
  }

  def buildCriterion(node: JsonNode): Criterion = instantiate(node, classOf[Criterion])

  /** A regularizer from [[describe]]; files written before the regularizers moved to `nn` name them `ember.optim.*`. */
  def buildRegularizer(node: JsonNode): Regularizer = {
    val named = Option(node).flatMap(n => Option(n.get("class"))).map(_.asText)
    named.flatMap(MovedRegularizers.get) match {
      case Some(now) => instantiate(node.deepCopy[ObjectNode]().put("class", now), classOf[Regularizer])
      case None      => instantiate(node, classOf[Regularizer])
    }
  }

  private val MovedRegularizers: Map[String, String] =
    Seq("L1L2Regularizer", "L1Regularizer", "L2Regularizer").map(n => s"ember.optim.$n" -> s"ember.nn.$n").toMap

  /**
   * A deep copy of `module` built from its description (so with its own parameters), with the values of
   * its parameters and buffers copied in: [[Module.cloneModule]].
   */
  def copy(module: Module): Module = {
    val clone = build(describe(module))
    val (from, to) = (tensors(module), tensors(clone))
    require(from.keySet == to.keySet, s"${module.getClass.getName}: its copy has the tensors ${to.keys.mkString(", ")}, " +
      s"the original ${from.keys.mkString(", ")} (its config does not describe it fully)")
    from.foreach { case (name, t) => to(name).copy(t) }
    clone
  }

  private def tensors(m: Module): Map[String, ember.tensor.Tensor] =
    (m.namedParameters.map { case (n, p) => n -> p.value } ++ m.namedBuffers).toMap

  private def encodeArgs(args: Seq[(String, Any)]): ObjectNode = {
    val node = mapper.createObjectNode()
    args.foreach { case (k, v) => node.set[JsonNode](k, encode(v)) }
    node
  }

  private def encode(v: Any): JsonNode = v match {
    case null         => mapper.nullNode()
    case i: Int       => mapper.getNodeFactory.numberNode(i)
    case l: Long      => mapper.getNodeFactory.numberNode(l)
    case f: Float     => mapper.getNodeFactory.numberNode(f.toString.toDouble)
    case d: Double    => mapper.getNodeFactory.numberNode(d)
    case b: Boolean   => mapper.getNodeFactory.booleanNode(b)
    case s: String    => mapper.getNodeFactory.textNode(s)
    case m: Module    => mapper.createObjectNode().set[JsonNode]("module", describe(m))
    case c: Criterion => mapper.createObjectNode().set[JsonNode]("criterion", describe(c))
    case a: Array[_]  => seqNode(a.toSeq)
    case s: Iterable[_] => seqNode(s.toSeq)
    case other =>
      throw new IllegalArgumentException(s"cannot store a constructor argument of type ${other.getClass.getName} in a model file")
  }

  private def seqNode(s: Seq[Any]): ArrayNode = { val a = mapper.createArrayNode(); s.foreach(x => a.add(encode(x))); a }

  private def instantiate[T](node: JsonNode, base: Class[T]): T = {
    val className = Option(node).flatMap(n => Option(n.get("class"))).map(_.asText).getOrElse(
      throw new ModuleSpecException("a module entry has no class name"))
    val cls = try Class.forName(className, true, Option(Thread.currentThread.getContextClassLoader).getOrElse(getClass.getClassLoader))
    catch { case _: ClassNotFoundException => throw new ModuleSpecException(s"unknown layer class '$className' in the model file") }
    if (!base.isAssignableFrom(cls)) throw new ModuleSpecException(s"class '$className' in the model file is not a ${base.getSimpleName}")
    val named = argFields(node.get("args"))
    val attempts = (byName(cls, named) ++ byPosition(cls, named.map(_._2))).map { make =>
      try Right(make())
      catch {
        case e: java.lang.reflect.InvocationTargetException => throw new ModuleSpecException(
          s"cannot build $className from the file's arguments: ${e.getCause.getMessage}", e.getCause)
        case e: Exception => Left(e)
      }
    }
    attempts.collectFirst { case Right(obj) => base.cast(obj) }.getOrElse(throw new ModuleSpecException(
      s"no constructor of $className takes the file's ${named.length} arguments (${named.map(_._1).mkString(", ")})"))
  }

  /**
   * The constructor whose parameter names cover the description's argument names, the missing ones taking
   * their Scala defaults ([[ConstructorArgs]]): tried first, so that arguments added to a layer later, with
   * a default, leave older files readable, whatever their order.
   */
  private def byName(cls: Class[_], named: Seq[(String, JsonNode)]): Iterator[() => AnyRef] = {
    val given = named.toMap
    ConstructorArgs.matching(cls, named.map(_._1)).iterator.map { s => () =>
      val values = s.names.indices.map { i =>
        given.get(s.names(i)).map(decode(s.types(i), _)).getOrElse(s.defaults(i).get.apply())
      }
      s.constructor.newInstance(values: _*).asInstanceOf[AnyRef]
    }
  }

  /** Constructors taking as many arguments as the description has, in its order: descriptions whose names are not the parameters'. */
  private def byPosition(cls: Class[_], values: Seq[JsonNode]): Iterator[() => AnyRef] =
    cls.getConstructors.iterator.filter(_.getParameterCount == values.length).map { ctor => () =>
      ctor.newInstance(ctor.getParameterTypes.toSeq.zip(values).map { case (t, v) => decode(t, v) }: _*).asInstanceOf[AnyRef]
    }

  /** The arguments of a description in their order, by name. */
  private def argFields(node: JsonNode): Seq[(String, JsonNode)] = if (node == null) Nil else {
    val b = Seq.newBuilder[(String, JsonNode)]
    val it = node.properties().iterator()
    while (it.hasNext) { val e = it.next(); b += e.getKey -> e.getValue }
    b.result()
  }

  private def decode(t: Class[_], v: JsonNode): AnyRef = {
    def bad() = throw new IllegalArgumentException(s"cannot read $v as ${t.getSimpleName}")
    if (v == null || v.isNull) { if (t.isPrimitive) bad() else null }
    else if (t == classOf[Int] || t == classOf[java.lang.Integer]) { if (!v.canConvertToInt || !v.isIntegralNumber) bad(); Int.box(v.asInt) }
    else if (t == classOf[Long] || t == classOf[java.lang.Long]) { if (!v.isIntegralNumber) bad(); Long.box(v.asLong) }
    else if (t == classOf[Float] || t == classOf[java.lang.Float]) Float.box(real(v).getOrElse(bad()).toFloat)
    else if (t == classOf[Double] || t == classOf[java.lang.Double]) Double.box(real(v).getOrElse(bad()))
    else if (t == classOf[Boolean] || t == classOf[java.lang.Boolean]) { if (!v.isBoolean) bad(); Boolean.box(v.asBoolean) }
    else if (t == classOf[String]) { if (!v.isTextual) bad(); v.asText }
    else if (t == classOf[Array[Int]]) { if (!v.isArray) bad(); elements(v).map(_.asInt).toArray }
    else if (t == classOf[Array[Float]]) { if (!v.isArray) bad(); elements(v).map(_.asDouble.toFloat).toArray }
    else if (t == classOf[Array[Double]]) { if (!v.isArray) bad(); elements(v).map(_.asDouble).toArray }
    else if (classOf[Module].isAssignableFrom(t)) { if (!v.has("module")) bad(); build(v.get("module")) }
    else if (classOf[Criterion].isAssignableFrom(t)) { if (!v.has("criterion")) bad(); buildCriterion(v.get("criterion")) }
    else if (classOf[scala.collection.Seq[_]].isAssignableFrom(t)) { if (!v.isArray) bad(); elements(v).map(decodeAny).toList }
    else bad()
  }

  /** A number, or one of the strings Jackson writes for non-finite doubles ("Infinity", "-Infinity", "NaN"). */
  private def real(v: JsonNode): Option[Double] =
    if (v.isNumber) Some(v.asDouble)
    else if (v.isTextual) v.asText match {
      case "Infinity"  => Some(Double.PositiveInfinity)
      case "-Infinity" => Some(Double.NegativeInfinity)
      case "NaN"       => Some(Double.NaN)
      case _           => None
    }
    else None

  private def decodeAny(v: JsonNode): Any =
    if (v.isObject && v.has("module")) build(v.get("module"))
    else if (v.isObject && v.has("criterion")) buildCriterion(v.get("criterion"))
    else if (v.isIntegralNumber) v.asInt
    else if (v.isNumber) v.asDouble
    else if (v.isBoolean) v.asBoolean
    else if (v.isArray) elements(v).map(decodeAny).toList
    else v.asText

  /** The fields of a JSON object by name. */
  private[ember] def fields(node: JsonNode): Map[String, JsonNode] = {
    val b = Map.newBuilder[String, JsonNode]
    val it = node.properties().iterator()
    while (it.hasNext) { val e = it.next(); b += e.getKey -> e.getValue }
    b.result()
  }

  /** The elements of a JSON array (none for anything else). */
  private[ember] def elements(node: JsonNode): Seq[JsonNode] =
    if (node == null || !node.isArray) Nil else (0 until node.size).map(node.get)
}
