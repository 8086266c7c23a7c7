package dev.replcache.failover;

import dev.replcache.config.FailoverProperties;
import dev.replcache.config.ReplicationProperties;
import dev.replcache.node.CacheNode;
import dev.replcache.ops.PeerInfoClient;
import dev.replcache.replication.lease.LeaseElector;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;

/**
 * {@code replcache.failover.mode=lease}: the node's role comes from a Kubernetes Lease (see
 * {@link LeaseFailover}). Under {@code manual} (the default) none of this exists.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "replcache.failover.mode", havingValue = "lease")
public class FailoverConfiguration {

    /**
     * The API server client: {@code api-url} when set, else the environment (in a pod its service
     * account). Each request is bounded by half the renew deadline (at least the retry period) and
     * never retried inside the client: the elector's next round is the retry, and its fence does
     * not wait for a hung request.
     */
    @Bean(destroyMethod = "close")
    KubernetesClient leaseKubernetesClient(FailoverProperties props) {
        Config base = props.apiUrl().isEmpty() ? Config.autoConfigure(null)
                : new ConfigBuilder(Config.empty()).withMasterUrl(props.apiUrl()).build();
        int timeoutMs = (int) Math.max(props.retryPeriod().toMillis(), props.renewDeadline().toMillis() / 2);
        Config config = new ConfigBuilder(base)
                .withRequestTimeout(timeoutMs)
                .withConnectionTimeout(timeoutMs)
                .withRequestRetryBackoffLimit(0)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    LeaseFailover leaseFailover(FailoverProperties props, ReplicationProperties repl, CacheNode node,
                                KubernetesClient client, PeerInfoClient peerInfo) {
        if (!repl.master().isEmpty()) {
            throw new IllegalStateException("replcache.replication.master (" + repl.master() + ") cannot be set with "
                    + "replcache.failover.mode=lease: the lease elects the master; list the set in replcache.failover.peers");
        }
        String namespace = !props.namespace().isEmpty() ? props.namespace()
                : client.getNamespace() != null ? client.getNamespace() : "default";
        KubernetesLeaseStore store = new KubernetesLeaseStore(client, namespace, props.leaseName());
        String name = props.nodeName();
        LeaseElector elector = new LeaseElector(store, new LeaseElector.Settings(node.nodeId(), name,
                props.leaseDuration().toMillis(), props.renewDeadline().toMillis(), props.retryPeriod().toMillis()),
                node.monotonicClock());
        LeaseFailover failover = new LeaseFailover(node, elector, peerInfo, new LeaseFailover.Settings(
                props.priority(), props.peers(), props.peerTimeout(), props.handoverTimeout().toMillis()),
                node.monotonicClock(),
                props.podName().isEmpty() ? LeaseFailover.RolePublisher.NONE
                        : new PodRoleLabel(client, namespace, props.podName()));
        node.setElection(failover);
        org.slf4j.LoggerFactory.getLogger(FailoverConfiguration.class)
                .info("Lease failover on {}", store.describe());
        return failover;
    }

    /**
     * At SIGTERM, before anything stops and before the node refuses writes for its shutdown
     * ({@code PersistenceLifecycle}): the holder hands its role and the lease over.
     */
    @Bean
    ApplicationListener<ContextClosedEvent> leaseHandoverOnShutdown(LeaseFailover failover, FailoverProperties props,
                                                                    ApplicationContext context) {
        return new HandoverListener(failover, props.handoverTimeout().toMillis(), context);
    }

    private record HandoverListener(LeaseFailover failover, long timeoutMs, ApplicationContext context)
            implements ApplicationListener<ContextClosedEvent>, Ordered {
        @Override
        public void onApplicationEvent(ContextClosedEvent event) {
            if (event.getApplicationContext() == context) {
                failover.handOverForShutdown(timeoutMs);
            }
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }

    /** {@code replcache_failover_*}: who holds the lease, its epoch, the transitions seen. */
    @Bean
    MeterBinder leaseFailoverMetrics(LeaseFailover failover) {
        return registry -> {
            Gauge.builder("replcache.failover.lease.holder", failover, f -> f.elector().view().leading() ? 1 : 0)
                    .description("1 while this node holds the master lease").register(registry);
            Gauge.builder("replcache.failover.writable", failover, f -> f.elector().mayWrite() ? 1 : 0)
                    .description("1 while this node may take writes: it holds the lease and renewed it within renew-deadline")
                    .register(registry);
            Gauge.builder("replcache.failover.epoch", failover, f -> f.elector().view().epoch())
                    .description("The lease's transitions as this node last saw them (-1 before any)").register(registry);
            Gauge.builder("replcache.failover.api.reachable", failover, f -> f.elector().view().reachable() ? 1 : 0)
                    .description("1 while the last request to the Kubernetes API server succeeded").register(registry);
            FunctionCounter.builder("replcache.failover.transitions", failover, LeaseFailover::transitionCount)
                    .description("Lease changes this node saw: acquired, lost, new holder").register(registry);
        };
    }
}
