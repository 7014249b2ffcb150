package ember.optim

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.ObjectNode

/**
 * Optim methods and learning-rate schedules <-> JSON by class name and constructor arguments (their
 * `config`), as `ember.nn.ModuleSpec` does for modules: `{"class": "ember.optim.SGD", "args": {...}}`.
 * Checkpoints store this. Only subclasses of OptimMethod / LearningRateSchedule are ever instantiated.
 */
object OptimMethodSpec {
  private val mapper = new ObjectMapper()

  def describe(method: OptimMethod): String = node(method.getClass.getName, method.config).toString

  def build(json: String): OptimMethod = instantiate(parse(json), classOf[OptimMethod])

  /** A learning-rate schedule as JSON. */
  def describe(schedule: LearningRateSchedule): String = node(schedule.getClass.getName, schedule.config).toString

  def buildSchedule(json: String): LearningRateSchedule = instantiate(parse(json), classOf[LearningRateSchedule])

  private def parse(json: String): JsonNode = try mapper.readTree(json) catch {
    case e: Exception => throw new IllegalArgumentException(s"corrupt optim description: ${e.getMessage}", e)
  }

  private def node(cls: String, args: Seq[(String, Any)]): ObjectNode = {
    val n = mapper.createObjectNode()
    n.put("class", cls)
    val a = n.putObject("args")
    args.foreach { case (k, v) => a.set[JsonNode](k, encode(v)) }
    n
  }

  private def encode(v: Any): JsonNode = v match {
    case null                    => mapper.nullNode()
    case d: Double               => mapper.getNodeFactory.numberNode(d)
    case f: Float                => mapper.getNodeFactory.numberNode(f.toDouble)
    case i: Int                  => mapper.getNodeFactory.numberNode(i)
    case l: Long                 => mapper.getNodeFactory.numberNode(l)
    case b: Boolean              => mapper.getNodeFactory.booleanNode(b)
    case s: String               => mapper.getNodeFactory.textNode(s)
    case s: LearningRateSchedule => node(s.getClass.getName, s.config)
    case a: Array[Double]        => { val arr = mapper.createArrayNode(); a.foreach(x => arr.add(x)); arr }
    case a: Array[Int]           => { val arr = mapper.createArrayNode(); a.foreach(x => arr.add(x)); arr }
    case s: Seq[_]               => { val arr = mapper.createArrayNode(); s.foreach(x => arr.add(encode(x))); arr }
    case other => throw new IllegalArgumentException(s"cannot store an optim-method argument of type ${other.getClass.getName}")
  }

  private def instantiate[T](n: JsonNode, base: Class[T]): T = {
    val name = Option(n.get("class")).map(_.asText).getOrElse(throw new IllegalArgumentException("optim description has no class"))
    val cls = try Class.forName(name) catch {
      case _: ClassNotFoundException => throw new IllegalArgumentException(s"unknown optim class '$name' in the checkpoint")
    }
    require(base.isAssignableFrom(cls), s"class '$name' in the checkpoint is not a ${base.getSimpleName}")
    val args = fields(n.get("args"))
    val values = args.map(_._2)
    val ctor = cls.getConstructors.find(_.getParameterCount == values.length).getOrElse(throw new IllegalArgumentException(
      s"no constructor of $name takes the checkpoint's ${values.length} arguments (${args.map(_._1).mkString(", ")})"))
    val decoded = ctor.getParameterTypes.zip(values).map { case (t, v) => decode(t, v) }
    try base.cast(ctor.newInstance(decoded: _*)) catch {
      case e: java.lang.reflect.InvocationTargetException => throw new IllegalArgumentException(
        s"cannot build $name from the checkpoint's arguments: ${e.getCause.getMessage}", e.getCause)
    }
  }

  /** The fields of a JSON object in order. */
  private def fields(node: JsonNode): Seq[(String, JsonNode)] = if (node == null) Nil else {
    val b = Seq.newBuilder[(String, JsonNode)]
    val it = node.properties().iterator()
    while (it.hasNext) { val e = it.next(); b += e.getKey -> e.getValue }
    b.result()
  }

  private def elements(node: JsonNode): Seq[JsonNode] = if (node == null || !node.isArray) Nil else (0 until node.size).map(node.get)

  private def decode(t: Class[_], v: JsonNode): AnyRef =
    if (v == null || v.isNull) null
    else if (t == classOf[Double]) Double.box(v.asDouble)
    else if (t == classOf[Float]) Float.box(v.asDouble.toFloat)
    else if (t == classOf[Int]) Int.box(v.asInt)
    else if (t == classOf[Long]) Long.box(v.asLong)
    else if (t == classOf[Boolean]) Boolean.box(v.asBoolean)
    else if (t == classOf[String]) v.asText
    else if (t == classOf[Array[Double]]) elements(v).map(_.asDouble).toArray
    else if (t == classOf[Array[Int]]) elements(v).map(_.asInt).toArray
    else if (classOf[LearningRateSchedule].isAssignableFrom(t)) instantiate(v, classOf[LearningRateSchedule])
    else if (classOf[scala.collection.Seq[_]].isAssignableFrom(t)) elements(v).map(instantiate(_, classOf[LearningRateSchedule])).toList
    else throw new IllegalArgumentException(s"cannot read $v as ${t.getSimpleName}")
}
