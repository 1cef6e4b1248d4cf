package io.pgpoolusersync.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgpoolusersync.passwd.PoolPasswdLine;
import io.pgpoolusersync.passwd.TextPasswordEncoder;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TEXT entries as the sync writes them, read by the real Pgpool-II 4.3.5 in front of the real
 * PostgreSQL 15: pgpool unescapes {@code \} in the password field and ends it at an unescaped {@code :},
 * so a password holding either must be escaped, or pgpool cuts it.
 */
class TextEntryIT {

    private static PgpoolHarness harness;

    @BeforeAll
    static void start() {
        harness = PgpoolHarness.start();
    }

    @AfterAll
    static void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void passwordsWithColonAndBackslashLogIn() throws Exception {
        String[][] users = {
                {"text_colon", "pa:ss:"},
                {"text_backslash", "back\\slash\\"},
                {"text_both", "\\:mixed\\\\:end"},
        };
        StringBuilder entries = new StringBuilder();
        TextPasswordEncoder encoder = new TextPasswordEncoder();
        for (String[] user : users) {
            // Dollar quoting: the password reaches PostgreSQL exactly as written here.
            harness.sqlAsAdmin("CREATE USER " + user[0] + " WITH PASSWORD $pw$" + user[1] + "$pw$");
            entries.append(new String(PoolPasswdLine.entry(user[0], encoder.encode(user[0], user[1])).raw(), UTF_8))
                    .append('\n');
        }
        Files.writeString(harness.poolPasswd(), entries, UTF_8, StandardOpenOption.APPEND);
        harness.reloadPgpool();

        for (String[] user : users) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(Login.OK,
                    Login.attempt(() -> harness.connectThroughPgpool(user[0], user[1])), user[0]));
        }
    }
}
