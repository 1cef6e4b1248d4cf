package io.pgpoolusersync.tick;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a dry run tells a pipeline: the users that would be added, updated and removed (names), the
 * rejected Secrets with their reasons, the Secrets blocked by an entry this sync does not manage, and
 * what could not be checked. Built from the tick's {@link TickSummary}, so it holds no password and no
 * entry either.
 *
 * @param changes     whether pool_passwd or its ownership record would be written
 * @param notCompared users already in pool_passwd whose entries could not be compared (no key file):
 *                    kept or updated, nobody can tell
 * @param notChecked  what the dry run could not check, and why
 */
public record DryRunReport(boolean changes, List<String> added, List<String> updated, List<String> removed,
        int unchanged, List<String> notCompared, List<TickSummary.Rejected> rejected,
        List<TickSummary.Rejected> blocked, List<String> notChecked) {

    /** Exit codes of a dry run: nothing would change, something would. */
    public static final int NOTHING_TO_DO = 0;
    public static final int WOULD_CHANGE = 3;

    private static final String BLOCKING_REASON = "UNMANAGED_USERNAME";

    /**
     * @param writes   whether the tick's plan writes pool_passwd or its ownership record
     *                 ({@link TickReport#lastPlanWrites}; the summary's {@code written} is false in a dry run)
     * @param keyKnown false when the entries were encrypted with a stand-in key: users "updated" then
     *                 only means "present", and are reported as not compared
     */
    public static DryRunReport of(TickSummary tick, boolean writes, boolean keyKnown, List<String> notChecked) {
        List<String> updated = keyKnown ? tick.updated() : List.of();
        List<String> notCompared = keyKnown ? List.of() : tick.updated();
        int unchanged = tick.counts().getOrDefault("unchanged", 0);
        boolean changes = !tick.added().isEmpty() || !tick.removed().isEmpty() || !updated.isEmpty()
                || (keyKnown && writes);
        List<TickSummary.Rejected> rejected = new ArrayList<>();
        List<TickSummary.Rejected> blocked = new ArrayList<>();
        for (TickSummary.Rejected r : tick.rejected()) {
            (BLOCKING_REASON.equals(r.reason()) ? blocked : rejected).add(r);
        }
        return new DryRunReport(changes, tick.added(), updated, tick.removed(), unchanged, notCompared, rejected,
                blocked, notChecked);
    }

    public int exitCode() {
        return changes ? WOULD_CHANGE : NOTHING_TO_DO;
    }

    public String json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("changes", changes);
        out.put("added", added);
        out.put("updated", updated);
        out.put("removed", removed);
        out.put("unchanged", unchanged);
        out.put("notCompared", notCompared);
        out.put("rejected", rejected);
        out.put("blocked", blocked);
        out.put("notChecked", notChecked);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the dry run as JSON", e);
        }
    }

    public String text() {
        StringBuilder out = new StringBuilder();
        line(out, "would add", String.join(", ", added));
        line(out, "would update", String.join(", ", updated));
        line(out, "would remove", String.join(", ", removed));
        line(out, "not compared", String.join(", ", notCompared));
        line(out, "unchanged", unchanged == 0 ? "" : Integer.toString(unchanged));
        for (TickSummary.Rejected r : rejected) {
            line(out, "rejected", r.secret() + " (" + r.reason() + "): " + r.detail());
        }
        for (TickSummary.Rejected r : blocked) {
            line(out, "blocked", r.secret() + ": " + r.detail());
        }
        for (String why : notChecked) {
            line(out, "not checked", why);
        }
        out.append(changes ? "pool_passwd would change (exit 3)" : notCompared.isEmpty()
                ? "nothing would change (exit 0)"
                : "nothing else would change; " + notCompared.size() + " user" + (notCompared.size() == 1 ? "" : "s")
                        + " not compared, as the key is unknown (exit 0)");
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        if (!value.isEmpty()) {
            out.append(String.format("%-13s %s%n", label + ":", value));
        }
    }
}
