package io.pgpoolusersync.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replaced file keeps what pgpool needs to read it: owner, group, mode, and its place behind links. */
class AtomicFileTest {

    @TempDir
    Path dir;

    private static PosixFileAttributes attributes(Path file) throws IOException {
        return Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void anExistingFileKeepsItsOwnerGroupAndMode() throws IOException {
        // Debian's pool_passwd: root:postgres 0640. Changing the owner needs root; the CI runs as root.
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give the file another owner");
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal postgres = users.lookupPrincipalByName("postgres");
        GroupPrincipal postgresGroup = users.lookupPrincipalByGroupName("postgres");
        Path file = Files.writeString(dir.resolve("pool_passwd"), "old\n");
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        view.setOwner(postgres);
        view.setGroup(postgresGroup);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        AtomicFile.write(file, "new\n".getBytes(UTF_8));
        assertEquals("new\n", Files.readString(file));
        assertEquals(postgres, attributes(file).owner());
        assertEquals(postgresGroup, attributes(file).group());
        assertEquals("rw-r-----", PosixFilePermissions.toString(attributes(file).permissions()));
    }

    @Test
    void aWiderModeIsKeptTooAndANewFileIsOwnerOnly() throws IOException {
        Path file = Files.writeString(dir.resolve("pool_passwd"), "old\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
        AtomicFile.write(file, "new\n".getBytes(UTF_8));
        assertEquals("rw-rw-r--", PosixFilePermissions.toString(attributes(file).permissions()), "not masked by umask");

        Path fresh = dir.resolve("fresh");
        AtomicFile.write(fresh, "new\n".getBytes(UTF_8));
        assertEquals("rw-------", PosixFilePermissions.toString(attributes(fresh).permissions()));
    }

    @Test
    void aSymlinkedFileIsWrittenThroughToItsTargetAndStaysALink() throws IOException {
        // A Kubernetes-style mount: pool_passwd -> ..data/pool_passwd, ..data -> ..2026_12_03.
        Path mount = Files.createDirectories(dir.resolve("mount"));
        Path version = Files.createDirectories(mount.resolve("..2026_12_03"));
        Path real = Files.writeString(version.resolve("pool_passwd"), "old\n");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-r-----"));
        Files.createSymbolicLink(mount.resolve("..data"), Path.of("..2026_12_03"));
        Path link = Files.createSymbolicLink(mount.resolve("pool_passwd"), Path.of("..data/pool_passwd"));

        AtomicFile.write(link, "new\n".getBytes(UTF_8));
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertEquals(Path.of("..data/pool_passwd"), Files.readSymbolicLink(link));
        assertEquals("new\n", Files.readString(real), "pgpool, following the link, sees the new content");
        assertEquals("rw-r-----", PosixFilePermissions.toString(attributes(real).permissions()));
        try (Stream<Path> files = Files.list(version)) {
            assertEquals(List.of(real), files.toList(), "the temp file was made beside the target, and is gone");
        }
    }

    @Test
    void aLinkToAFileNotThereYetCreatesTheTarget() throws IOException {
        Path target = Files.createDirectories(dir.resolve("data")).resolve("pool_passwd");
        Path link = Files.createSymbolicLink(dir.resolve("pool_passwd"), target);
        AtomicFile.write(link, "new\n".getBytes(UTF_8));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new\n", Files.readString(target));
    }

    @Test
    void aFolderThatCannotTakeTheTempFileIsNamedWithTheCause() {
        Path file = dir.resolve("missing-folder").resolve("pool_passwd");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file, "x".getBytes(UTF_8)));
        assertTrue(e.getMessage().contains("cannot create a temp file in " + dir.resolve("missing-folder"))
                && e.getMessage().contains("no such file or folder"), e.getMessage());
    }

    @Test
    void aTargetThatIsNotARegularFileIsRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("pool_passwd"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(folder, "x".getBytes(UTF_8)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
}
