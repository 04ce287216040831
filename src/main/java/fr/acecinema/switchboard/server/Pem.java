package fr.acecinema.switchboard.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Loads a PEM certificate chain and an unencrypted PKCS#8 PEM key into an in-memory key store. */
public final class Pem {
  private static final Pattern KEY =
      Pattern.compile("-----BEGIN ([A-Z ]*)PRIVATE KEY-----([^-]+)-----END \\1PRIVATE KEY-----");

  /** Password of the in-memory key store; it never touches disk. */
  static final char[] PASSWORD = "in-memory".toCharArray();

  private Pem() {}

  /** A key store with one entry, {@code switchboard}: the key and its certificate chain. */
  public static KeyStore keyStore(Path certificate, Path key) throws IOException {
    List<? extends Certificate> chain = certificates(certificate, "--tls-cert");
    PrivateKey privateKey = privateKey(key);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("switchboard", privateKey, PASSWORD, chain.toArray(Certificate[]::new));
      return store;
    } catch (GeneralSecurityException e) {
      throw new IOException(
          key + " does not go with " + certificate + " (" + e.getMessage() + ")", e);
    }
  }

  /**
   * A trust manager that trusts exactly the certificates of a PEM file (a CA, or a server's own
   * self-signed certificate): what sbctl uses for {@code --server-ca}, so a private hub needs no
   * JVM trust store (and no trust-store password).
   */
  public static X509TrustManager trustManager(Path pem) throws IOException {
    List<? extends Certificate> certificates = certificates(pem, "--server-ca");
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        store.setCertificateEntry("trusted-" + i, certificates.get(i));
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager m : factory.getTrustManagers()) {
        if (m instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IOException("this JVM offers no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IOException(pem + ": cannot be trusted (" + e.getMessage() + ")", e);
    }
  }

  /** The certificates of a PEM file; an error naming the file and {@code option} otherwise. */
  private static List<? extends Certificate> certificates(Path pem, String option)
      throws IOException {
    List<? extends Certificate> chain;
    try {
      chain =
          List.copyOf(
              CertificateFactory.getInstance("X.509")
                  .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem))));
    } catch (GeneralSecurityException e) {
      throw new IOException(pem + ": not a PEM certificate chain (" + e.getMessage() + ")", e);
    }
    if (chain.isEmpty()) {
      throw new IOException(pem + ": holds no certificate; give a PEM file (" + option + ")");
    }
    return chain;
  }

  static PrivateKey privateKey(Path key) throws IOException {
    String text = Files.readString(key, StandardCharsets.US_ASCII);
    Matcher m = KEY.matcher(text);
    if (!m.find()) {
      throw new IOException(key + ": no PEM private key found (--tls-key)");
    }
    if (!m.group(1).isEmpty()) {
      throw new IOException(
          key
              + ": is a '"
              + m.group(1).trim()
              + " PRIVATE KEY'; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in "
              + key.getFileName()
              + " -out key.pem");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // Try the next algorithm: PKCS#8 names it inside, but KeyFactory needs it up front.
      }
    }
    throw new IOException(key + ": unsupported private key (RSA, EC and Ed25519 are)");
  }
}
