package dev.replcache.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the PEM files of the TLS settings when the properties are bound, so that a wrong path,
 * an unreadable file, a key in the wrong format or a key that does not belong to its certificate
 * stops the start with one sentence naming the property, instead of a TLS handshake failing
 * later, or a stack trace from deep inside Netty at the first connection.
 *
 * <p>The transports read the same files again when they build their credentials; this class
 * only says whether the files are usable.
 */
public final class PemFiles {

    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final Pattern ANY_KEY = Pattern.compile("-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----");
    private static final String TO_PKCS8 = "convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem";

    private PemFiles() {
    }

    /**
     * The certificates of a PEM file (a chain: the node's own certificate first, or CA
     * certificates to trust).
     *
     * @throws IllegalArgumentException naming {@code property} when the file is missing,
     *                                  unreadable or holds no certificate
     */
    public static List<X509Certificate> certificates(Path file, String property) {
        byte[] bytes = read(file, property);
        Collection<? extends Certificate> parsed;
        try {
            parsed = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (CertificateException e) {
            throw new IllegalArgumentException(property + ": " + file + " is not a PEM certificate file"
                    + " (-----BEGIN CERTIFICATE-----): " + e.getMessage());
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (Certificate c : parsed) {
            certs.add((X509Certificate) c);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(property + ": " + file
                    + " holds no certificate (expected -----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    /**
     * Checks a node's own certificate and key, as {@code <prefix>cert-chain} and
     * {@code <prefix>private-key} name them: the chain's first certificate is valid now, the key
     * is an unencrypted PKCS#8 key, and it belongs to that certificate.
     *
     * @throws IllegalArgumentException naming the property at fault
     */
    public static void requireKeyPair(String prefix, Path certChain, Path privateKey) {
        String certProperty = prefix + "cert-chain";
        String keyProperty = prefix + "private-key";
        X509Certificate leaf = certificates(certChain, certProperty).get(0);
        requireCurrentlyValid(leaf, certProperty);
        requireMatchingPair(leaf, privateKey(privateKey, keyProperty), certProperty, keyProperty);
    }

    /**
     * The unencrypted PKCS#8 private key of a PEM file ({@code -----BEGIN PRIVATE KEY-----}),
     * RSA or EC, the formats gRPC's Netty transport reads.
     *
     * @throws IllegalArgumentException naming {@code property} otherwise, with the openssl
     *                                  command that converts the common other formats
     */
    static PrivateKey privateKey(Path file, String property) {
        String text = new String(read(file, property), StandardCharsets.US_ASCII);
        Matcher pkcs8 = PKCS8.matcher(text);
        if (!pkcs8.find()) {
            Matcher other = ANY_KEY.matcher(text);
            if (other.find()) {
                String kind = other.group(1).trim();
                throw new IllegalArgumentException(property + ": " + file + " holds a "
                        + (kind.startsWith("ENCRYPTED") ? "password-protected" : kind + " (not PKCS#8)")
                        + " private key; an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----) is needed: " + TO_PKCS8);
            }
            throw new IllegalArgumentException(property + ": " + file
                    + " holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pkcs8.group(1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(property + ": " + file + " holds a damaged PEM private key: " + e.getMessage());
        }
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisAlgorithm) {
                // try the next one
            }
        }
        throw new IllegalArgumentException(property + ": " + file
                + " holds a private key that is neither RSA nor EC, or is damaged");
    }

    /**
     * Checks that {@code key} belongs to the first certificate of the chain, by signing a
     * message with the key and verifying it with the certificate's public key.
     *
     * @throws IllegalArgumentException naming both properties when they do not match
     */
    private static void requireMatchingPair(X509Certificate leaf, PrivateKey key, String certProperty, String keyProperty) {
        PublicKey publicKey = leaf.getPublicKey();
        String signatureAlgorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new IllegalArgumentException(keyProperty + ": unsupported key algorithm " + key.getAlgorithm());
        };
        boolean matches;
        if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
            matches = false;
        } else {
            try {
                byte[] probe = "replcache key check".getBytes(StandardCharsets.US_ASCII);
                Signature signer = Signature.getInstance(signatureAlgorithm);
                signer.initSign(key);
                signer.update(probe);
                byte[] signature = signer.sign();
                Signature verifier = Signature.getInstance(signatureAlgorithm);
                verifier.initVerify(publicKey);
                verifier.update(probe);
                matches = verifier.verify(signature);
            } catch (GeneralSecurityException e) {
                matches = false;
            }
        }
        if (!matches) {
            throw new IllegalArgumentException(keyProperty + " is not the private key of the first certificate in "
                    + certProperty + " (" + leaf.getSubjectX500Principal().getName() + ")");
        }
    }

    /**
     * Checks that the node's own certificate is valid now: an expired one would fail every
     * handshake with an error the peer reports, not this node.
     */
    private static void requireCurrentlyValid(X509Certificate leaf, String property) {
        try {
            leaf.checkValidity();
        } catch (CertificateException e) {
            throw new IllegalArgumentException(property + ": the certificate " + leaf.getSubjectX500Principal().getName()
                    + " is valid only from " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant());
        }
    }

    private static byte[] read(Path file, String property) {
        if (file == null) {
            throw new IllegalArgumentException(property + " must be set");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(property + ": file " + file.toAbsolutePath() + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(property + ": " + file.toAbsolutePath() + " is not a file");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(property + ": cannot read " + file.toAbsolutePath() + " (" + e + ")");
        }
    }
}
