package io.pgpoolusersync.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * Replaces a file so that a reader, or a crash at any instant, sees either the old bytes or the new
 * ones, never a part: temp file in the same folder (mode 0600 from birth), fsync, rename, fsync the
 * folder. Camel's file producer is not used here: with fileExist=Override it deletes the target before
 * renaming the temp file, which leaves a moment with no pool_passwd at all.
 *
 * <p>An existing file keeps its owner, group and mode (Debian's pool_passwd is root:postgres 0640; pgpool
 * must still read it); a new file is 0600. A symbolic link (Kubernetes mounts are made of them) is
 * followed: its target is replaced, in the target's folder, and the link stays a link.
 */
public final class AtomicFile {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    /** Linux's limit on symbolic links in one path (MAXSYMLINKS). */
    private static final int MAX_LINKS = 40;

    private AtomicFile() {
    }

    /**
     * Deletes temp files that a process killed mid-write left beside {@code target} (or beside its link
     * target): each is a full copy of secrets. Only safe while no other process writes {@code target}.
     */
    public static void removeLeftovers(Path target) throws IOException {
        Path real = resolve(target);
        Path folder = real.getParent();
        String prefix = "." + real.getFileName() + ".";
        try (var files = Files.newDirectoryStream(folder, path -> {
            String name = path.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp");
        })) {
            for (Path leftover : files) {
                Files.deleteIfExists(leftover);
            }
        } catch (NoSuchFileException e) {
            // no folder, no leftovers; the write says what is missing
        }
    }

    public static void write(Path target, byte[] content) throws IOException {
        Path real = resolve(target);
        Path folder = real.getParent();
        PosixFileAttributes existing = existing(real, target);
        Path temp;
        try {
            temp = Files.createTempFile(folder, "." + real.getFileName() + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (IOException e) {
            throw new IOException("cannot create a temp file in " + folder + " to replace " + describe(target, real)
                    + ": " + reason(e) + "; the folder must be writable by this process", e);
        }
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            if (existing != null) {
                keepOwnerGroupMode(temp, existing, real);
            }
            try {
                Files.move(temp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new IOException("cannot rename " + temp.getFileName() + " over " + describe(target, real)
                        + ": " + reason(e), e);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        // The rename itself is durable only once the folder is synced.
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a folder; the rename is still atomic.
        }
    }

    /** The file a path names once every symbolic link is followed (even a link to a file not there yet). */
    static Path resolve(Path target) throws IOException {
        Path path = target.toAbsolutePath().normalize();
        for (int hops = 0; Files.isSymbolicLink(path); hops++) {
            if (hops == MAX_LINKS) {
                throw new IOException(target + ": more than " + MAX_LINKS + " symbolic links (a loop?)");
            }
            path = path.getParent().resolve(Files.readSymbolicLink(path)).normalize();
        }
        return path;
    }

    private static PosixFileAttributes existing(Path real, Path target) throws IOException {
        try {
            PosixFileAttributes attributes = Files.readAttributes(real, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                throw new IOException(describe(target, real) + " is not a regular file; refusing to replace it");
            }
            return attributes;
        } catch (NoSuchFileException e) {
            return null; // a new file: 0600
        } catch (UnsupportedOperationException e) {
            throw new IOException("the file system of " + real + " has no POSIX owners and modes", e);
        }
    }

    private static void keepOwnerGroupMode(Path temp, PosixFileAttributes existing, Path real) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
        PosixFileAttributes fresh = view.readAttributes();
        UserPrincipal owner = existing.owner();
        GroupPrincipal group = existing.group();
        try {
            if (!fresh.owner().equals(owner)) {
                view.setOwner(owner);
            }
            if (!fresh.group().equals(group)) {
                view.setGroup(group);
            }
        } catch (IOException e) {
            throw new IOException("cannot keep the owner and group of " + real + " (" + owner.getName() + ":"
                    + group.getName() + "): " + reason(e) + "; run the sync as that owner, or in its group, or "
                    + "give it CAP_CHOWN; the file was left as it was", e);
        }
        view.setPermissions(existing.permissions()); // after chown, which may clear bits; not masked by umask
    }

    private static String describe(Path target, Path real) {
        return real.equals(target.toAbsolutePath().normalize()) ? target.toString() : real + " (the target of " + target + ")";
    }

    /** The root cause of a file error in words: Java's messages are often a bare path. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
