package dev.replcache.config;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Automatic failover under {@code replcache.failover.*}: with {@code mode=lease} the nodes of a set
 * elect their master on a Kubernetes {@code coordination.k8s.io/v1} Lease, as Kubernetes'
 * controllers elect a leader (durations with their defaults).
 *
 * @param mode          {@code manual} (the master is configured, roles change by REPLICAOF and
 *                      FAILOVER) or {@code lease}
 * @param name          this node's stable name in the set (its pod's name): tie-breaks, logs,
 *                      the lease's holder name; empty = the host name
 * @param priority      Sentinel's {@code replica-priority}: among equally caught-up candidates the
 *                      lower stands first; 0 = never becomes the master
 * @param peers         the other nodes of the set, {@code host:port} of their gRPC endpoints: a
 *                      candidate asks them how far they are before it stands
 * @param leaseName     the Lease object
 * @param namespace     its namespace; empty = the client's (in a pod: the pod's namespace)
 * @param leaseDuration how long a holder's claim lasts without renewal ({@code leaseDurationSeconds})
 * @param renewDeadline a holder that could not renew for this long stops taking writes
 * @param retryPeriod   how often the holder renews and the others look
 * @param apiUrl        the Kubernetes API server; empty = from the environment (in a pod: the
 *                      service account)
 * @param peerTimeout   how long a candidate waits for a sibling's answer
 * @param handoverTimeout at a clean stop, how long the master may spend handing over to a replica
 * @param podName       this node's pod, labelled {@code replcache.dev/role=master|replica} for the
 *                      chart's Services to select; empty = no label
 */
@Validated
@ConfigurationProperties("replcache.failover")
public record FailoverProperties(
        @DefaultValue("manual") @NotNull Mode mode,
        @DefaultValue("") @NotNull String name,
        @DefaultValue("100") @Min(0) int priority,
        @DefaultValue("") @NotNull List<String> peers,
        @DefaultValue("replcache-master") @NotNull String leaseName,
        @DefaultValue("") @NotNull String namespace,
        @DefaultValue("15s") @NotNull Duration leaseDuration,
        @DefaultValue("10s") @NotNull Duration renewDeadline,
        @DefaultValue("2s") @NotNull Duration retryPeriod,
        @DefaultValue("") @NotNull String apiUrl,
        @DefaultValue("1s") @NotNull Duration peerTimeout,
        @DefaultValue("10s") @NotNull Duration handoverTimeout,
        @DefaultValue("") @NotNull String podName) {

    /** How the master is chosen. */
    public enum Mode { MANUAL, LEASE }

    public FailoverProperties {
        if (mode == Mode.LEASE && !(retryPeriod.compareTo(Duration.ZERO) > 0 && renewDeadline.compareTo(retryPeriod) > 0
                && leaseDuration.compareTo(renewDeadline) > 0)) {
            throw new IllegalArgumentException("replcache.failover: retry-period (" + retryPeriod + ") < renew-deadline ("
                    + renewDeadline + ") < lease-duration (" + leaseDuration + ") must hold");
        }
        peers = peers.stream().map(String::trim).filter(p -> !p.isEmpty()).toList();
    }

    /** This node's name: the setting, else the host name (a pod's name in a StatefulSet). */
    public String nodeName() {
        if (!name.isEmpty()) {
            return name;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "replcache";
        }
    }
}
