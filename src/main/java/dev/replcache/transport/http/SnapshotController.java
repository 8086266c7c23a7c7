package dev.replcache.transport.http;

import dev.replcache.node.Persistence;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The node's dump file: save it now (Redis's BGSAVE, answered when the file is written) and its status. */
@RestController
@RequestMapping("/v1/snapshot")
@Tag(name = "persistence", description = "The dump file: save on demand, last save, changes since")
class SnapshotController {

    private final Persistence persistence;

    SnapshotController(Persistence persistence) {
        this.persistence = persistence;
    }

    @PostMapping
    @Operation(operationId = "save", summary = "BGSAVE: write the dump file from a point-in-time cut while writes go on; "
            + "answers when it is written (409 while another save runs)")
    Persistence.Saved save() {
        return persistence.save();
    }

    @GetMapping
    @Operation(operationId = "persistenceInfo", summary = "INFO persistence: save in progress, last save, its error, "
            + "stream bytes since the saved data")
    Persistence.Status status() {
        return persistence.status();
    }
}
