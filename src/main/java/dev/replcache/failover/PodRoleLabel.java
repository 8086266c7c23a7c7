package dev.replcache.failover;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Publishes the node's role as its pod's {@code replcache.dev/role} label ({@code master} or
 * {@code replica}), with a JSON merge patch: the chart's write Service selects {@code master}, its
 * read Service {@code replica}.
 */
final class PodRoleLabel implements LeaseFailover.RolePublisher {

    static final String LABEL = "replcache.dev/role";

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;

    PodRoleLabel(KubernetesClient client, String namespace, String pod) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
    }

    @Override
    public void publish(String role) {
        String patch = "{\"metadata\":{\"labels\":{\"" + LABEL + "\":\"" + role + "\"}}}";
        try {
            client.pods().inNamespace(namespace).withName(pod).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot label pod " + namespace + "/" + pod + " " + LABEL + "=" + role
                    + (e.getCode() > 0 ? " (HTTP " + e.getCode() + ")" : "") + ": " + e.getMessage(), e);
        }
    }
}
