package ember.tensor

/**
 * The random source for parameter initialisation and dropout. Seed it with [[setSeed]] for reproducible
 * models (the Python `init_engine(seed=...)` and the optimizers' `seed` do this).
 */
object RandomGenerator {
  @volatile private var rng = new java.util.Random()

  def setSeed(seed: Long): Unit = rng = new java.util.Random(seed)

  /** The shared generator (thread-safe; use [[forkFor]] for per-thread streams on hot paths). */
  def random: java.util.Random = rng

  /** A new generator seeded from the shared one, for a replica or a thread. */
  def forkFor(): java.util.Random = new java.util.Random(rng.nextLong())
}
