package io.pgpoolusersync.passwd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EncodersTest {

    @Test
    void md5IsPostgresMd5OfPasswordThenUser() {
        // printf '12345john' | md5sum
        assertEquals("md58a30bb6d59ea9603e488e3d666788596", new Md5PasswordEncoder().encode("john", "12345"));
    }

    @Test
    void textIsThePasswordBehindItsPrefixEscapedAsPgpoolReadsIt() {
        assertEquals("TEXTs3cret\\:with\\\\back", new TextPasswordEncoder().encode("u", "s3cret:with\\back"));
    }

    @Test
    void formatParsesAnyCaseAndRejectsOthers() {
        assertEquals(EntryFormat.AES, EntryFormat.parse("aes"));
        assertEquals(EntryFormat.MD5, EntryFormat.parse("MD5"));
        assertEquals(EntryFormat.TEXT, EntryFormat.parse(" Text "));
        assertThrows(IllegalArgumentException.class, () -> EntryFormat.parse("scram"));
    }
}
