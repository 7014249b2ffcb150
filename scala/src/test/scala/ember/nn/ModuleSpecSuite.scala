package ember.nn

import com.fasterxml.jackson.databind.ObjectMapper
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** A layer with a Scala default argument, for the by-name matching of descriptions. */
class SpecTestScale(val factor: Double, val offset: Double = 0.5) extends TensorModule {
  override def updateOutput(input: Tensor): Tensor = { output = input.clone().mul(factor.toFloat).add(offset.toFloat); outTensor }
  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = { gradInput = gradOutput.clone().mul(factor.toFloat); gradInTensor }
  override def config: Seq[(String, Any)] = Seq("factor" -> factor, "offset" -> offset)
}

/**
 * [[ModuleSpec]]: descriptions are matched to constructors by argument name (any order, Scala defaults for
 * what they lack), by position when the names are not the constructor's (older files), and
 * [[Module.cloneModule]] rebuilds a module from its description with copies of its tensors.
 */
class ModuleSpecSuite extends AnyFunSuite {
  private val mapper = new ObjectMapper()
  private def build(json: String): Module = ModuleSpec.build(mapper.readTree(json))

  test("arguments are matched to the constructor by name, in any order") {
    val m = build("""{"class": "ember.nn.Linear", "args": {"withBias": false, "outputSize": 2, "inputSize": 3}}""")
    assert(m.config == Seq("inputSize" -> 3, "outputSize" -> 2, "withBias" -> false))
    val c = build("""{"class": "ember.nn.SpatialConvolution", "args": {"withBias": false, "padH": 0, "padW": 1,
      "strideH": 1, "strideW": 2, "kernelH": 3, "kernelW": 5, "nOutputPlane": 4, "nInputPlane": 2}}""")
    assert(c.config == new SpatialConvolution(2, 4, 5, 3, 2, 1, 1, 0, false).config)
  }

  test("an argument the description lacks takes its Scala default; one it names overrides it") {
    val a = build("""{"class": "ember.nn.SpecTestScale", "args": {"factor": 2.0}}""").asInstanceOf[SpecTestScale]
    assert(a.factor == 2.0 && a.offset == 0.5)
    val b = build("""{"class": "ember.nn.SpecTestScale", "args": {"offset": -1.0, "factor": 3.0}}""").asInstanceOf[SpecTestScale]
    assert(b.factor == 3.0 && b.offset == -1.0)
  }

  test("a description whose names are not the constructor's is read by position, as older files were") {
    val m = build("""{"class": "ember.nn.Linear", "args": {"in": 3, "out": 2, "bias": false}}""")
    assert(m.config == Seq("inputSize" -> 3, "outputSize" -> 2, "withBias" -> false))
    val e = intercept[ModuleSpecException](build("""{"class": "ember.nn.Linear", "args": {"in": 3}}"""))
    assert(e.getMessage.contains("no constructor of ember.nn.Linear takes the file's 1 arguments (in)"), e.getMessage)
  }

  test("every registry layer and criterion names its configuration after its constructor's parameters") {
    // so that its model-file entry is read by name: arguments added later with a default keep old files readable
    val described = ModuleDb.modules.map(c => c.name -> { RandomGenerator.setSeed(1); ModuleSpec.describe(c.make()) }) ++
      ModuleDb.criterions.map(c => c.name -> ModuleSpec.describe(c.make()))
    val unnamed = described.flatMap { case (name, node) =>
      val cls = Class.forName(node.get("class").asText)
      val args = ModuleSpec.fields(node.get("args")).keys.toSeq
      if (ConstructorArgs.of(cls).exists(s => args.forall(s.names.contains) && s.names.length == args.length)) None
      else Some(s"$name: config (${args.mkString(", ")}) vs constructors " +
        ConstructorArgs.of(cls).map(_.names.mkString("(", ", ", ")")).mkString(" "))
    }
    assert(unnamed.isEmpty, unnamed.mkString("\n"))
  }

  test("cloneModule: same description and values, own tensors, names, regularizers and frozen flags kept") {
    RandomGenerator.setSeed(3)
    val fc = new Linear(4, 3).setName("fc").setWRegularizer(new L2Regularizer(0.1))
    val bn = new BatchNormalization(3)
    val model = new Sequential().add(fc).add(bn).add(new ReLU())
    bn.freeze()
    model.forward(Tensor.fromArray(Array.tabulate(8)(i => i * 0.25f), 2, 4)) // running statistics move
    val copy = model.cloneModule()
    assert(ModuleSpec.describe(copy).toString == ModuleSpec.describe(model).toString)
    val (orig, cloned) = (model.namedParameters ++ model.namedBuffers.map { case (n, t) => n -> Parameter(t, t) },
      copy.namedParameters ++ copy.namedBuffers.map { case (n, t) => n -> Parameter(t, t) })
    assert(orig.map(_._1) == cloned.map(_._1))
    orig.zip(cloned).foreach { case ((n, a), (_, b)) =>
      assert(a.value.toArray.sameElements(b.value.toArray), n)
      assert(!(a.value.storage eq b.value.storage), s"$n shares its storage with the original")
    }
    assert(copy.children.head.getName == "fc" && copy.children(1).isFrozen && !copy.children.head.isFrozen)
    assert(copy.children.head.regularizers.map(_._2.toString) == Seq("L2Regularizer(l2=0.1)"))
  }
}
