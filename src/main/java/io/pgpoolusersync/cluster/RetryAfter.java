package io.pgpoolusersync.cluster;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The API server's "429 Too Many Requests, Retry-After: N": remembered here (a fabric8 interceptor on
 * the Secrets client), and {@link #check()} refuses to list before then. The tick that meets it fails at
 * once, leaving pool_passwd as it was, instead of waiting inside the tick.
 */
public final class RetryAfter implements Interceptor {

    static final String NAME = "pgpool-user-sync-retry-after";
    /** A 429 without a usable Retry-After: wait this long. */
    static final Duration DEFAULT_WAIT = Duration.ofSeconds(1);

    private final Clock clock;
    private volatile Instant notBefore = Instant.MIN;
    private volatile Duration asked = Duration.ZERO;

    public RetryAfter() {
        this(Clock.systemUTC());
    }

    RetryAfter(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        if (response.code() == 429) {
            Duration wait = parse(response.header("Retry-After"), clock.instant());
            asked = wait;
            notBefore = clock.instant().plus(wait);
        }
    }

    /** Called by the route before it lists: fails while the API server asked us to wait. */
    public void check() {
        Instant until = notBefore;
        if (clock.instant().isBefore(until)) {
            throw new IllegalStateException("the API server asked to wait (429 Too Many Requests, Retry-After "
                    + asked.toSeconds() + " s): no list before " + until);
        }
    }

    /** Seconds, or an HTTP date (RFC 9110); anything else is the default wait. */
    static Duration parse(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return DEFAULT_WAIT;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
            } catch (DateTimeParseException notADate) {
                return DEFAULT_WAIT;
            }
        }
    }
}
