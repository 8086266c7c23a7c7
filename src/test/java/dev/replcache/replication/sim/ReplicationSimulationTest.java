package dev.replcache.replication.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Runs the seeded replication simulation over many seeds. A failure names its seed and step;
 * rerun one seed with {@code -Dreplcache.sim.seed=N} (and {@code -Dreplcache.sim.steps=M};
 * {@code -Dreplcache.sim.trace=true} prints its events), or a longer run with
 * {@code -Dreplcache.sim.seeds=3000}.
 *
 * <p>The default (200 seeds, a few seconds) keeps CI fast; each seed now runs a cascading cluster
 * with deaths, failovers and restarts, about three times the work of the old single-level one.
 */
class ReplicationSimulationTest {

    private static final int SEEDS = Integer.getInteger("replcache.sim.seeds", 200);
    private static final int STEPS = Integer.getInteger("replcache.sim.steps", 400);

    @Test
    void replicasConvergeUnderFaultsForManySeeds() {
        String only = System.getProperty("replcache.sim.seed");
        long first = only == null ? 1 : Long.parseLong(only);
        int seeds = only == null ? SEEDS : 1;
        Simulation.Stats total = new Simulation.Stats();
        long started = System.nanoTime();
        for (long seed = first; seed < first + seeds; seed++) {
            Simulation sim = new Simulation(seed);
            sim.run(STEPS);
            total.add(sim.stats);
        }
        System.out.printf("simulation: %d seeds x %d steps in %d ms%n%s%n", seeds, STEPS,
                (System.nanoTime() - started) / 1_000_000, total.report());
        // The schedule must actually exercise what it claims to, or the run proves little.
        if (only == null) {
            assertThat(total.fullSyncs).isGreaterThan(seeds);
            assertThat(total.partialSyncs).isGreaterThan(seeds / 2);
            assertThat(total.dropsByMaster).isGreaterThan(0);
            if (seeds >= 100) {
                assertThat(total.cascadingSyncs).isGreaterThan(seeds);
                assertThat(total.historyChangedDrops).isGreaterThan(0);
                assertThat(total.promotions).isGreaterThan(seeds / 4);
                assertThat(total.invariant5Checks).isGreaterThan(0);
                assertThat(total.failoversOk).isGreaterThan(0);
                assertThat(total.failoversTimedOut).isGreaterThan(0);
                assertThat(total.failoversRefused).isGreaterThan(0);
                assertThat(total.failoversUnknown).isGreaterThan(0);
                assertThat(total.splitBrains).isZero();
                assertThat(total.refusals).isGreaterThan(0);
                assertThat(total.wipesResolved).isGreaterThan(0);
                assertThat(total.primaryCleanRestartContinues).isGreaterThan(0);
            }
        }
    }
}
