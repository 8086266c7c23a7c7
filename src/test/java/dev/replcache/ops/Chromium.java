package dev.replcache.ops;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium for the status page tests. Missing Chromium fails the test (it is part of
 * the normal test run); {@code .ci/run} installs it.
 */
final class Chromium {

    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");
    private static final long TIMEOUT_SECONDS = 120;

    private final Path binary;
    private final Path workDir;

    private Chromium(Path binary, Path workDir) {
        this.binary = binary;
        this.workDir = workDir;
    }

    /** Finds Chromium on the PATH (or {@code CHROMIUM} = its path), or fails with how to install it. */
    static Chromium find(Path workDir) {
        String explicit = System.getenv("CHROMIUM");
        if (explicit != null && !explicit.isBlank() && Files.isExecutable(Path.of(explicit))) {
            return new Chromium(Path.of(explicit), workDir);
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : NAMES) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return new Chromium(candidate, workDir);
                }
            }
        }
        return fail("The status page test needs headless Chromium and found none on the PATH (" + NAMES + "). "
                + "Install it: apt-get install chromium (Debian; .ci/run does this), or set CHROMIUM to its path.");
    }

    /** The page's DOM after its scripts ran (they get {@code budgetMs} of virtual time, fetches included). */
    String dumpDom(String url, int budgetMs) {
        return run(List.of("--dump-dom", "--virtual-time-budget=" + budgetMs, url));
    }

    /** A PNG of the page as a 1280x900 window shows it. */
    void screenshot(String url, Path png, int budgetMs) {
        run(List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=1280,900", "--hide-scrollbars",
                "--virtual-time-budget=" + budgetMs, url));
        if (!Files.isRegularFile(png)) {
            fail("Chromium wrote no screenshot at " + png);
        }
    }

    private String run(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--user-data-dir=" + workDir.resolve("profile")));
        cmd.addAll(args);
        try {
            Files.createDirectories(workDir);
            Path out = Files.createTempFile(workDir, "chromium", ".out");
            Path err = Files.createTempFile(workDir, "chromium", ".err");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("Chromium did not finish within " + TIMEOUT_SECONDS + " s: " + cmd);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail("Chromium exited with " + p.exitValue() + ": " + cmd + "\n" + Files.readString(err, StandardCharsets.UTF_8));
            }
            return stdout;
        } catch (IOException e) {
            return fail("Chromium could not be run: " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while Chromium ran", e);
        }
    }
}
