package io.pgpoolusersync.secrets;

import java.util.regex.Pattern;

/**
 * The API server's rules for object names (apimachinery validation): a Secret's name is a DNS-1123
 * subdomain, a namespace a DNS-1123 label. The cluster never returns anything else; a manifest might.
 */
public final class KubernetesNames {

    private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS1123_LABEL = Pattern.compile(LABEL);
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");

    private KubernetesNames() {
    }

    /** Null when valid, else why not. */
    public static String checkSecretName(String name) {
        if (name == null || name.isEmpty()) {
            return "the Secret has no name";
        }
        if (name.length() > 253 || !DNS1123_SUBDOMAIN.matcher(name).matches()) {
            return "the Secret name is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', "
                    + "at most 253 characters)";
        }
        return null;
    }

    /** Null when valid, else why not. */
    public static String checkNamespace(String namespace) {
        if (namespace == null || namespace.isEmpty()) {
            return "the Secret has no namespace";
        }
        if (namespace.length() > 63 || !DNS1123_LABEL.matcher(namespace).matches()) {
            return "the namespace is not a DNS-1123 label (lower-case letters, digits and '-', "
                    + "at most 63 characters)";
        }
        return null;
    }

    /** Whether {@code namespace/name} names a Secret the API server could hold. */
    public static boolean isSecretReference(String reference) {
        int slash = reference.indexOf('/');
        return slash > 0 && checkNamespace(reference.substring(0, slash)) == null
                && checkSecretName(reference.substring(slash + 1)) == null;
    }
}
