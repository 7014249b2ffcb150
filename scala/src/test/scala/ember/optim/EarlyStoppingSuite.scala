package ember.optim

import java.util.concurrent.atomic.AtomicInteger

import ember.nn.ClassNLLCriterion
import ember.optim.LocalOptimizerSuite.{clusters, mlp, weights}
import ember.tensor.Activity
import org.apache.spark.{SparkConf, SparkContext}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/** A validation method whose n-th validation (one batch each) scores `Scripted.scores(n)`, whatever the model does. */
class Scripted extends ValidationMethod {
  override def apply(output: Activity, target: Activity): ValidationResult =
    AccuracyResult((Scripted.scores(Scripted.calls.getAndIncrement()) * 1000).round, 1000)
}

object Scripted {
  val scores: Array[Float] = Array(0.1f, 0.5f, 0.3f, 0.2f, 0.4f, 0.1f, 0.1f, 0.1f)
  val calls = new AtomicInteger(0)
}

class EarlyStoppingSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _
  private val train = clusters(96, 1)
  private val valid = clusters(30, 2)

  override def beforeAll(): Unit =
    sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("EarlyStoppingSuite")
      .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))

  override def afterAll(): Unit = if (sc != null) sc.stop()

  private val nll = new ClassNLLCriterion()
  private def methods(v: ValidationMethod) = Array[ValidationMethod](v)

  test("patience, minDelta and mode, as Keras counts them") {
    val acc = Seq[ValidationMethod](new Top1Accuracy())
    val es = new EarlyStopping(2)
    val state = TrainingPosition(epoch = 1, iteration = 0, loss = 0f)
    assert(Seq(0.5f, 0.6f, 0.6f).map(s => es.observe(acc, Seq(s), 1)) == Seq(true, true, false) && !es(state))
    assert(!es.observe(acc, Seq(0.55f), 2) && es(state) && es.bestScore == 0.6f.toDouble)
    val strict = new EarlyStopping(0, 0.05)
    assert(strict.observe(acc, Seq(0.5f), 1) && !strict(state)) // an improvement never stops, even with patience 0
    assert(!strict.observe(acc, Seq(0.54f), 2) && strict(state)) // +0.04 is not more than minDelta
    val loss = new EarlyStopping(1, 0.0, "auto", "Loss", true) // auto: a Loss is better when lower
    val both = Seq[ValidationMethod](new Top1Accuracy(), new Loss(nll))
    assert(loss.observe(both, Seq(0.9f, 2f), 1) && loss.observe(both, Seq(0.1f, 1.5f), 2) && !loss.observe(both, Seq(1f, 1.6f), 3))
    assert(loss(state) && loss.bestIteration == 2)
    assert(intercept[IllegalArgumentException](new EarlyStopping(1, 0.0, "auto", "Top5", true).monitored(both)).getMessage
      .contains("no validation method named 'Top5' (validation methods: Top1Accuracy, Loss)"))
    assert(intercept[IllegalArgumentException](new EarlyStopping(-1)).getMessage.contains("patience must be >= 0, got -1"))
    assert(intercept[IllegalArgumentException](new EarlyStopping(1, 0.0, "best", null, true)).getMessage.contains("'best'"))
    assert(EarlyStopping.within(TriggerOr(MaxEpoch(3), TriggerAnd(MaxIteration(9), es))) == Seq(es))
  }

  /** Trains with validation each epoch (scores 0.1, 0.5, 0.3, 0.2, ...) until MaxEpoch(8) or early stopping. */
  private def run(opt: Optimizer, end: Trigger): Optimizer = {
    opt.setValidation(EveryEpoch(), valid, methods(new Scripted), 64).setEndWhen(end).setOptimMethod(new SGD(0.5))
    Scripted.calls.set(0) // setValidation tried the method once
    opt.optimize()
    opt
  }

  private def local(seed: Long) = new LocalOptimizer(mlp(seed), train, nll, 32).setModelReplicas(1).setDeterministic(true)

  test("LocalOptimizer: stops after `patience` validations without improvement and keeps the best model") {
    val reference = run(local(3), MaxEpoch(2)) // the weights of the best validation (epoch 2)
    val es = new EarlyStopping(2)
    val stopped = run(local(3), TriggerOr(MaxEpoch(8), es))
    assert(stopped.progress.epoch == 5, "stopped after epoch 4 (0.3 and 0.2 did not beat 0.5)")
    assert(es.bestScore == 0.5 && es.bestIteration == 6 && es.validationsWithoutImprovement == 2)
    assert(weights(stopped.model).toArray.sameElements(weights(reference.model).toArray), "the best (epoch 2) weights restored")
    // without restoreBestWeights the last weights stay
    val last = run(local(3), TriggerOr(MaxEpoch(8), new EarlyStopping(2, 0.0, "max", null, false)))
    assert(!weights(last.model).toArray.sameElements(weights(reference.model).toArray))
    assert(weights(last.model).toArray.sameElements(weights(run(local(3), MaxEpoch(4)).model).toArray))
  }

  test("DistriOptimizer: the same stop and the same restored weights") {
    val rdd = sc.parallelize((0 until train.size).map(train.sample), 2)
    def distri(seed: Long) = new DistriOptimizer(mlp(seed), rdd, nll, 32).setDeterministic(true)
    val reference = run(distri(3), MaxEpoch(2))
    val es = new EarlyStopping(2)
    val stopped = run(distri(3), TriggerOr(MaxEpoch(8), es))
    assert(stopped.progress.epoch == 5 && es.bestIteration == 6)
    assert(weights(stopped.model).toArray.sameElements(weights(reference.model).toArray))
  }

  test("early stopping without validation is refused when optimize() starts") {
    val opt = local(1).setEndWhen(TriggerOr(MaxEpoch(3), new EarlyStopping(1)))
    assert(intercept[IllegalArgumentException](opt.optimize()).getMessage.contains("EarlyStopping needs validation scores"))
  }
}
