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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes user Secrets ({@code username} or its alias {@code user}, and {@code password}), validates
 * them and resolves duplicate user names. A bad Secret is rejected with its reason; the others go on.
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
        // The oldest Secret keeps a contested user name: adding a Secret never steals an existing user.
        Map<String, List<UserCredential>> byUser = new LinkedHashMap<>();
        for (UserCredential credential : valid) {
            byUser.computeIfAbsent(credential.user(), user -> new ArrayList<>(1)).add(credential);
        }
        List<UserCredential> users = new ArrayList<>(byUser.size());
        for (List<UserCredential> claims : byUser.values()) {
            if (claims.size() > 1) {
                claims.sort((a, b) -> SecretRef.SENIORITY.compare(a.source(), b.source()));
            }
            UserCredential winner = claims.get(0);
            users.add(winner);
            for (UserCredential loser : claims.subList(1, claims.size())) {
                rejections.add(new Rejection(loser.source(), RejectReason.DUPLICATE_USERNAME,
                        "user " + loser.user() + " is already declared by the older Secret " + winner.source(),
                        loser.user()));
            }
        }
        return new DeclaredUsers(users, rejections);
    }

    private UserCredential decode(UserSecret secret) throws Invalid {
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
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(secret.data(key) == null ? "" : secret.data(key));
        } catch (IllegalArgumentException e) {
            throw new Invalid(RejectReason.NOT_BASE64, "data." + key + " is not base64", user);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Invalid(RejectReason.NOT_UTF8, key + " is not UTF-8", user);
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

    private static final class Invalid extends Exception {
        private final RejectReason reason;
        private final String user;

        Invalid(RejectReason reason, String message, String user) {
            super(message, null, false, false);
            this.reason = reason;
            this.user = user;
        }
    }
}
