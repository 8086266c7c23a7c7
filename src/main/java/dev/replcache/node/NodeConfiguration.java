package dev.replcache.node;

import dev.replcache.config.ReplcacheProperties;
import dev.replcache.keyspace.KeyspaceConfig;
import dev.replcache.keyspace.WriteLog;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the node from its properties. The system clock enters the core here, and only here. */
@Configuration(proxyBeanMethods = false)
public class NodeConfiguration {

    @Bean(initMethod = "start", destroyMethod = "close")
    public CacheNode cacheNode(ReplcacheProperties props) {
        KeyspaceConfig keyspaceConfig = new KeyspaceConfig(
                props.keyspace().segments(),
                props.maxMemory().toBytes(),
                props.evictionPolicy(),
                props.keyspace().evictionSamples(),
                props.expiry().keysPerLoop(),
                props.expiry().maxLoops());
        RequestLimits limits = new RequestLimits(
                (int) props.limits().maxKeyBytes().toBytes(),
                (int) props.limits().maxValueBytes().toBytes(),
                props.limits().maxBatchKeys());
        return new CacheNode(keyspaceConfig, limits, props.expiry().cycleInterval(),
                System::currentTimeMillis, WriteLog.DISCARD);
    }
}
