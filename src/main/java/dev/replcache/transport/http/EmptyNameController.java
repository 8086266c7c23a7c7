package dev.replcache.transport.http;

import dev.replcache.keyspace.Bytes;
import dev.replcache.node.CacheNode;
import io.swagger.v3.oas.annotations.Hidden;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A path whose key or field segment is empty ({@code PUT /v1/keys/} from a script whose
 * variable was unset) is a request for the empty name, which limits refuse: a 400 that says
 * so, rather than the 404 of an unknown route.
 */
@Hidden
@RestController
class EmptyNameController {

    private final CacheNode node;

    EmptyNameController(CacheNode node) {
        this.node = node;
    }

    @RequestMapping({"/v1/keys/", "/v1/hashes/"})
    void emptyKey() {
        node.limits().checkKey(Bytes.EMPTY);
    }

    @RequestMapping("/v1/hashes/{key}/fields/")
    void emptyField(@PathKey Bytes key) {
        node.limits().checkField(Bytes.EMPTY);
    }
}
