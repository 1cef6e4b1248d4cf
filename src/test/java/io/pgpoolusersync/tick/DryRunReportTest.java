package io.pgpoolusersync.tick;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DryRunReportTest {

    /** Without the key, users already there are not compared: "nothing would change" is not known. */
    @Test
    void usersNotComparedAreNotCalledUnchanged() {
        DryRunReport report = new DryRunReport(false, List.of(), List.of(), List.of(), 0, List.of("alice"),
                List.of(), List.of(), List.of("no --key-file given: ..."));
        assertEquals(DryRunReport.NOTHING_TO_DO, report.exitCode());
        String last = report.text().lines().reduce((a, b) -> b).orElseThrow();
        assertFalse(last.startsWith("nothing would change"), last);
        assertTrue(last.contains("1 user not compared") && last.contains("exit 0"), last);
    }
}
