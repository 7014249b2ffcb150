package ember.optim

import java.lang.management.ManagementFactory

import scala.jdk.CollectionConverters._

/**
 * Where a task's JVM spent its CPU during a segment's iterations: each group of Java threads (named without their
 * numbers: the task thread, the transport's server and client threads, the replicas' pool, ...), the rest of the
 * process (the JVM's own threads: garbage collection, JIT compilers, the VM thread), and the collections and
 * compilation time the JVM counted. Taken from two [[JvmSnapshot]]s, at the start and end of the iterations.
 */
final case class JvmUsage(threadCpuNanos: Map[String, Long], processCpuNanos: Long, gcCount: Long, gcNanos: Long,
    jitNanos: Long) {
  /** CPU of the JVM's own threads (GC, JIT, VM): the process's minus that of its Java threads. */
  def jvmInternalCpuNanos: Long = math.max(0L, processCpuNanos - threadCpuNanos.values.sum)
}

object JvmUsage {
  val none: JvmUsage = JvmUsage(Map.empty, 0L, 0L, 0L, 0L)
}

/** CPU time of every Java thread of this JVM (by id, with its name), and its collectors' and JIT's counters. */
private[optim] final class JvmSnapshot private (val threads: Map[Long, (String, Long)], val process: Long, val gcCount: Long,
    val gcMillis: Long, val jitMillis: Long) {

  /** The usage from this snapshot to now (threads started since count whole). */
  def usageSince(): JvmUsage = {
    val now = JvmSnapshot.take()
    val groups = now.threads.toSeq.map { case (id, (name, cpu)) =>
      JvmSnapshot.group(name) -> math.max(0L, cpu - threads.get(id).map(_._2).getOrElse(0L))
    }.groupMapReduce(_._1)(_._2)(_ + _).filter(_._2 > 0)
    JvmUsage(groups, math.max(0L, now.process - process), now.gcCount - gcCount, (now.gcMillis - gcMillis) * 1000000L,
      (now.jitMillis - jitMillis) * 1000000L)
  }
}

private[optim] object JvmSnapshot {
  private val threadBean = ManagementFactory.getThreadMXBean

  def take(): JvmSnapshot = {
    val ids = threadBean.getAllThreadIds
    val infos = threadBean.getThreadInfo(ids)
    val threads = ids.indices.flatMap { i =>
      val cpu = threadBean.getThreadCpuTime(ids(i))
      if (infos(i) == null || cpu < 0) None else Some(ids(i) -> (infos(i).getThreadName, cpu))
    }.toMap
    val gcs = ManagementFactory.getGarbageCollectorMXBeans.asScala
    val jit = Option(ManagementFactory.getCompilationMXBean).filter(_.isCompilationTimeMonitoringSupported)
    new JvmSnapshot(threads, SegmentTask.processCpuNanos, gcs.map(g => math.max(0L, g.getCollectionCount)).sum,
      gcs.map(g => math.max(0L, g.getCollectionTime)).sum, jit.map(_.getTotalCompilationTime).getOrElse(0L))
  }

  /** A thread's group: its name without numbers and what follows " for task" (Spark's task threads). */
  def group(name: String): String = name.split(" for task").head.replaceAll("[0-9]+", "#")
}

/** The mean, median, 90th percentile and maximum of some milliseconds. */
final case class Spread(mean: Double, p50: Double, p90: Double, max: Double) {
  override def toString: String = f"$mean%.2f/$p50%.2f/$p90%.2f/$max%.2f"
}

object Spread {
  val zero: Spread = Spread(0, 0, 0, 0)

  /** The spread of `nanos`, in milliseconds. */
  def ofNanos(nanos: Array[Long]): Spread = {
    if (nanos.isEmpty) return zero
    val s = nanos.sorted
    def at(q: Double) = s(math.min(s.length - 1, (q * s.length).toInt)) / 1e6
    Spread(s.sum / 1e6 / s.length, at(0.5), at(0.9), s.last / 1e6)
  }
}

/**
 * One task's iterations in the last segment, milliseconds per iteration: its compute step (wall clock, spread,
 * and the task thread's CPU), the share of iterations in which it computed longest (`slowestShare`: near 1 when
 * one task is consistently slower, near 1 / tasks for random jitter), its waiting for the other tasks (spread),
 * the task thread's CPU in the exchange and update, and its JVM's CPU by thread group, GC and JIT.
 */
final case class TaskProfile(partition: Int, endpoint: String, iterations: Int, computeMs: Spread, computeCpuMs: Double,
    slowestShare: Double, waitMs: Spread, syncCpuMs: Double, jvm: JvmUsage) {
  private def perIter(nanos: Long) = nanos / 1e6 / math.max(1, iterations)

  /** The profile as "key=value" fields (thread groups as `cpu[<group>]=ms`, spaces in names as '_'). */
  def fields: String = {
    val groups = jvm.threadCpuNanos.toSeq.sortBy(-_._2).take(8)
      .map { case (g, n) => f"cpu[${g.replace(' ', '_')}]=${perIter(n)}%.2f" }
    (Seq(s"task=$partition", s"endpoint=${if (endpoint.isEmpty) "local" else endpoint}", s"iterations=$iterations",
      s"compute_ms=$computeMs", f"compute_cpu_ms=$computeCpuMs%.2f", f"slowest_share=$slowestShare%.2f", s"wait_ms=$waitMs",
      f"sync_cpu_ms=$syncCpuMs%.2f", f"jvm_cpu_ms=${perIter(jvm.processCpuNanos)}%.2f",
      f"jvm_internal_cpu_ms=${perIter(jvm.jvmInternalCpuNanos)}%.2f", s"gc_count=${jvm.gcCount}",
      f"gc_ms=${perIter(jvm.gcNanos)}%.3f", f"jit_ms=${perIter(jvm.jitNanos)}%.3f") ++ groups).mkString(" ")
  }

  override def toString: String = s"TaskProfile($fields) (compute and wait: mean/p50/p90/max ms per iteration)"
}

object TaskProfile {
  /** The profiles of one segment's tasks. */
  private[optim] def of(results: Array[SegmentResult]): Array[TaskProfile] = {
    val n = results.map(_.computeNanos.length).min
    val slowest = (0 until n).map(i => results.indices.maxBy(k => results(k).computeNanos(i)))
    results.zipWithIndex.map { case (r, k) =>
      val it = math.max(1, r.computeNanos.length)
      TaskProfile(r.partition, r.traffic.endpoint, r.computeNanos.length, Spread.ofNanos(r.computeNanos),
        r.computeCpuNanos.sum / 1e6 / it, if (n == 0) 0.0 else slowest.count(_ == k).toDouble / n,
        Spread.ofNanos(r.waitNanos), r.syncCpuNanos.sum / 1e6 / it, r.jvm)
    }
  }
}

/**
 * Where the wall clock of the last segment went outside the iterations (milliseconds; what the time split spreads
 * over the iterations as "scheduling"): `beforeMs` on the driver before the job (the model file and the optim
 * methods, their broadcast, opening the rendezvous and the progress reports), `launchMs` from submitting the job to
 * the first task's start (scheduling the barrier stage, sending and deserializing the tasks), `setupMs` the slowest
 * task's set-up (the broadcast model, the replicas, finding the peers: waiting there for the last task to start),
 * `loopMs` the slowest task's iterations, `returnMs` from the last task's end to the driver holding all results
 * (serializing and collecting them) and `afterMs` the driver reading the results (slices returned in blocks, the
 * weights into the model, the digest of its state for the next segment); `resumedTasks` started from the state they
 * kept on their executors at the previous segment's end (see TaskState) instead of the broadcast model; `peersMs` of
 * the slowest set-up went to finding the peers (the rendezvous: waiting there for the last task to start). Task and
 * driver clocks are the same machine's wall clock, or synchronized ones.
 */
final case class SegmentTiming(iterations: Int, beforeMs: Double, launchMs: Double, setupMs: Double, loopMs: Double,
    returnMs: Double, afterMs: Double, resumedTasks: Int = 0, peersMs: Double = 0.0) {
  def totalMs: Double = beforeMs + launchMs + setupMs + loopMs + returnMs + afterMs

  def fields: String = f"segment_iterations=$iterations before_ms=$beforeMs%.1f launch_ms=$launchMs%.1f " +
    f"setup_ms=$setupMs%.1f loop_ms=$loopMs%.1f return_ms=$returnMs%.1f after_ms=$afterMs%.1f resumed_tasks=$resumedTasks " +
    f"setup_peers_ms=$peersMs%.1f"

  override def toString: String = s"SegmentTiming($fields)"
}

object SegmentTiming {
  val zero: SegmentTiming = SegmentTiming(0, 0, 0, 0, 0, 0, 0)

  /** The wall clock in microseconds since the epoch (comparable between the JVMs of one machine). */
  def epochMicros(): Long = {
    val now = java.time.Instant.now()
    now.getEpochSecond * 1000000L + now.getNano / 1000
  }

  /** The timing of a segment whose driver side started at `start`, submitted at `submitted`, collected at `collected` and ended at `end`. */
  private[optim] def of(results: Array[SegmentResult], start: Long, submitted: Long, collected: Long, end: Long): SegmentTiming = {
    def ms(micros: Long) = math.max(0L, micros) / 1e3
    SegmentTiming(results.map(_.losses.length).max, ms(submitted - start), ms(results.map(_.startMicros).min - submitted),
      results.map(_.setupNanos).max / 1e6, results.map(_.iterNanos.sum).max / 1e6,
      ms(collected - results.map(_.endMicros).max), ms(end - collected), results.count(_.resumed),
      results.map(_.peersNanos).max / 1e6)
  }
}
