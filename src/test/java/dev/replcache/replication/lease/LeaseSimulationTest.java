package dev.replcache.replication.lease;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Runs the lease failover simulation over many seeds. A failure names its seed and step; rerun one
 * with {@code -Dreplcache.leasesim.seed=N}, or more with {@code -Dreplcache.leasesim.seeds=10000}.
 */
class LeaseSimulationTest {

    private static final int SEEDS = Integer.getInteger("replcache.leasesim.seeds", 300);
    private static final int STEPS = Integer.getInteger("replcache.leasesim.steps", 2_000);

    @Test
    void oneWriterAtATimeAndNoAcknowledgedWriteLostThatACandidateHeld() {
        String only = System.getProperty("replcache.leasesim.seed");
        long first = only == null ? 1 : Long.parseLong(only);
        int seeds = only == null ? SEEDS : 1;
        LeaseSimulation.Stats total = new LeaseSimulation.Stats();
        long started = System.nanoTime();
        for (long seed = first; seed < first + seeds; seed++) {
            LeaseSimulation sim = new LeaseSimulation(seed);
            sim.run(STEPS);
            total.add(sim.stats);
        }
        System.out.printf("%d seeds x %d steps in %d ms%n%s%n", seeds, STEPS, (System.nanoTime() - started) / 1_000_000,
                total.report());
        if (only == null) {
            // The schedule must exercise what it claims to.
            assertThat(total.elections).isGreaterThan(seeds * 2L);
            assertThat(total.crashes).isGreaterThan(seeds);
            assertThat(total.apiCuts).isGreaterThan(seeds);
            assertThat(total.acked).isGreaterThan(seeds * 100L);
            assertThat(total.ackedKeptAtElection).isGreaterThan(0);
            assertThat(total.fullSyncs).isGreaterThan(0);
        }
    }
}
