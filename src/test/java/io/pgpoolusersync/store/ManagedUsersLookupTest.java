package io.pgpoolusersync.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** userOf (an index built once) gives what a scan of the record gives. */
class ManagedUsersLookupTest {

    @Test
    void userOfIsTheFirstUserInUserOrder() {
        ManagedUsers users = new ManagedUsers(Map.of("kim", "demo/a", "ann", "demo/a", "bob", "demo/b"));
        assertEquals("ann", users.userOf("demo/a"));
        assertEquals("bob", users.userOf("demo/b"));
        assertEquals(null, users.userOf("demo/c"));
        assertEquals(null, ManagedUsers.none().userOf("demo/a"));
    }

    @Test
    void userOfAndEqualsMatchScanAndMapEquality() {
        Random random = new Random(3);
        for (int round = 0; round < 300; round++) {
            Map<String, String> a = randomSources(random);
            Map<String, String> b = random.nextBoolean() ? new HashMap<>(a) : randomSources(random);
            if (random.nextInt(4) == 0 && !b.isEmpty()) {
                String key = b.keySet().iterator().next();
                b.put(key, b.get(key) + "x");
            }
            ManagedUsers ua = new ManagedUsers(a);
            ManagedUsers ub = new ManagedUsers(b);
            assertEquals(new TreeMap<>(a).equals(new TreeMap<>(b)), ua.equals(ub));
            assertEquals(ua.equals(ub), ub.equals(ua));
            for (int s = 0; s < 8; s++) {
                String secret = "demo/s" + s;
                String scan = new TreeMap<>(a).entrySet().stream().filter(e -> e.getValue().equals(secret))
                        .map(Map.Entry::getKey).findFirst().orElse(null);
                assertEquals(scan, ua.userOf(secret));
            }
        }
    }

    private static Map<String, String> randomSources(Random random) {
        Map<String, String> sources = new HashMap<>();
        int size = random.nextInt(12);
        for (int i = 0; i < size; i++) {
            sources.put("user" + random.nextInt(15), "demo/s" + random.nextInt(6));
        }
        return sources;
    }
}
