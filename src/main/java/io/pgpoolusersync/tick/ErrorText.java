package io.pgpoolusersync.tick;

import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line for an error: what failed, where, and the root cause. Libraries often put the useful part in
 * a cause ("An error has occurred." from fabric8 around "Connection refused"), or give a bare path (an
 * AccessDeniedException) or "Input length = 1" (a charset error): the chain is walked, generic and
 * repeated messages dropped, and such exceptions named in words.
 */
public final class ErrorText {

    private static final List<String> GENERIC = List.of("An error has occurred.", "An error has occurred");

    private ErrorText() {
    }

    public static String of(Throwable error) {
        List<String> parts = new ArrayList<>();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = error; t != null && seen.put(t, true) == null; t = t.getCause()) {
            String part = words(t);
            if (part == null || GENERIC.contains(part.trim())) {
                continue;
            }
            // A wrapper usually repeats its cause's text: keep each text once.
            if (parts.stream().noneMatch(p -> p.contains(part))) {
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            return error.getClass().getSimpleName();
        }
        return String.join(": ", parts);
    }

    private static String words(Throwable t) {
        if (t instanceof AccessDeniedException e) {
            return e.getFile() + ": permission denied";
        }
        if (t instanceof NoSuchFileException e) {
            return e.getFile() + ": no such file or folder";
        }
        if (t instanceof FileSystemException e && e.getReason() != null) {
            return e.getFile() + ": " + e.getReason();
        }
        if (t instanceof CharacterCodingException) {
            return "not valid UTF-8";
        }
        String message = t.getMessage();
        if (t.getCause() != null && t.getCause().toString().equals(message)) {
            return null; // new Exception(cause): its message is only the cause's toString
        }
        if (message == null || message.isBlank()) {
            return t.getCause() == null ? t.getClass().getSimpleName() : null;
        }
        if (t instanceof java.net.UnknownHostException) {
            return "unknown host " + message; // its message is the bare host name
        }
        return message.lines().findFirst().orElse(message);
    }
}
