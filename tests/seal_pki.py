"""A CA, certificates and an RFC 3161 TSA on 127.0.0.1, all made by the tests.

The TSA is pyHanko's DummyTimeStamper (a real RFC 3161 signer) behind a real
HTTP server; it counts the requests it answers, and its clock can be fixed,
so tests can timestamp "before" or "after" a certificate expired.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from asn1crypto import keys as asn1_keys, tsp, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
DAY = dt.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Issued:
    cert: x509.Certificate
    key: object = field(repr=False)

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        return asn1_keys.PrivateKeyInfo.load(self.key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def make_ca(cn: str = "Test Root CA") -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - 3000 * DAY).not_valid_after(NOW + 9000 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(cert, key)


def issue(ca: Issued, cn: str, *, not_before: dt.datetime, not_after: dt.datetime,
          tsa: bool = False, crl_url: str | None = None) -> Issued:
    """A signer certificate (ECDSA) or, with *tsa*, a TSA certificate (RSA: pyHanko's
    test TSA signs only with RSA), with the critical timeStamping EKU openssl wants."""
    key = rsa.generate_private_key(65537, 2048) if tsa else ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))  # type: ignore[attr-defined]
    if crl_url:  # where revocation data would be: validators then look for it (never fetched here)
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    if tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)  # type: ignore[arg-type]


def write_key_dir(folder: Path, signer: Issued, passphrase: bytes | None = b"test passphrase") -> Path:
    """A key folder as `keys init` writes it, for a CA-issued signer."""
    from pipeline.seal.keys import SigningKey, write_key

    write_key(folder, SigningKey(signer.key, signer.cert, ()), passphrase)
    return folder


@dataclass
class TestTSA:
    url: str
    requests: list[str]
    stamper: DummyTimeStamper

    def set_time(self, when: dt.datetime | None) -> None:
        self.stamper.fixed_dt = when


@contextmanager
def running_tsa(tsa: Issued, ca: Issued, when: dt.datetime | None = None,
                stamper: DummyTimeStamper | None = None) -> Iterator[TestTSA]:
    """An RFC 3161 TSA over HTTP on 127.0.0.1; *when* fixes its clock."""
    stamper = stamper or DummyTimeStamper(tsa.asn1(), tsa.asn1_key(), fixed_dt=when)
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            requests.append(self.headers.get("Content-Type", ""))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield TestTSA(f"http://127.0.0.1:{httpd.server_address[1]}/tsa", requests, stamper)
    finally:
        httpd.shutdown()
        httpd.server_close()


def revoking_stamper(tsa: Issued, ca: Issued, when: dt.datetime | None = None) -> DummyTimeStamper:
    """A test TSA that puts a CRL from *ca* into every token, listing its own certificate
    as revoked (a TSA that ships revocation data; here, bad news)."""
    from asn1crypto import cms, crl as asn1_crl

    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
               .last_update(NOW - 2 * DAY).next_update(NOW + 30 * DAY)
               .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                        .serial_number(tsa.cert.serial_number)
                                        .revocation_date(NOW - 3 * DAY).build()))
    revocations = asn1_crl.CertificateList.load(
        builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))  # type: ignore[arg-type]

    class Revoking(DummyTimeStamper):
        def _build_signed_data(self, *args, **kwargs):
            data = super()._build_signed_data(*args, **kwargs)
            data["crls"] = cms.RevocationInfoChoices([cms.RevocationInfoChoice(name="crl", value=revocations)])
            return data

    return Revoking(tsa.asn1(), tsa.asn1_key(), fixed_dt=when)
