package dev.replcache.replication.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Runs the seeded replication simulation over many seeds. A failure names its seed; rerun
 * one seed with {@code -Dreplcache.sim.seed=N} (and {@code -Dreplcache.sim.steps=M}).
 */
class ReplicationSimulationTest {

    private static final int SEEDS = Integer.getInteger("replcache.sim.seeds", 500);
    private static final int STEPS = Integer.getInteger("replcache.sim.steps", 400);

    @Test
    void replicasConvergeUnderFaultsForManySeeds() {
        String only = System.getProperty("replcache.sim.seed");
        long first = only == null ? 1 : Long.parseLong(only);
        int seeds = only == null ? SEEDS : 1;
        long full = 0;
        long partial = 0;
        long cuts = 0;
        long restarts = 0;
        long masterDrops = 0;
        for (long seed = first; seed < first + seeds; seed++) {
            Simulation sim = new Simulation(seed);
            sim.run(STEPS);
            full += sim.stats.fullSyncs;
            partial += sim.stats.partialSyncs;
            cuts += sim.stats.cuts;
            restarts += sim.stats.restarts;
            masterDrops += sim.stats.dropsByMaster;
        }
        System.out.printf("simulation: %d seeds x %d steps: %d full syncs, %d partial syncs, %d cuts, %d restarts, %d drops by master%n",
                seeds, STEPS, full, partial, cuts, restarts, masterDrops);
        // The schedule must actually exercise both kinds of resync, or the run proves little.
        if (only == null) {
            assertThat(full).isGreaterThan(seeds);
            assertThat(partial).isGreaterThan(seeds / 2);
            assertThat(masterDrops).isGreaterThan(0);
        }
    }
}
