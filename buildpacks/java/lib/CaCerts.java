// Builds the JDK's trust store (lib/security/cacerts, PKCS12, password "changeit") from a PEM bundle:
// what Debian's ca-certificates-java does at install time, which unpacking its .deb does not.
// Run as a single-file program: java CaCerts.java BUNDLE.pem OUT
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

public class CaCerts {
  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int count = 0;
    try (InputStream in = new FileInputStream(args[0])) {
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + count++, cert);
      }
    }
    try (OutputStream out = new FileOutputStream(args[1])) {
      store.store(out, "changeit".toCharArray());
    }
    System.out.println(count + " certificates");
  }
}
