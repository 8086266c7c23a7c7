package dev.replcache.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.replcache.config.BearerToken.Outcome;
import org.junit.jupiter.api.Test;

class BearerTokenTest {

    private final BearerToken token = BearerToken.of("s3cret-Token").orElseThrow();

    @Test
    void noConfiguredTokenMeansNoCheck() {
        assertThat(BearerToken.of("")).isEmpty();
        assertThat(BearerToken.of(null)).isEmpty();
    }

    @Test
    void onlyTheExactTokenWithTheBearerSchemeIsAccepted() {
        assertThat(token.check("Bearer s3cret-Token")).isEqualTo(Outcome.ACCEPTED);
        assertThat(token.check("bearer s3cret-Token")).isEqualTo(Outcome.ACCEPTED);
        assertThat(token.check("BEARER   s3cret-Token ")).isEqualTo(Outcome.ACCEPTED);
        assertThat(token.check("Bearer s3cret-token")).isEqualTo(Outcome.WRONG);
        assertThat(token.check("Bearer s3cret-Toke")).isEqualTo(Outcome.WRONG);
        assertThat(token.check("Bearer s3cret-Token2")).isEqualTo(Outcome.WRONG);
        assertThat(token.check("Bearer ")).isEqualTo(Outcome.MISSING);
        assertThat(token.check(null)).isEqualTo(Outcome.MISSING);
        assertThat(token.check("")).isEqualTo(Outcome.MISSING);
        assertThat(token.check("s3cret-Token")).isEqualTo(Outcome.MISSING);
        assertThat(token.check("Basic s3cret-Token")).isEqualTo(Outcome.MISSING);
    }

    @Test
    void theTokenNeverShowsInText() {
        assertThat(token.toString()).doesNotContain("s3cret");
    }
}
