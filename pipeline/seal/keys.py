"""The office's signing key: create, import, load.

A key folder holds ``key.pem`` (PKCS #8, encrypted with the passphrase
unless ``--no-passphrase``), ``certificate.pem`` (the signer's certificate)
and ``chain.pem`` (intermediate certificates, possibly empty). The folder is
created 0700 and the key 0600; a key file that group or others can read is
refused, like ``~/.netrc``. The passphrase comes from
``STATEMENT_ARCHIVE_KEY_PASSPHRASE`` or, on a terminal, a prompt; it and the
key live only in memory and are never formatted into a message.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pipeline.core.errors import InputError

PASSPHRASE_VARIABLE = "STATEMENT_ARCHIVE_KEY_PASSPHRASE"
KEY_FILE, CERTIFICATE_FILE, CHAIN_FILE = "key.pem", "certificate.pem", "chain.pem"
#: ECDSA P-384: small signatures, and `openssl cms` and every PKI toolkit read it.
DEFAULT_CURVE = ec.SECP384R1()


@dataclass(frozen=True)
class SigningKey:
    """A loaded key: the private key (never shown), its certificate and chain."""

    private_key: object = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


def passphrase_from(environ: Mapping[str, str] | None = None,
                    prompt: Callable[[str], str] | None = None, *, confirm: bool = False) -> bytes:
    """The passphrase: the environment variable, else a prompt on a terminal."""
    environ = os.environ if environ is None else environ
    if environ.get(PASSPHRASE_VARIABLE):
        return environ[PASSPHRASE_VARIABLE].encode("utf-8")
    if prompt is None:
        if not sys.stdin.isatty():
            raise InputError(f"no passphrase: set {PASSPHRASE_VARIABLE} or run on a terminal "
                             "(or create the key with --no-passphrase)")
        prompt = getpass.getpass
    first = prompt("Key passphrase: ")
    if confirm and prompt("Again: ") != first:
        raise InputError("the two passphrases differ; nothing written")
    if not first:
        raise InputError("empty passphrase; use --no-passphrase for a key without one")
    return first.encode("utf-8")


def create_key(out: Path, name: str, passphrase: bytes | None, now: dt.datetime,
               days: int = 3650) -> SigningKey:
    """A new key and a self-signed certificate for *name* (the office), written to *out*."""
    if not name.strip():
        raise InputError("--name is empty: give the office's name for the certificate")
    key = ec.generate_private_key(DEFAULT_CURVE)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA384()))
    signing = SigningKey(key, cert, ())
    write_key(out, signing, passphrase)
    return signing


def import_p12(p12: Path, out: Path, passphrase: bytes | None) -> SigningKey:
    """The key, certificate and chain of a PKCS #12 file from the organisation's PKI,
    written to *out*, the key protected by the same passphrase."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(p12.read_bytes(), passphrase)
    except OSError as exc:
        raise InputError(f"{p12} cannot be read: {exc.strerror or exc}") from None
    except ValueError:
        raise InputError(f"{p12} is not a PKCS #12 file, or the passphrase is wrong") from None
    if key is None or cert is None:
        raise InputError(f"{p12} holds no private key and certificate")
    signing = SigningKey(key, cert, tuple(chain))
    write_key(out, signing, passphrase)
    return signing


def write_key(out: Path, signing: SigningKey, passphrase: bytes | None) -> None:
    if (out / KEY_FILE).exists():
        raise InputError(f"{out / KEY_FILE} exists; a key is never overwritten")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    pem = signing.private_key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    fd = os.open(out / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    (out / CERTIFICATE_FILE).write_bytes(signing.certificate.public_bytes(serialization.Encoding.PEM))
    (out / CHAIN_FILE).write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                                            for c in signing.chain))


def key_is_encrypted(key_dir: Path) -> bool:
    return b"ENCRYPTED" in _read_private(key_dir / KEY_FILE).split(b"\n", 1)[0]


def load_key(key_dir: Path, passphrase: bytes | None) -> SigningKey:
    """The key in *key_dir*; refused if others can read it or the passphrase is wrong."""
    data = _read_private(key_dir / KEY_FILE)
    try:
        key = serialization.load_pem_private_key(data, passphrase)
    except TypeError:
        raise InputError(f"{key_dir / KEY_FILE}: "
                         + ("the key is encrypted; a passphrase is needed" if passphrase is None
                            else "the key has no passphrase; use it only with --no-passphrase")) from None
    except ValueError:
        raise InputError(f"{key_dir / KEY_FILE}: wrong passphrase, or not a PEM private key") from None
    cert = load_certificates(key_dir / CERTIFICATE_FILE)
    if len(cert) != 1:
        raise InputError(f"{key_dir / CERTIFICATE_FILE}: expected exactly one certificate")
    chain = load_certificates(key_dir / CHAIN_FILE) if (key_dir / CHAIN_FILE).exists() else []
    if cert[0].public_key() != key.public_key():
        raise InputError(f"{key_dir / CERTIFICATE_FILE} is not the certificate of {key_dir / KEY_FILE}")
    return SigningKey(key, cert[0], tuple(chain))


def load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        return x509.load_pem_x509_certificates(data) if data.strip() else []
    except ValueError:
        raise InputError(f"{path} is not a PEM file of certificates") from None


def _read_private(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError(f"{path}: no key here; create one with `statement-archive keys init`") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read (a symbolic link is not followed): "
                         f"{exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(handle.fileno()).st_mode & 0o077:
            raise InputError(f"{path} can be read by other users; protect the key with "
                             f"`chmod 600 {path}`")
        return handle.read()
