package io.pgpoolusersync.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.pgpoolusersync.passwd.EntryFormat;
import io.pgpoolusersync.passwd.Password;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Decodes user Secrets ({@code username} or its alias {@code user}, and {@code password}) and validates
 * them. A bad Secret is rejected with its reason; the others go on. Several Secrets may declare one user:
 * which one gets it depends on the ownership record, so the store decides (store/Ownership).
 */
public final class UserSecrets {

    /** PostgreSQL's NAMEDATALEN - 1: a longer role name cannot exist. */
    public static final int MAX_USERNAME_BYTES = 63;

    private final int maxPasswordBytes;
    private final String passwordLimitReason;

    /** @param format the entry format, which bounds the password length pgpool can read back */
    public UserSecrets(EntryFormat format) {
        this.maxPasswordBytes = format.maxPasswordBytes();
        this.passwordLimitReason = format + " entries hold at most " + maxPasswordBytes + " bytes";
    }

    /**
     * Stable for routes: the Secret list of a source (the body camel-kubernetes or the manifest folder
     * gives) as {@link UserSecret}s, whose values no route step can read. The first step after a list.
     */
    public List<UserSecret> read(List<Secret> secrets) {
        return UserSecret.of(secrets);
    }

    /**
     * Stable for routes: the users the Secrets declare, and the rejected Secrets with their reason. Takes
     * {@link UserSecret}s; fabric8 {@link Secret}s too, for callers outside the routes.
     */
    public DeclaredUsers review(List<?> secrets) {
        List<UserCredential> valid = new ArrayList<>();
        List<Rejection> rejections = new ArrayList<>();
        for (Object item : secrets == null ? List.of() : secrets) {
            UserSecret secret = item instanceof Secret raw ? UserSecret.of(raw) : (UserSecret) item;
            try {
                valid.add(decode(secret));
            } catch (Invalid e) {
                rejections.add(new Rejection(secret.source(), e.reason, e.getMessage(), e.user));
            }
        }
        return new DeclaredUsers(valid, rejections);
    }

    private UserCredential decode(UserSecret secret) throws Invalid {
        // First: the name goes into logs, Events and the ownership record.
        String badName = KubernetesNames.checkNamespace(secret.source().namespace());
        if (badName == null) {
            badName = KubernetesNames.checkSecretName(secret.source().name());
        }
        if (badName != null) {
            throw new Invalid(RejectReason.INVALID_NAME, badName, null);
        }
        if (secret.problem() != null) {
            throw new Invalid(RejectReason.NOT_STRING, secret.problem(), null);
        }
        String username = text(secret, "username", null);
        String alias = text(secret, "user", null);
        if (username != null && alias != null && !username.equals(alias)) {
            throw new Invalid(RejectReason.AMBIGUOUS_USERNAME, "keys username and user differ", null);
        }
        String user = username != null ? username : alias;
        if (user == null || user.isEmpty()) {
            throw new Invalid(RejectReason.MISSING_USERNAME, "no non-empty username (or user) key", null);
        }
        checkCharacters("username", user, null);
        int userBytes = user.getBytes(StandardCharsets.UTF_8).length;
        if (userBytes > MAX_USERNAME_BYTES) {
            throw new Invalid(RejectReason.USERNAME_TOO_LONG, "username is " + userBytes
                    + " bytes; PostgreSQL role names hold at most " + MAX_USERNAME_BYTES, null);
        }
        String password = text(secret, "password", user);
        if (password == null || password.isEmpty()) {
            throw new Invalid(RejectReason.MISSING_PASSWORD, "no non-empty password key", user);
        }
        checkCharacters("password", password, user);
        int passwordBytes = password.getBytes(StandardCharsets.UTF_8).length;
        if (passwordBytes > maxPasswordBytes) {
            throw new Invalid(RejectReason.PASSWORD_TOO_LONG,
                    "password is " + passwordBytes + " bytes; " + passwordLimitReason, user);
        }
        return new UserCredential(user, Password.of(password), secret.source());
    }

    /** The key's value as text: stringData first (as the API server merges it), then base64 data. */
    private static String text(UserSecret secret, String key, String user) throws Invalid {
        if (secret.hasStringData(key)) {
            return secret.stringData(key) == null ? "" : secret.stringData(key);
        }
        if (!secret.hasData(key)) {
            return null;
        }
        byte[] bytes = base64(secret.data(key) == null ? "" : secret.data(key), key, user);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Invalid(RejectReason.NOT_UTF8, key + " is not UTF-8", user);
        }
    }

    /**
     * As the API server decodes {@code data} (Go's base64.StdEncoding): CR and LF are ignored, so a value
     * folded over lines is fine; padding is required; any other character is an error. The message
     * names the position, never the character (it may be part of a password).
     */
    static byte[] base64(String text, String key, String user) throws Invalid {
        StringBuilder joined = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' || c == '\n') {
                continue;
            }
            boolean alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '+' || c == '/' || c == '=';
            if (!alphabet) {
                throw new Invalid(RejectReason.NOT_BASE64, "data." + key
                        + " is not base64: a character outside the standard alphabet at index " + i, user);
            }
            joined.append(c);
        }
        if (joined.length() % 4 != 0) {
            throw new Invalid(RejectReason.NOT_BASE64, "data." + key + " is not base64: " + joined.length()
                    + " characters, not a multiple of 4 (the API server requires = padding)", user);
        }
        try {
            return Base64.getDecoder().decode(joined.toString());
        } catch (IllegalArgumentException e) {
            throw new Invalid(RejectReason.NOT_BASE64, "data." + key + " is not base64: misplaced padding", user);
        }
    }

    /** pgpool reads lines: CR, LF, NUL or tab would cut or corrupt the entry, or forge another one. */
    private static void checkCharacters(String key, String value, String user) throws Invalid {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new Invalid(RejectReason.CONTROL_CHARACTER,
                        key + " holds control character U+" + String.format("%04X", (int) c) + " at index " + i,
                        user);
            }
        }
    }

    static final class Invalid extends Exception {
        private final RejectReason reason;
        private final String user;

        Invalid(RejectReason reason, String message, String user) {
            super(message, null, false, false);
            this.reason = reason;
            this.user = user;
        }
    }
}
