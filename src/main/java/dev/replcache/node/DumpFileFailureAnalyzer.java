package dev.replcache.node;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * A start that failed on the dump file ends with Spring Boot's "APPLICATION FAILED TO START"
 * report naming the file and the way out, rather than a bean creation stack trace.
 */
final class DumpFileFailureAnalyzer extends AbstractFailureAnalyzer<DumpFileException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DumpFileException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Repair or remove the dump file (a copy from a replica or a backup will do), or start with "
                        + "replcache.snapshot.ignore-corrupt=true to move it aside and start with an empty dataset.",
                cause);
    }
}
