package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PoolPasswdTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "postgres:AES3Bis9TLTuWm1o0k6K3mZ28MldZHTARDZnbg5n0uwF8M=\n",
        "a:md5abc\nb:TEXTpw\n\nno-colon-line\n",
        "crlf:AESabc=\r\nnext:TEXTx\n",
        "we\\:ird\\\\name:TEXTp:w\n"
    })
    void parseThenRenderGivesTheSameBytes(String content) {
        assertArrayEquals(bytes(content), PoolPasswd.parse(bytes(content)).render());
    }

    @Test
    void renderEndsTheLastLineWithLineFeed() {
        assertEquals("a:TEXTx\nb:TEXTy\n", new String(PoolPasswd.parse(bytes("a:TEXTx\nb:TEXTy")).render()));
    }

    @Test
    void userNamesAreUnescapedAsPgpoolDoes() {
        List<PoolPasswdLine> lines = PoolPasswd.parse(bytes("we\\:ird\\\\name:TEXTp:w\nplain:md5x\n")).lines();
        assertEquals("we:ird\\name", lines.get(0).user());
        assertEquals("TEXTp:w", lines.get(0).secret());
        assertEquals("plain", lines.get(1).user());
    }

    @Test
    void entryEscapesColonAndBackslashAndRoundTrips() {
        PoolPasswdLine entry = PoolPasswdLine.entry("a:b\\c", "AESxyz=");
        assertEquals("a\\:b\\\\c:AESxyz=", new String(entry.raw(), StandardCharsets.UTF_8));
        PoolPasswdLine parsed = PoolPasswdLine.parse(entry.raw());
        assertEquals("a:b\\c", parsed.user());
        assertEquals("AESxyz=", parsed.secret());
    }

    @Test
    void firstEntryOfAUserWins() {
        PoolPasswd file = PoolPasswd.parse(bytes("john:TEXTfirst\njohn:TEXTsecond\n"));
        assertEquals("TEXTfirst", file.entryOf("john").orElseThrow().secret());
    }

    @Test
    void lineWithoutColonHasNoUser() {
        PoolPasswdLine line = PoolPasswd.parse(bytes("garbage\n")).lines().get(0);
        assertNull(line.user());
        assertArrayEquals(bytes("garbage"), line.raw());
    }
}
