package dev.replcache.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.replcache.keyspace.KeyspaceException;
import dev.replcache.keyspace.Ttl;
import org.junit.jupiter.api.Test;

class QueryParamsTest {

    @Test
    void ttlForms() {
        assertThat(QueryParams.ttlMillis("500ms", "ttl")).isEqualTo(500);
        assertThat(QueryParams.ttlMillis("10s", "ttl")).isEqualTo(10_000);
        assertThat(QueryParams.ttlMillis("1m", "ttl")).isEqualTo(60_000);
        assertThat(QueryParams.ttlMillis("1h", "ttl")).isEqualTo(3_600_000);
        assertThat(QueryParams.ttlMillis("1d", "ttl")).isEqualTo(86_400_000);
        assertThat(QueryParams.ttlMillis("PT1M", "ttl")).isEqualTo(60_000);
        assertThat(QueryParams.ttlMillis("PT0.25S", "ttl")).isEqualTo(250);
        assertThat(QueryParams.ttlMillis("42", "ttl")).as("bare integer = seconds, as EX").isEqualTo(42_000);
        assertThat(QueryParams.ttlMillis("0", "ttl")).isZero();
        assertThat(QueryParams.ttlMillis("-5s", "ttl")).isEqualTo(-5_000);
    }

    @Test
    void badTtls() {
        for (String bad : new String[] {"abc", "", "1.5s", "10 s", "10S", "1w", "P", "PTxyz", "s"}) {
            assertThatThrownBy(() -> QueryParams.ttlMillis(bad, "ttl")).as(bad)
                    .isInstanceOf(ApiProblemException.class)
                    .hasMessageContaining("ttl");
        }
        for (String outOfRange : new String[] {"99999999999999999999", "9223372036854775807d", "PT2562047788015215H"}) {
            assertThatThrownBy(() -> QueryParams.ttlMillis(outOfRange, "ttl")).as(outOfRange)
                    .isInstanceOfSatisfying(KeyspaceException.class,
                            e -> assertThat(e.kind()).isEqualTo(KeyspaceException.Kind.INVALID_EXPIRE));
        }
    }

    @Test
    void ttlOptionsExcludeEachOther() {
        assertThat(QueryParams.ttl(null, null, null)).isEqualTo(Ttl.NONE);
        assertThat(QueryParams.ttl(null, null, "true")).isEqualTo(Ttl.KEEP);
        assertThat(QueryParams.ttl("1s", null, "false")).isEqualTo(Ttl.inMillis(1000));
        assertThat(QueryParams.ttl(null, "123", null)).isEqualTo(Ttl.atMillis(123));
        assertThatThrownBy(() -> QueryParams.ttl("1s", "123", null)).isInstanceOf(ApiProblemException.class);
        assertThatThrownBy(() -> QueryParams.ttl("1s", null, "true")).isInstanceOf(ApiProblemException.class);
    }

    @Test
    void flags() {
        assertThat(QueryParams.flag(null, "get")).isFalse();
        assertThat(QueryParams.flag("", "get")).isTrue();
        assertThat(QueryParams.flag("TRUE", "get")).isTrue();
        assertThat(QueryParams.flag("false", "get")).isFalse();
        assertThatThrownBy(() -> QueryParams.flag("yes", "get")).isInstanceOf(ApiProblemException.class);
    }

    @Test
    void percentDecodingIsExactBytes() {
        assertThat(PathBytesResolver.percentDecode("a%2Fb;c%20%C3%A9", "key").utf8String()).isEqualTo("a/b;c é");
        assertThat(PathBytesResolver.percentDecode("%ff%00", "key").toByteArray()).containsExactly(0xff, 0);
        assertThat(PathBytesResolver.percentDecode("é", "key").utf8String()).isEqualTo("é");
        assertThatThrownBy(() -> PathBytesResolver.percentDecode("a%2", "key")).isInstanceOf(ApiProblemException.class);
        assertThatThrownBy(() -> PathBytesResolver.percentDecode("a%zz", "key")).isInstanceOf(ApiProblemException.class);
    }
}
